"""Catalog rules: windows (报名/缴费/准考证打印/成绩查询), fees and the education a level needs.

Times are UTC inside; people read them in Beijing time (UTC+8), so messages format them so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from services.common.errors import Invalid

BEIJING = timezone(timedelta(hours=8), "CST")
WINDOW_KINDS = {"application": "报名", "payment": "缴费", "admit_card": "准考证打印", "scores": "成绩查询",
                "score_review": "成绩复核申请"}
# Education levels in ascending order (identity's list); a level names the lowest it accepts.
EDUCATION_ORDER = ("无", "中专", "大专", "本科", "硕士研究生", "博士研究生")
REVIEW_MODES = {"automatic": "系统自动核验", "online": "考试机构网上审核", "on_site": "审核点现场审核"}


def beijing(at: datetime) -> str:
    """``2026年03月08日 17:00`` in Beijing time: how every window appears to candidates."""
    return at.astimezone(BEIJING).strftime("%Y年%m月%d日 %H:%M")


@dataclass(frozen=True)
class Window:
    kind: str
    start: datetime
    end: datetime | None = None  # open-ended (score query stays open)

    def contains(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at <= self.end)

    def describe(self) -> str:
        end = beijing(self.end) if self.end else "长期"
        return f"{beijing(self.start)} 至 {end}"

    def check(self, at: datetime) -> None:
        """Refuse an action outside its window, naming the window in the message."""
        if self.contains(at):
            return
        name = WINDOW_KINDS.get(self.kind, self.kind)
        when = "尚未开始" if at < self.start else "已经结束"
        raise Invalid(f"{name}时间为 {self.describe()}（北京时间），当前{name}{when}",
                      code="window_closed", window={"kind": self.kind, "start": self.start.isoformat(),
                                                    "end": self.end.isoformat() if self.end else None})


def fee_total(fee_per_subject_fen: int, subject_count: int) -> int:
    """Fee per subject × subjects, in fen (integers only: money is never a float)."""
    if not isinstance(fee_per_subject_fen, int) or fee_per_subject_fen < 0:
        raise ValueError("fee must be a non-negative integer of fen")
    if subject_count < 1:
        raise Invalid("请至少选择一个考试科目", code="subjects_required", field="subjects")
    return fee_per_subject_fen * subject_count


def yuan(fen: int) -> str:
    """``5000`` → ``50.00``: display only, by integer arithmetic."""
    return f"{fen // 100}.{fen % 100:02d}"


def education_meets(have: str | None, need: str | None) -> bool:
    if not need:
        return True
    if have not in EDUCATION_ORDER:
        return False
    return EDUCATION_ORDER.index(have) >= EDUCATION_ORDER.index(need)


def check_choice(*, level: dict | None, specialty: str | None, subjects: list[str]) -> None:
    """The chosen level, specialty and subjects belong together (level = {specialties, subjects})."""
    if level is None:
        raise Invalid("请选择报考级别", code="level_unknown", field="level")
    specialties = level["specialties"]
    if specialties and specialty not in specialties:
        raise Invalid("请选择该级别下的报考专业", code="specialty_unknown", field="specialty")
    if not specialties and specialty:
        raise Invalid("该级别不分专业", code="specialty_unknown", field="specialty")
    if not subjects:
        raise Invalid("请至少选择一个考试科目", code="subjects_required", field="subjects")
    if len(set(subjects)) != len(subjects):
        raise Invalid("考试科目重复", code="subjects_duplicate", field="subjects")
    unknown = [s for s in subjects if s not in level["subjects"]]
    if unknown:
        raise Invalid(f"科目 {'、'.join(unknown)} 不属于所选级别", code="subject_unknown", field="subjects")


def check_exemptions(claims: list[dict], *, subjects: list[str], exemptable: set[str]) -> None:
    """Exempt subjects (免试科目): claimable ones of the level, each with its basis, not also taken."""
    seen = set()
    for claim in claims:
        code, basis = claim.get("code"), (claim.get("basis") or "").strip()
        if code not in exemptable:
            raise Invalid(f"科目 {code} 不可申请免试", code="exemption_unknown", field="exempt_subjects")
        if code in subjects or code in seen:
            raise Invalid(f"科目 {code} 不能既报考又申请免试", code="exemption_conflict",
                          field="exempt_subjects")
        if not basis:
            raise Invalid(f"请填写科目 {code} 的免试依据", code="exemption_basis_required",
                          field="exempt_subjects")
        seen.add(code)

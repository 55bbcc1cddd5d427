"""The rules that decide an education check (pure functions, so they are tested exhaustively).

Seed 000: education of 大专 and above obtained since 2002 is verified online (学信网); degrees
since September 2008. Anything older has no online record and goes to a manual check. A
registry outage is never a verdict: the caller keeps the check waiting (see ``model.Check``).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from services.verification.domain.registries import EducationRecord

EDUCATION_LEVELS = ("无", "中专", "大专", "本科", "硕士研究生", "博士研究生")
REGISTRY_LEVELS = ("大专", "本科", "硕士研究生", "博士研究生")  # what CHSI certifies
EDUCATION_ONLINE_SINCE = date(2002, 1, 1)
DEGREE_ONLINE_SINCE = date(2008, 9, 1)  # for the degree check (later round), seed 000
NO_NUMBER = {"", "无", "none", "null", "-", "—"}

RETRY_BASE = timedelta(seconds=15)
RETRY_CAP = timedelta(minutes=30)


@dataclass(frozen=True)
class Outcome:
    """A verdict: status, a stable reason code for programs and a Chinese reason for people."""
    status: str  # passed | failed | manual_check | on_site_check
    code: str
    reason: str


@dataclass(frozen=True)
class EducationClaim:
    """The education a candidate entered (as identity announced it)."""
    level: str
    school: str | None = None
    major: str | None = None
    graduation_date: date | None = None
    certificate_number: str | None = None
    study_mode: str | None = None

    @classmethod
    def from_dict(cls, d: dict) -> EducationClaim:
        grad = d.get("graduation_date")
        if isinstance(grad, str):
            grad = date.fromisoformat(grad)
        return cls(level=d.get("level") or "无", school=d.get("school"), major=d.get("major"),
                   graduation_date=grad, certificate_number=d.get("certificate_number"),
                   study_mode=d.get("study_mode"))

    def as_dict(self) -> dict:
        return {"level": self.level, "school": self.school, "major": self.major,
                "graduation_date": self.graduation_date.isoformat() if self.graduation_date
                else None, "certificate_number": self.certificate_number,
                "study_mode": self.study_mode}

    @property
    def number(self) -> str | None:
        """The certificate number in canonical form, None when the candidate gave none."""
        n = normalise_number(self.certificate_number)
        return None if n.lower() in NO_NUMBER else n


def normalise_number(number: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", number or "")).upper()


def normalise_name(name: str | None) -> str:
    """Names compare without spaces, with full-width forms folded and any middle dot as '·'."""
    n = unicodedata.normalize("NFKC", name or "")
    n = re.sub(r"[\s\u3000]+", "", n)
    n = re.sub(r"[.\u00b7\u2022\u2027\u30fb\u0387\u22c5\uff0e]", "·", n)
    return n.casefold()


def precheck_education(claim: EducationClaim) -> Outcome | None:
    """A verdict that needs no registry, or None when the registry must be asked."""
    if claim.level == "无":
        return Outcome("passed", "no_education", "未填写学历，无需核验")
    if claim.level not in REGISTRY_LEVELS:
        return Outcome("manual_check", "level_not_online",
                       f"{claim.level}学历不在学信网在线核验范围，需人工核验")
    if claim.graduation_date is None:
        return Outcome("manual_check", "graduation_date_missing",
                       "未填写毕业日期，无法在线核验，需人工核验")
    if claim.graduation_date < EDUCATION_ONLINE_SINCE:
        return Outcome("manual_check", "before_online_records", "2002 年以前的学历需人工核验")
    if claim.number is None:
        return Outcome("failed", "certificate_number_missing",
                       "未填写学历证书编号，请在个人资料中补充证书编号或上传学历证明")
    return None


def judge_education(claim: EducationClaim, name: str, record: EducationRecord | None) -> Outcome:
    """Compare a claim that passed ``precheck_education`` with the registry's answer."""
    if record is None:
        return Outcome("failed", "not_found", "学信网未查到该学历证书编号，请核对或上传学历证明")
    name_ok = normalise_name(name) == normalise_name(record.name)
    level_ok = claim.level == record.level
    if name_ok and level_ok:
        return Outcome("passed", "matched", "学历信息与学信网记录一致")
    if not name_ok and not level_ok:
        return Outcome("failed", "name_and_level_mismatch",
                       "姓名和学历层次均与学信网记录不一致，请核对证书编号或上传学历证明")
    if not name_ok:
        return Outcome("failed", "name_mismatch",
                       "姓名与学信网记录不一致，请核对证书编号或上传学历证明")
    # The name matches, so the record is the candidate's own: saying its level helps them fix it.
    return Outcome("failed", "level_mismatch",
                   f"学历层次与学信网记录不一致（填写为{claim.level}，学信网记录为{record.level}），"
                   "请修改学历信息或上传学历证明")


def retry_delay(attempts: int, key: str = "") -> timedelta:
    """Back-off after the ``attempts``-th failed try: doubling from 15 s up to 30 min.

    A deterministic jitter of up to +20 % (from ``key``, e.g. the check id) spreads the
    checks that waited through one outage, so they do not all hit the registry at once.
    """
    n = max(1, attempts)
    base = min(RETRY_BASE * (2 ** min(n - 1, 20)), RETRY_CAP)
    spread = int(hashlib.sha256(key.encode()).hexdigest()[:4], 16) / 0xFFFF * 0.2
    return base * (1 + spread)

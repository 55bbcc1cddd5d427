"""Rules the title authorities work by: working-day deadlines, the committee's vote, plan
windows, attachments by content, and how staff names appear in a handling record."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.common.errors import Invalid
from services.common.uploads import PDF, whole_document_type
from services.registration.domain.catalog import BEIJING, beijing

# Working days each holder has (README "Titles"): the unit reviews in 10, the reviewing
# authority schedules in 20, the committee records its decision within 5 after the meeting,
# a returned application waits 10 for the professional, the issuer issues within 5.
UNIT_DAYS, ADMIN_DAYS, COMMITTEE_DAYS, PROFESSIONAL_DAYS, ISSUE_DAYS = 10, 20, 5, 10, 5
CLOSING = time(18, 0)  # deadlines fall at 18:00 Beijing time, as the seed's plans do
MAX_ATTACHMENT = 10 * 1024 * 1024  # "只允许上传小于10MB的PDF文件"


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th Monday–Friday after ``start`` (no holiday calendar yet: README)."""
    d = start
    while days > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days -= 1
    return d


def deadline(at: datetime, days: int) -> datetime:
    """18:00 Beijing time on the ``days``-th working day after ``at``'s Beijing date."""
    day = add_working_days(at.astimezone(BEIJING).date(), days)
    return datetime.combine(day, CLOSING, tzinfo=BEIJING)


def meeting_deadline(meeting_on: date) -> datetime:
    return datetime.combine(add_working_days(meeting_on, COMMITTEE_DAYS), CLOSING, tzinfo=BEIJING)


@dataclass(frozen=True)
class Votes:
    votes_for: int
    votes_against: int
    votes_abstain: int

    @property
    def present(self) -> int:
        return self.votes_for + self.votes_against + self.votes_abstain

    def passes(self) -> bool:
        """Passed when at least two thirds of those present vote for (integer arithmetic)."""
        return self.present > 0 and 3 * self.votes_for >= 2 * self.present


def quorum(committee_size: int) -> int:
    """Members who must be present: two thirds of the committee, rounded up."""
    return -(-2 * committee_size // 3)


def check_votes(votes: Votes, committee_size: int | None) -> None:
    if min(votes.votes_for, votes.votes_against, votes.votes_abstain) < 0:
        raise Invalid("票数不能为负数", code="title_votes_invalid")
    if votes.present == 0:
        raise Invalid("请填写表决票数", code="title_votes_invalid")
    if committee_size:
        if votes.present > committee_size:
            raise Invalid(f"出席人数（{votes.present}）超过评审委员会人数（{committee_size}）",
                          code="title_votes_invalid")
        if votes.present < quorum(committee_size):
            raise Invalid(f"出席评审会议的专家不足评审委员会人数的三分之二（应至少 "
                          f"{quorum(committee_size)} 人），表决无效", code="title_quorum_not_met")


def check_window(starts_at: datetime, ends_at: datetime, at: datetime, plan_name: str) -> None:
    """A review plan accepts applications only inside its window; say which window."""
    if starts_at <= at <= ends_at:
        return
    when = "尚未开始" if at < starts_at else "已经截止"
    raise Invalid(f"“{plan_name}”个人申报时间为 {beijing(starts_at)} 至 {beijing(ends_at)}"
                  f"（北京时间），当前申报{when}", code="title_plan_closed",
                  window={"start": starts_at.isoformat(), "end": ends_at.isoformat()})


def check_attachment(content: bytes) -> None:
    """PDF judged by its bytes (a renamed file stays refused), and under 10 MB."""
    if len(content) > MAX_ATTACHMENT:
        raise Invalid("附件不能超过 10MB，请压缩后重新上传", code="title_attachment_too_large",
                      field="file")
    if not content:
        raise Invalid("请选择要上传的 PDF 文件", code="title_attachment_required", field="file")
    if whole_document_type(content) != PDF:
        raise Invalid("附件只接受 PDF 文件（按文件内容识别），请转换为 PDF 后上传",
                      code="title_attachment_type", field="file")


def mask_name(name: str | None) -> str:
    """``郑小明`` → ``郑*``: how staff appear in a professional's handling record (seed 003)."""
    name = (name or "").strip()
    return f"{name[0]}*" if name else "*"

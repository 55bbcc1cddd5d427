"""The title application (申报书) and its state machine, as plain Python.

    draft ─submit─► submitted ─(unit) forward─► forwarded ─(admin) schedule─► scheduled
      │    ▲   ▲       │  │  └─(unit, 初定/确认) approve/reject ─► decided ◄─(committee) decide─┘
      │    │   │       │  └─ withdraw (before the unit opens it) ─► withdrawn ─┐      │
      │    │   └───────┴──── (unit / admin) return with a reason ─► returned ──┤      ▼
      │    └──────────────────────── resubmit ◄────────────────────────────────┘  completed
      └── abandon (draft / withdrawn / returned) ─► abandoned                    (certificate issued)

Every step goes through ``_move`` (checks ``TRANSITIONS``) and ``_log`` (one handling-record
row: who, which unit, what, a note, and who holds it now with their deadline).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from services.common.domain import Aggregate
from services.common.errors import Conflict, Invalid
from services.registration.domain.titles.rules import Votes
from services.registration.domain.titles.sections import REVIEW, TYPES

DRAFT, SUBMITTED, WITHDRAWN, RETURNED = "draft", "submitted", "withdrawn", "returned"
FORWARDED, SCHEDULED, DECIDED, COMPLETED, ABANDONED = (
    "forwarded", "scheduled", "decided", "completed", "abandoned")
STATE_LABELS = {
    DRAFT: "待填报", SUBMITTED: "待受理单位审核", WITHDRAWN: "已撤回", RETURNED: "已退回",
    FORWARDED: "待评审机构审核", SCHEDULED: "待评审委员会评审", DECIDED: "已评审",
    COMPLETED: "已办结", ABANDONED: "已删除",
}
TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({SUBMITTED, ABANDONED}),
    SUBMITTED: frozenset({WITHDRAWN, RETURNED, FORWARDED, DECIDED}),
    WITHDRAWN: frozenset({SUBMITTED, ABANDONED}),
    RETURNED: frozenset({SUBMITTED, ABANDONED}),
    FORWARDED: frozenset({RETURNED, SCHEDULED}),
    SCHEDULED: frozenset({DECIDED}),
    DECIDED: frozenset({COMPLETED}),
    COMPLETED: frozenset(),
    ABANDONED: frozenset(),
}
EDITABLE = frozenset({DRAFT, WITHDRAWN, RETURNED})
IN_PROGRESS = frozenset({SUBMITTED, FORWARDED, SCHEDULED})
# Handling-record events (seed 003's 事件 column)
FILLED, SUBMIT, WITHDRAW, RETURN, FORWARD, SCHEDULE = (
    "填写申报书", "提交申报书", "撤回", "退回", "转报", "安排评审")
PASSED, NOT_PASSED, ISSUED, ABANDON = "评审通过", "评审未通过", "发放证书", "删除申报书"


def application_number(day: date, sequence: int) -> str:
    """申报书编号: the Beijing date and a 4-digit sequence of the day, e.g. ``202611230007``."""
    return f"{day:%Y%m%d}{sequence:04d}"


class TitleApplication(Aggregate):
    """One professional's application for one title. Mapped to a table from outside."""

    def __init__(self, *, candidate_id: str, number: str, application_type: str, unit_id: str,
                 unit_name: str, plan_id: str | None, plan_name: str | None, series: str,
                 title_name: str, title_level: str, specialty: str | None, basic: dict,
                 holder: str, holder_deadline: datetime | None, actor: str, now: datetime):
        if application_type not in TYPES:
            raise Invalid("申报项目应为职称初定、职称确认或职称评审", code="title_type_unknown")
        self.id = str(uuid.uuid4())
        self.application_number = number
        self.candidate_id = candidate_id
        self.application_type = application_type
        self.unit_id, self.unit_name = unit_id, unit_name
        self.plan_id, self.plan_name = plan_id, plan_name
        self.series, self.title_name, self.title_level = series, title_name, title_level
        self.specialty = specialty
        self.pledge_signed_at = now  # the integrity pledge is signed before the form opens
        self.basic = dict(basic)
        self.education: list[dict] = []
        self.work_history: list[dict] = []
        self.achievements: list[dict] = []
        self.probation_summary: str | None = None
        self.records: list[dict] = []
        self.state = DRAFT
        self.approved: bool | None = None
        self.pending_holder: str | None = None
        self.pending_role: str | None = None
        self.deadline_at: datetime | None = None
        self.review_started_at: datetime | None = None
        self.meeting_on: date | None = None
        self.votes_for = self.votes_against = self.votes_abstain = None
        self.decided_on: date | None = None
        self.decided_by: str | None = None
        self.issuing_authority: str | None = None
        self.certificate_number: str | None = None
        self.submitted_at: datetime | None = None
        self.live_key: str | None = self.key()
        self.created_at = self.updated_at = now
        self._log(now, actor, None, FILLED, "签署诚信承诺书，开始填写申报书",
                  holder=holder, role="professional", deadline_at=holder_deadline)

    # -- bookkeeping ----------------------------------------------------------------------------
    def key(self) -> str:
        """One live application per professional and plan (评审) or per type (初定 / 确认)."""
        return f"{self.candidate_id}:{self.application_type}:{self.plan_id or '-'}"

    def _log(self, at: datetime, actor: str, actor_unit: str | None, event: str, note: str | None,
             *, holder: str | None, role: str | None, deadline_at: datetime | None) -> None:
        self.pending_holder, self.pending_role, self.deadline_at = holder, role, deadline_at
        self.records = [*self.records, {
            "at": at.isoformat(), "actor": actor, "actor_unit": actor_unit, "event": event,
            "note": note, "pending_holder": holder, "pending_role": role,
            "deadline_at": deadline_at.isoformat() if deadline_at else None}]
        self.updated_at = at

    def _move(self, to: str, at: datetime) -> None:
        if to not in TRANSITIONS[self.state]:
            raise Conflict(f"申报书当前状态为“{self.state_label}”，不能进行此操作",
                           code="title_wrong_state", state=self.state)
        self.state = to
        self.updated_at = at
        if to in (ABANDONED, DECIDED, COMPLETED):
            self.live_key = None

    def _fact(self, at: datetime) -> dict:
        return dict(application_id=self.id, application_number=self.application_number,
                    candidate_id=self.candidate_id, application_type=self.application_type,
                    unit_id=self.unit_id, plan_id=self.plan_id, at=at)

    @property
    def state_label(self) -> str:
        if self.state == DECIDED:
            return "审核通过，待发放证书" if self.approved else "未通过（已办结）"
        return STATE_LABELS[self.state]

    @property
    def type_label(self) -> str:
        return TYPES[self.application_type]

    @property
    def is_review(self) -> bool:
        return self.application_type == REVIEW

    def return_reasons(self) -> list[dict]:
        return [{"actor": r["actor"], "actor_unit": r["actor_unit"], "at": r["at"],
                 "reason": r["note"]} for r in self.records if r["event"] == RETURN]

    # -- the professional -----------------------------------------------------------------------
    def check_editable(self) -> None:
        if self.state not in EDITABLE:
            hint = "；如需修改，请联系当前待办单位退回" if self.state in IN_PROGRESS else ""
            raise Conflict(f"申报书当前状态为“{self.state_label}”，不能修改{hint}",
                           code="title_wrong_state", state=self.state)

    def save_section(self, name: str, value, at: datetime) -> None:
        """Save-as-you-go: one section at a time, nothing else touched."""
        self.check_editable()
        if name == "basic":
            self.basic = {**self.basic, **value}
        elif name in ("education", "work_history", "achievements"):
            setattr(self, name, [dict(v) for v in value])
        elif name == "probation_summary":
            self.probation_summary = value
        else:
            raise Invalid("没有这个申报书栏目", code="title_section_unknown")
        self.updated_at = at

    def submit(self, at: datetime, *, actor: str, incomplete: list[str], unit_deadline: datetime
               ) -> None:
        if self.state not in (DRAFT, WITHDRAWN, RETURNED):
            raise Conflict(f"申报书当前状态为“{self.state_label}”，不能提交",
                           code="title_wrong_state", state=self.state)
        if incomplete:
            raise Invalid(f"申报书尚未填写完整：{'、'.join(incomplete)}",
                          code="title_section_incomplete", sections=incomplete)
        self._move(SUBMITTED, at)
        self.submitted_at = at
        self.review_started_at = None
        self._log(at, actor, None, SUBMIT, None, holder=self.unit_name, role="unit",
                  deadline_at=unit_deadline)
        self.record("registration.title_application.submitted", self.id, **self._fact(at),
                    title_name=self.title_name, title_level=self.title_level,
                    deadline_at=unit_deadline)

    def withdraw(self, at: datetime, *, actor: str) -> None:
        if self.state == SUBMITTED and self.review_started_at is not None:
            raise Conflict("受理单位已开始审核，不能撤回；如需修改，请在办理记录中查看待办单位并联系其退回",
                           code="title_review_started")
        if self.state != SUBMITTED:
            raise Conflict(f"申报书当前状态为“{self.state_label}”，不能撤回",
                           code="title_wrong_state", state=self.state)
        self._move(WITHDRAWN, at)
        self._log(at, actor, None, WITHDRAW, "申报人撤回申报书", holder=actor, role="professional",
                  deadline_at=None)
        self.record("registration.title_application.withdrawn", self.id, **self._fact(at))

    def abandon(self, at: datetime, *, actor: str) -> None:
        """删除 means giving the application up: it is kept (the record stays), hidden from lists."""
        self._move(ABANDONED, at)
        self._log(at, actor, None, ABANDON, "申报人删除申报书，视为放弃本次申报", holder=None,
                  role=None, deadline_at=None)

    # -- the authorities --------------------------------------------------------------------------
    def opened(self, at: datetime) -> bool:
        """The unit opened a submitted application: from now on only it can give it back."""
        if self.state == SUBMITTED and self.review_started_at is None:
            self.review_started_at = at
            return True
        return False

    def return_(self, at: datetime, *, actor: str, actor_unit: str, reason: str,
                deadline_at: datetime) -> None:
        reason = (reason or "").strip()
        if not reason:
            raise Invalid("退回时请填写原因，申报人将看到该原因", code="title_reason_required",
                          field="reason")
        if self.state not in (SUBMITTED, FORWARDED):
            raise Conflict(f"申报书当前状态为“{self.state_label}”，不能退回",
                           code="title_wrong_state", state=self.state)
        self._move(RETURNED, at)
        self._log(at, actor, actor_unit, RETURN, f"退回给个人，原因：{reason}",
                  holder=self.basic.get("name") or "申报人", role="professional",
                  deadline_at=deadline_at)
        self.record("registration.title_application.returned", self.id, **self._fact(at),
                    returned_by=actor_unit, reason=reason)

    def forward(self, at: datetime, *, actor: str, note: str | None, authority: str,
                deadline_at: datetime) -> None:
        if not self.is_review:
            raise Conflict("职称初定、职称确认由受理单位直接审核办结，无需转报", code="title_wrong_type")
        if self.state != SUBMITTED:
            raise Conflict(f"申报书当前状态为“{self.state_label}”，不能转报",
                           code="title_wrong_state", state=self.state)
        self._move(FORWARDED, at)
        self._log(at, actor, self.unit_name, FORWARD, note or None, holder=authority,
                  role="admin", deadline_at=deadline_at)
        self.record("registration.title_application.forwarded", self.id, **self._fact(at),
                    forwarded_by=self.unit_name, deadline_at=deadline_at)

    def schedule(self, at: datetime, *, actor: str, authority: str, committee: str,
                 meeting_on: date, deadline_at: datetime) -> None:
        if self.state != FORWARDED:
            raise Conflict(f"申报书当前状态为“{self.state_label}”，不能安排评审",
                           code="title_wrong_state", state=self.state)
        self._move(SCHEDULED, at)
        self.meeting_on = meeting_on
        self._log(at, actor, authority, SCHEDULE, f"提交{committee}评审，评审会议日期 "
                  f"{meeting_on:%Y-%m-%d}", holder=committee, role="committee",
                  deadline_at=deadline_at)

    def decide(self, at: datetime, *, actor: str, by: str, approved: bool, note: str | None,
               holder_name: str, document_number_masked: str, issuing_authority: str,
               today: date, votes: Votes | None = None, issue_deadline: datetime | None = None
               ) -> None:
        """The unit (初定 / 确认, from submitted) or the committee (评审, from scheduled) decides."""
        expected = SCHEDULED if self.is_review else SUBMITTED
        if self.state != expected:
            if self.state == SUBMITTED and self.is_review:
                raise Conflict("职称评审须转报评审机构，由评审委员会评审", code="title_wrong_type")
            raise Conflict(f"申报书当前状态为“{self.state_label}”，不能作出评审结论",
                           code="title_wrong_state", state=self.state)
        self._move(DECIDED, at)
        self.approved = approved
        self.decided_on, self.decided_by, self.issuing_authority = today, by, issuing_authority
        if votes is not None:
            self.votes_for, self.votes_against, self.votes_abstain = (
                votes.votes_for, votes.votes_against, votes.votes_abstain)
        tally = (f"赞成 {votes.votes_for} 票，反对 {votes.votes_against} 票，弃权 "
                 f"{votes.votes_abstain} 票" if votes else "")
        text = "；".join(x for x in (tally, (note or "").strip()) if x) or None
        self._log(at, actor, by, PASSED if approved else NOT_PASSED, text,
                  holder=issuing_authority if approved else None,
                  role="issuer" if approved else None,
                  deadline_at=issue_deadline if approved else None)
        self.record("registration.title_application.decided", self.id,
                    application_id=self.id, application_number=self.application_number,
                    candidate_id=self.candidate_id, holder_name=holder_name,
                    document_number_masked=document_number_masked,
                    application_type=self.application_type, title_name=self.title_name,
                    title_level=self.title_level, series=self.series, specialty=self.specialty,
                    approved=approved, votes_for=self.votes_for, votes_against=self.votes_against,
                    votes_abstain=self.votes_abstain, decided_by=by,
                    issuing_authority=issuing_authority, decided_on=today)

    def certificate_issued(self, at: datetime, *, number: str) -> bool:
        """The title certificate was issued: 发放证书, 已办结. False when already recorded."""
        if self.state == COMPLETED or self.certificate_number == number:
            return False
        if self.state != DECIDED or not self.approved:
            raise Conflict("申报书未审核通过，不能发放证书", code="title_wrong_state",
                           state=self.state)
        self._move(COMPLETED, at)
        self.certificate_number = number
        self._log(at, self.issuing_authority or "证书系统", self.issuing_authority, ISSUED,
                  f"职称证书编号 {number}，可在“我的证书”中下载", holder=None, role=None,
                  deadline_at=None)
        return True

    def actions(self) -> list[str]:
        """What the professional may do now (the list page's buttons)."""
        out = ["view", "record"]
        if self.state in EDITABLE:
            out += ["edit", "submit", "abandon"]
        if self.state == SUBMITTED and self.review_started_at is None:
            out.append("withdraw")
        if self.state != ABANDONED:
            out.append("download")
        return out

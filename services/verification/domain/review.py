"""The manual-review queue: one item per claim a person has to look at.

An item is opened when a check ends in ``manual_check`` / ``on_site_check`` or when a candidate
disputes a failed check by uploading a proof. A reviewer in scope claims it (one holder at a
time), looks at the candidate's data and proofs, and either decides (passed / failed, a reason
template plus free text) or asks for more proof. With ``second_reviewer`` on, a rejection is
only a first opinion until a different reviewer confirms or overturns it. Every action lands in
the item's ``trail``. The final decision is carried to the check (``Check.decide``), which
announces it with the same ``*.verified`` event as an automatic verdict.

States: waiting → claimed → decided; claimed → proof_requested → (proof uploaded) → waiting;
claimed → awaiting_second → claimed (by another reviewer) → decided; claimed →
on_site_scheduled (an appointment at a review point) → claimed on the day → decided; any open →
cancelled (a newer claim from the candidate replaced what was being reviewed).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from services.common.domain import Aggregate
from services.common.errors import Conflict, Forbidden, Invalid
from services.verification.domain.calendar import WorkCalendar

STATES = ("waiting", "claimed", "proof_requested", "awaiting_second", "on_site_scheduled",
          "decided", "cancelled")
OPEN = frozenset({"waiting", "claimed", "proof_requested", "awaiting_second",
                  "on_site_scheduled"})
CLAIMABLE = ("waiting", "awaiting_second", "on_site_scheduled")
TIMED = ("waiting", "claimed", "awaiting_second", "on_site_scheduled")  # deadline applies
CLOSED = frozenset({"decided", "cancelled"})
STATE_LABELS = {"waiting": "待审核", "claimed": "审核中", "proof_requested": "待补充证明",
                "awaiting_second": "待复核（第二审核人）", "on_site_scheduled": "已预约现场核验",
                "decided": "已决定", "cancelled": "已撤销"}
CAUSES = {"manual_check": "需人工核验", "on_site_check": "需现场核验", "dispute": "考生申诉（上传证明）"}
DECISIONS = ("passed", "failed")
DEFAULT_QUEUE = ""  # the province of items nobody's registration context places yet


@dataclass(frozen=True)
class ReviewConfig:
    """Settings ``review_deadline_days`` (2), ``review_second_reviewer`` (off),
    ``review_default_province`` ("" = 未分配), ``onsite_slot_capacity`` (20) and the holiday
    calendar."""
    deadline_days: int = 2
    second_reviewer: bool = False
    default_province: str = DEFAULT_QUEUE
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    slot_capacity: int = 20  # candidates a review point receives per on-site slot

    def deadline(self, now: datetime) -> datetime:
        return self.calendar.deadline(now, self.deadline_days)


@dataclass(frozen=True)
class ReasonTemplate:
    code: str
    outcome: str  # passed | failed | proof
    text: str


REASON_TEMPLATES = {t.code: t for t in (
    ReasonTemplate("proof_consistent", "passed", "证明材料与填写的学历信息一致，核验通过"),
    ReasonTemplate("archive_confirmed", "passed", "经档案或发证单位核实，学历信息属实"),
    ReasonTemplate("onsite_confirmed", "passed", "现场核验原件无误"),
    ReasonTemplate("proof_inconsistent", "failed", "证明材料与填写的学历信息不一致"),
    ReasonTemplate("proof_unreadable", "failed", "证明材料模糊或不完整，无法核实"),
    ReasonTemplate("not_genuine", "failed", "经核实，证书信息不真实"),
    ReasonTemplate("level_not_met", "failed", "学历层次与填写内容不符"),
    ReasonTemplate("need_certificate", "proof", "请上传毕业证书扫描件（PDF 或 JPEG）"),
    ReasonTemplate("need_chsi_report", "proof", "请上传《教育部学历证书电子注册备案表》或学历认证报告"),
    ReasonTemplate("need_clearer_copy", "proof", "证明材料不清晰，请重新上传清晰、完整的扫描件"),
)}


def compose_reason(template_code: str, note: str | None, *, outcome: str) -> str:
    """The reason the candidate reads: the template's text, then the reviewer's note."""
    t = REASON_TEMPLATES.get(template_code)
    if t is None or t.outcome != outcome:
        raise Invalid("请选择与决定相符的理由模板", code="reason_template_invalid",
                      field="reason_code")
    note = (note or "").strip()
    return f"{t.text}。{note}" if note else t.text


class ReviewItem(Aggregate):
    def __init__(self, *, check_id: str, candidate_id: str, kind: str, cause: str,
                 province: str, review_point: str | None, province_source: str,
                 deadline: datetime, now: datetime, summary: str | None = None):
        if cause not in CAUSES:
            raise ValueError(f"unknown cause {cause!r}")
        self.id = str(uuid.uuid4())
        self.check_id = check_id
        self.candidate_id = candidate_id
        self.kind = kind
        self.cause = cause
        self.summary = summary  # why it is here (the check's reason when it was opened)
        self.province = province
        self.review_point = review_point
        self.province_source = province_source  # application | document | default
        self.status = "waiting"
        self.claimed_by: str | None = None
        self.claimed_at: datetime | None = None
        self.first_decision: dict | None = None
        self.outcome: str | None = None
        self.reason_code: str | None = None
        self.reason: str | None = None
        self.decided_by: str | None = None
        self.decided_at: datetime | None = None
        self.proof_request: str | None = None
        self.deadline: datetime | None = deadline
        self.overdue = False
        self.escalated_at: datetime | None = None
        self.appointment: dict | None = None  # on-site check: review point and time slot
        self.trail: list = []
        self.created_at = now
        self.updated_at = now
        self._log(now, "system", "opened", cause=cause, province=province or None)

    # -- helpers -----------------------------------------------------------------------------
    def _log(self, now: datetime, actor: str, action: str, **detail) -> None:
        # A new list, so the ORM sees the JSON column change.
        self.trail = [*(self.trail or []), {"at": now.isoformat(), "actor": actor,
                                            "action": action, **detail}]
        self.updated_at = now

    def state(self) -> dict:
        """What a refused caller is told about the item as it stands."""
        return {"id": self.id, "status": self.status, "status_label": STATE_LABELS[self.status],
                "outcome": self.outcome, "reason": self.reason, "decided_by": self.decided_by,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None,
                "claimed_by": self.claimed_by}

    def _refuse_closed(self) -> None:
        if self.status == "decided":
            raise Conflict("该核验事项已有审核结论，不能重复决定", code="already_decided",
                           current=self.state())
        if self.status == "cancelled":
            raise Conflict("考生已修改信息，该核验事项已撤销", code="item_cancelled",
                           current=self.state())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    # -- reviewer actions -------------------------------------------------------------------
    def claim(self, reviewer: str, now: datetime) -> None:
        self._refuse_closed()
        if self.status == "claimed":
            if self.claimed_by == reviewer:
                return  # a repeated click: already theirs
            raise Conflict(f"该事项已由 {self.claimed_by} 领取", code="already_claimed",
                           current=self.state())
        if self.status == "proof_requested":
            raise Conflict("正在等待考生补充证明，暂不能领取", code="awaiting_proof",
                           current=self.state())
        if self.status not in CLAIMABLE:
            raise Conflict("该事项当前不能领取", code="not_claimable", current=self.state())
        if self.status == "awaiting_second" and self.first_decision["by"] == reviewer:
            raise Conflict("不通过的决定需由另一名审核人员复核", code="second_reviewer_required",
                           current=self.state())
        self.status = "claimed"
        self.claimed_by, self.claimed_at = reviewer, now
        self._log(now, reviewer, "claimed")

    def release(self, reviewer: str, now: datetime) -> None:
        self._require_holder(reviewer)
        self.status = ("awaiting_second" if self.first_decision else
                       "on_site_scheduled" if self.appointment else "waiting")
        self.claimed_by = self.claimed_at = None
        self._log(now, reviewer, "released")

    def _require_holder(self, reviewer: str) -> None:
        self._refuse_closed()
        if self.status != "claimed":
            raise Conflict("请先领取该事项", code="not_claimed", current=self.state())
        if self.claimed_by != reviewer:
            raise Forbidden(f"该事项由 {self.claimed_by} 领取，您不能操作", code="claimed_by_other")

    def decide(self, reviewer: str, outcome: str, reason_code: str, note: str | None,
               now: datetime, *, second_reviewer: bool) -> bool:
        """Record a decision; True when it is final (the check must be told)."""
        self._refuse_closed()
        if outcome not in DECISIONS:
            raise Invalid("审核结论应为通过或不通过", code="outcome_invalid", field="outcome")
        self._require_holder(reviewer)
        reason = compose_reason(reason_code, note, outcome=outcome)
        if outcome == "failed" and second_reviewer and self.first_decision is None:
            self.first_decision = {"by": reviewer, "outcome": outcome, "reason_code": reason_code,
                                   "reason": reason, "at": now.isoformat()}
            self.status = "awaiting_second"
            self.claimed_by = self.claimed_at = None
            self._log(now, reviewer, "first_rejection", reason_code=reason_code, reason=reason)
            return False
        self.status = "decided"
        self.outcome, self.reason_code, self.reason = outcome, reason_code, reason
        self.decided_by, self.decided_at = reviewer, now
        self.claimed_by = self.claimed_at = None
        self.deadline = None
        action = "decided" if self.first_decision is None else (
            "rejection_confirmed" if outcome == "failed" else "rejection_overturned")
        self._log(now, reviewer, action, outcome=outcome, reason_code=reason_code, reason=reason)
        return True

    def schedule_on_site(self, reviewer: str, *, review_point: str, starts_at: datetime,
                         ends_at: datetime, place: str, deadline: datetime, now: datetime
                         ) -> None:
        """Book an on-site check: the candidate brings originals to a review point in a slot.

        The outcome is recorded on this item later (claim on the day, decide); the deadline
        moves to the appointment (``deadline``: the end of the working day after it).
        """
        self._require_holder(reviewer)
        if not starts_at < ends_at:
            raise Invalid("结束时间应晚于开始时间", code="slot_invalid", field="ends_at")
        if starts_at <= now:
            raise Invalid("预约时间应晚于当前时间", code="slot_in_past", field="starts_at")
        self.appointment = {"review_point": review_point, "place": place,
                            "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(),
                            "booked_by": reviewer, "booked_at": now.isoformat()}
        self.status = "on_site_scheduled"
        self.claimed_by = self.claimed_at = None
        self.review_point = review_point
        self.deadline = deadline
        self.overdue = False
        self._log(now, reviewer, "on_site_scheduled", review_point=review_point, place=place,
                  starts_at=starts_at.isoformat())

    def request_proof(self, reviewer: str, reason_code: str, note: str | None,
                      now: datetime) -> None:
        self._require_holder(reviewer)
        self.proof_request = compose_reason(reason_code, note, outcome="proof")
        self.status = "proof_requested"
        self.claimed_by = self.claimed_at = None
        self.deadline = None  # the clock stops while the candidate gathers proof
        self.overdue = False
        self._log(now, reviewer, "proof_requested", reason_code=reason_code,
                  reason=self.proof_request)

    # -- what happens around it ---------------------------------------------------------------
    def proof_added(self, proof_id: str, deadline: datetime, now: datetime, actor: str) -> None:
        """A candidate uploaded a proof: a requested one puts the item back in the queue."""
        self._refuse_closed()
        if self.status == "proof_requested":
            self.status = "waiting"
            self.deadline = deadline
            self.overdue = False
        self._log(now, actor, "proof_uploaded", proof_id=proof_id)

    def move_to(self, province: str, review_point: str | None, source: str, now: datetime
                ) -> bool:
        """Re-file an unclaimed item when the candidate's registration context becomes known."""
        if not self.is_open or (province, review_point) == (self.province, self.review_point):
            return False
        self.province, self.review_point, self.province_source = province, review_point, source
        self._log(now, "system", "requeued", province=province or None,
                  review_point=review_point)
        return True

    def cancel(self, now: datetime, why: str) -> None:
        if not self.is_open:
            return
        self.status = "cancelled"
        self.claimed_by = self.claimed_at = None
        self.appointment = None
        self.deadline = None
        self._log(now, "system", "cancelled", why=why)

    def mark_overdue(self, now: datetime) -> bool:
        """The periodic escalation: flag an open item past its deadline (once)."""
        if (self.overdue or self.deadline is None or self.deadline > now
                or self.status not in TIMED):
            return False
        self.overdue = True
        self.escalated_at = now
        self._log(now, "system", "escalated", deadline=self.deadline.isoformat())
        self.record("verification.review.escalated", subject=self.candidate_id, item_id=self.id,
                    candidate_id=self.candidate_id, kind=self.kind,
                    province=self.province or None, review_point=self.review_point,
                    status=self.status, claimed_by=self.claimed_by,
                    deadline=self.deadline.isoformat(), escalated_at=now.isoformat())
        return True


def visible_to(scope: dict, *, all_queues: bool, province: str, review_point: str | None) -> bool:
    """Whether a reviewer with ``scope`` may see an item filed under province / review point.

    Admins (``all_queues``) see everything. A reviewer scoped to a province sees that province;
    scoped also to a review point, they see their point's items and the province's items that no
    review point claims yet. A reviewer with no province sees only the default queue.
    """
    if all_queues:
        return True
    mine = (scope or {}).get("province") or DEFAULT_QUEUE
    if province != mine:
        return False
    point = (scope or {}).get("review_point")
    return not point or review_point in (None, point)


def queue_for(*, application_province: str | None, application_review_point: str | None = None,
              document_type: str | None = None, document_number_masked: str | None = None,
              default: str = DEFAULT_QUEUE) -> tuple[str, str | None, str]:
    """Where an item is filed: (province, review point, source).

    1. the province of the candidate's latest exam application (registration's event), the
       review point with it when known;
    2. else the province coded in the first two digits of a resident ID (the masked number keeps
       them), a stand-in until the candidate applies;
    3. else the configured default queue (``review_default_province``, empty = "未分配").
    """
    if application_province:
        return application_province, application_review_point, "application"
    masked = document_number_masked or ""
    if document_type == "resident_id" and masked[:2].isdigit() and masked[0] in "123456789":
        return masked[:2], None, "document"
    return default, None, "default"

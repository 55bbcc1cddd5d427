"""The exam application (报名) and its state machine, as plain Python.

    draft ─(confirm)─► submitted …   (the seed-002 flow saves a draft first; the quick path
      ▲                               ``POST /applications`` starts at submitted)
      └── modify: from submitted, under_review, returned or approved (never after payment)

    submitted ─► under_review ─► approved ─► paid ─► admit_card_issued ─► scores_published
                    │   ▲            │         │            │
                    ▼   │            ▼         ▼            ▼
                 returned ─┘      withdrawn   refunded    refunded
                                  expired (unpaid when the payment window closed)

Every move goes through ``_move`` (the one place that checks ``TRANSITIONS`` and writes the
history), so later rounds add states (commitment signed, proofs uploaded, online / on-site
review, post-exam check) by adding rows, not by touching the moves that exist.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from services.common.domain import Aggregate
from services.common.errors import Conflict

DRAFT = "draft"
SUBMITTED = "submitted"
UNDER_REVIEW = "under_review"
RETURNED = "returned"
APPROVED = "approved"
PAID = "paid"
ADMIT_CARD_ISSUED = "admit_card_issued"
SCORES_PUBLISHED = "scores_published"
WITHDRAWN = "withdrawn"
REFUNDED = "refunded"
CANCELLED = "cancelled"
EXPIRED = "expired"

STATE_LABELS = {
    DRAFT: "已保存，待确认提交", SUBMITTED: "已提交", UNDER_REVIEW: "资格审核中", RETURNED: "审核未通过（已退回）",
    APPROVED: "审核通过，待缴费", PAID: "已缴费", ADMIT_CARD_ISSUED: "准考证已生成",
    SCORES_PUBLISHED: "成绩已发布", WITHDRAWN: "已撤回", REFUNDED: "已退费",
    CANCELLED: "考试已取消", EXPIRED: "已过期（未在缴费截止前缴费）",
}
TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({SUBMITTED, WITHDRAWN, CANCELLED}),
    SUBMITTED: frozenset({UNDER_REVIEW, APPROVED, RETURNED, WITHDRAWN, DRAFT, CANCELLED}),
    UNDER_REVIEW: frozenset({APPROVED, RETURNED, WITHDRAWN, DRAFT, CANCELLED}),
    RETURNED: frozenset({UNDER_REVIEW, WITHDRAWN, DRAFT, CANCELLED}),
    APPROVED: frozenset({PAID, WITHDRAWN, DRAFT, CANCELLED, EXPIRED}),
    PAID: frozenset({ADMIT_CARD_ISSUED, REFUNDED, CANCELLED}),
    ADMIT_CARD_ISSUED: frozenset({SCORES_PUBLISHED, REFUNDED, CANCELLED}),
    SCORES_PUBLISHED: frozenset(),
    WITHDRAWN: frozenset(),
    REFUNDED: frozenset(),
    CANCELLED: frozenset({REFUNDED}),
    EXPIRED: frozenset({PAID}),  # money taken in time whose news arrived after the expiry
}
BEFORE_PAYMENT = frozenset({DRAFT, SUBMITTED, UNDER_REVIEW, RETURNED, APPROVED})
PAID_STATES = frozenset({PAID, ADMIT_CARD_ISSUED})
# No payment ever reached these (withdrawal and expiry happen before payment): such an
# application has no admit card, scores or post-exam check yet.
NEVER_PAID = BEFORE_PAYMENT | {WITHDRAWN, EXPIRED}
ENDED = frozenset({WITHDRAWN, REFUNDED, CANCELLED, EXPIRED})


def application_number(year: int, province: str, exam_code: str, sequence: int) -> str:
    """报名序号: year (4) + province code (2) + exam code + a 6-digit sequence per sitting and
    province, e.g. ``202650JJ000001``. Readable aloud on the phone and sortable."""
    return f"{year:04d}{province}{exam_code}{sequence:06d}"


class Application(Aggregate):
    """One candidate's application for one sitting. Mapped to a table from outside."""

    def __init__(self, *, candidate_id: str, sitting_id: str, exam_code: str, exam_name: str,
                 province: str, city: str, level: str, specialty: str | None, subjects: list[str],
                 number: str, fee_per_subject_fen: int, amount_fen: int, review_mode: str,
                 now: datetime, draft: bool = False, review_point: str | None = None,
                 commitment_mode: bool = False, exempt_subjects: list[dict] | None = None,
                 id: str | None = None):
        self.id = id or str(uuid.uuid4())
        self.application_number = number
        self.candidate_id = candidate_id
        self.sitting_id = sitting_id
        self.exam_code = exam_code
        self.exam_name = exam_name
        self.province = province
        self.city = city
        self.level = level
        self.specialty = specialty
        self.subjects = list(subjects)
        self.fee_per_subject_fen = fee_per_subject_fen
        self.amount_fen = amount_fen
        self.review_mode = review_mode
        self.review_reason: str | None = None
        self.order_number: str | None = None
        self.qualified = False
        self.review_point = review_point
        self.archive_number = number  # a new candidate's archive number is their first number
        self.commitment_mode = commitment_mode
        self.exempt_subjects = list(exempt_subjects or [])
        self.letter_signed_at: datetime | None = None
        self.warnings: list[str] = []
        self.history: list[dict] = []
        self.created_at = now
        self.updated_at = now
        self.live_key: str | None = self._live_key()
        if draft:
            self.state = DRAFT
            self._note(now, DRAFT, "报名信息已保存，已生成报名序号")
        else:
            self.state = SUBMITTED
            self._note(now, SUBMITTED, "报名信息已提交")
            self._submitted(now)

    def _submitted(self, now: datetime) -> None:
        self.record("registration.application.submitted", self.id, application_id=self.id,
                    application_number=self.application_number, candidate_id=self.candidate_id,
                    sitting_id=self.sitting_id, exam_code=self.exam_code, province=self.province,
                    level=self.level, specialty=self.specialty, subjects=self.subjects,
                    review_point=self.review_point, submitted_at=now)

    # -- the one place a state changes ---------------------------------------------------
    def _live_key(self) -> str:
        """Unique per candidate and sitting while the application is alive (NULL once ended)."""
        return f"{self.candidate_id}:{self.sitting_id}"

    def _note(self, at: datetime, state: str, note: str) -> None:
        self.history = [*self.history, {"at": at.isoformat(), "state": state, "note": note}]

    def _move(self, to: str, at: datetime, note: str) -> None:
        if to not in TRANSITIONS[self.state]:
            raise Conflict(f"当前状态“{STATE_LABELS[self.state]}”不能变为“{STATE_LABELS[to]}”",
                           code="state_conflict")
        self.state = to
        self.updated_at = at
        if to in ENDED:
            self.live_key = None
        self._note(at, to, note)

    @property
    def ever_draft(self) -> bool:
        """Proofs are uploaded to drafts only: an application never saved as a draft (the quick
        path) has none."""
        return any(h["state"] == DRAFT for h in self.history)

    def remark(self, at: datetime, note: str) -> None:
        """A history line that changes no state (a late payment, a seat shortage)."""
        self._note(at, self.state, note)

    def can(self, to: str) -> bool:
        return to in TRANSITIONS[self.state]

    # -- qualification review -------------------------------------------------------------
    def await_review(self, at: datetime, note: str) -> None:
        if self.state == UNDER_REVIEW:
            if self.history[-1]["note"] != note:
                self._note(at, UNDER_REVIEW, note)
            return
        self._move(UNDER_REVIEW, at, note)

    def approve(self, at: datetime, *, payment_deadline: datetime, description: str) -> None:
        self.review_reason = None
        self._move(APPROVED, at, "资格审核通过，请在缴费期内缴费")
        self.record("registration.application.reviewed", self.id, application_id=self.id,
                    application_number=self.application_number, candidate_id=self.candidate_id,
                    outcome="approved", reason=None, mode=self.review_mode, reviewed_at=at)
        self.record("registration.payment.requested", self.id, application_id=self.id,
                    application_number=self.application_number, candidate_id=self.candidate_id,
                    province=self.province, description=description,
                    fee_per_subject_fen=self.fee_per_subject_fen,
                    subject_count=len(self.subjects), amount_fen=self.amount_fen,
                    payment_deadline=payment_deadline)

    def return_(self, at: datetime, reason: str) -> None:
        self.review_reason = reason
        self._move(RETURNED, at, f"资格审核未通过：{reason}")
        self.record("registration.application.reviewed", self.id, application_id=self.id,
                    application_number=self.application_number, candidate_id=self.candidate_id,
                    outcome="returned", reason=reason, mode=self.review_mode, reviewed_at=at)

    # -- the candidate's own moves -------------------------------------------------------------
    def check_editable(self) -> None:
        """Seed 004: level, specialty and subjects are fixed once paid; say why when refused."""
        if self.state in ENDED:
            raise Conflict("该报名已结束，不能修改", code="already_ended")
        if self.state not in BEFORE_PAYMENT:
            raise Conflict("已缴费的报名不能修改：按规定，缴费后报考级别、专业和科目不可更改",
                           code="edit_after_payment")

    def modify(self, at: datetime, *, city: str, review_point: str | None, level: str,
               specialty: str | None, subjects: list[str], exempt_subjects: list[dict],
               commitment_mode: bool, fee_per_subject_fen: int, amount_fen: int) -> None:
        """Change the form; a submitted application goes back to draft and is confirmed again."""
        self.check_editable()
        if commitment_mode != self.commitment_mode:
            self.letter_signed_at = None
        self.city, self.review_point, self.level, self.specialty = city, review_point, level, specialty
        self.subjects, self.exempt_subjects = list(subjects), list(exempt_subjects)
        self.commitment_mode = commitment_mode
        self.fee_per_subject_fen, self.amount_fen = fee_per_subject_fen, amount_fen
        self.warnings = []
        if self.state == DRAFT:
            self.updated_at = at
            self._note(at, DRAFT, "报名信息已修改")
        else:
            self._move(DRAFT, at, "考生修改报名信息，需重新确认提交")

    def sign_letter(self, at: datetime) -> None:
        if not self.commitment_mode:
            raise Conflict("未选择告知承诺制，无需签署告知承诺书", code="not_commitment_mode")
        self.check_editable()
        if self.state != DRAFT:
            raise Conflict("报名已确认提交，如需重新签署请先修改报名信息", code="state_conflict")
        self.letter_signed_at = at
        self._note(at, DRAFT, "已签署告知承诺书（电子文本）")

    def confirm(self, at: datetime, warnings: list[str]) -> None:
        """The candidate confirms the saved form: it goes to qualification review."""
        if self.commitment_mode and self.letter_signed_at is None:
            raise Conflict("请先签署告知承诺书", code="letter_not_signed")
        self.warnings = list(warnings)
        self._move(SUBMITTED, at, "报名信息已确认提交")
        self._submitted(at)

    def withdraw(self, at: datetime) -> None:
        if self.state not in BEFORE_PAYMENT:
            if self.state in ENDED:
                raise Conflict("该报名已结束，无需撤回", code="already_ended")
            raise Conflict("已缴费的报名不能撤回；按规定，完成报名后所缴费用不予退还",
                           code="withdraw_after_payment")
        self._move(WITHDRAWN, at, "考生撤回报名")

    # -- money and the exam -----------------------------------------------------------------
    def paid(self, at: datetime, *, order_number: str, amount_fen: int,
             in_window: bool = False) -> bool:
        """Payment confirmed; False when nothing changes (a repeat, or too late to accept).

        ``in_window``: the money was taken within the payment window. An application that
        expired while that news was on its way (a lost notification, found by a query or the
        statement) is reinstated: the candidate paid in time."""
        if self.order_number == order_number and self.state not in BEFORE_PAYMENT:
            return False
        if self.state == EXPIRED and in_window:
            self.order_number = order_number
            self._move(PAID, at, "缴费已在截止前完成（支付结果在报名过期后才送达），报名已恢复")
            return True
        if self.state != APPROVED:
            self._note(at, self.state, f"收到订单 {order_number} 的缴费，但报名状态为“"
                                       f"{STATE_LABELS[self.state]}”，待对账后退费")
            return False
        self.order_number = order_number
        note = "缴费成功" if amount_fen == self.amount_fen else \
            f"缴费成功（实缴 {amount_fen} 分，应缴 {self.amount_fen} 分，待对账）"
        self._move(PAID, at, note)
        return True

    def expire(self, at: datetime, *, payment_deadline: datetime) -> bool:
        """Seed 004: nothing is paid after the payment window; an approved application still
        unpaid when it closes ends here (False when it is no longer waiting for payment)."""
        if self.state != APPROVED:
            return False
        self._move(EXPIRED, at, "缴费截止前未缴费，报名已过期")
        self.record("registration.application.expired", self.id, application_id=self.id,
                    application_number=self.application_number, candidate_id=self.candidate_id,
                    sitting_id=self.sitting_id, province=self.province,
                    payment_deadline=payment_deadline, expired_at=at)
        return True

    def admit_card_issued(self, at: datetime, *, number: str, exam_name: str, site: str,
                          room: str, seat: int) -> None:
        self._move(ADMIT_CARD_ISSUED, at, f"准考证已生成：{site} {room} 第 {seat} 座")
        self.record("registration.admit_card.issued", self.id, application_id=self.id,
                    application_number=self.application_number, candidate_id=self.candidate_id,
                    admit_card_number=number, exam_name=exam_name, site=site, room=room, seat=seat)

    def cancel(self, at: datetime, reason: str) -> bool:
        """The sitting or position is cancelled (seed 001); True when a refund is owed."""
        owed = self.state in PAID_STATES and self.order_number is not None
        self._move(CANCELLED, at, f"考试已取消：{reason}" + ("，所缴费用将原路退回" if owed else ""))
        self.record("registration.application.cancelled", self.id, application_id=self.id,
                    application_number=self.application_number, candidate_id=self.candidate_id,
                    sitting_id=self.sitting_id, exam_name=self.exam_name, reason=reason,
                    refund=owed, cancelled_at=at)
        if owed:
            self.record("registration.refund.requested", self.id, application_id=self.id,
                        application_number=self.application_number,
                        candidate_id=self.candidate_id, order_number=self.order_number,
                        amount_fen=self.amount_fen, reason=f"考试取消：{reason}", requested_at=at)
        return owed

    def refunded(self, at: datetime, *, order_number: str, reason: str) -> bool:
        """A refund of this application's own order ends it; refunds of duplicate orders don't."""
        if order_number != self.order_number or not self.can(REFUNDED):
            self._note(at, self.state, f"订单 {order_number} 已退费：{reason}")
            return False
        self._move(REFUNDED, at, f"已退费：{reason}")
        return True

    def scores_published(self, at: datetime, *, exam_name: str, scores: list[dict],
                         qualified: bool | None = None) -> None:
        """``qualified`` comes from the caller when carried-over or exempt subjects count."""
        self.qualified = (bool(scores) and all(s["passed"] for s in scores)) if qualified is None \
            else qualified
        self._move(SCORES_PUBLISHED, at, "成绩已发布" + ("，全部科目合格" if self.qualified else ""))
        self.record("registration.scores.published", self.id, application_id=self.id,
                    application_number=self.application_number, candidate_id=self.candidate_id,
                    exam_name=exam_name, scores=scores, published_at=at)

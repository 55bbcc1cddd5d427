"""The refund state machine: persisted, and safe against a provider that fails or times out.

    requested ──submit──► processing ──succeed──► succeeded
        │ (held until      │  ▲ └──fail──► failed ──submit (retry, same refund number)──┘
        │  not_before)     └──┘ lease expired (we crashed or the answer was lost): submit again
        └──reject──► rejected (finance: the money must not go back)

Every submission carries the same ``refund_number`` (Alipay's ``out_request_no``), so the
provider refunds at most once however often we ask. A refund never exceeds what the trade paid
minus what was already refunded (or is on its way back).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.common.domain import Aggregate
from services.common.errors import Conflict, Invalid

REQUESTED, PROCESSING, SUCCEEDED, FAILED, REJECTED = (
    "requested", "processing", "succeeded", "failed", "rejected")
STATUS_LABELS = {REQUESTED: "待退费", PROCESSING: "退费处理中", SUCCEEDED: "已退费",
                 FAILED: "退费失败（将重试）", REJECTED: "不予退费"}
TRANSITIONS = {
    REQUESTED: {PROCESSING, REJECTED},
    PROCESSING: {SUCCEEDED, FAILED, PROCESSING},
    FAILED: {PROCESSING, REJECTED},
    SUCCEEDED: set(),
    REJECTED: set(),
}
# Why money goes back (seed 004), and finance's own refunds.
KINDS = {"duplicate_same_order": "同一订单重复缴费", "duplicate_other_order": "不同订单重复缴费",
         "late": "超过缴费期限的缴费", "manual": "财务退费", "cancellation": "取消报名退费"}
LEASE = timedelta(minutes=5)  # a submission without an answer is retried after this
MAX_ATTEMPTS = 8
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))


def refundable_fen(paid_fen: int, already_refunded_fen: int) -> int:
    return max(paid_fen - already_refunded_fen, 0)


def refund_number(now: datetime, random_digits: int) -> str:
    """"RF" + UTC date + 12 random digits (22 characters), Alipay's out_request_no."""
    if not 0 <= random_digits < 10**12:
        raise ValueError("random part must have at most 12 digits")
    return f"RF{now:%Y%m%d}{random_digits:012d}"


class Refund(Aggregate):
    def __init__(self, refund_number: str, order_number: str, trade_no: str, amount_fen: int,
                 kind: str, reason: str, *, now: datetime, not_before: datetime | None,
                 requested_by: str):
        if kind not in KINDS:
            raise ValueError(f"unknown refund kind {kind!r}")
        self.id = str(uuid.uuid4())
        self.refund_number = refund_number
        self.order_number = order_number
        self.trade_no = trade_no
        self.amount_fen = amount_fen
        self.kind = kind
        self.reason = reason
        self.status = REQUESTED
        self.created_at = now
        self.not_before = not_before  # None: held until released (exam reconciled, finance)
        self.next_attempt_at: datetime | None = not_before
        self.attempts = 0
        self.last_error: str | None = None
        self.requested_by = requested_by
        self.finished_at: datetime | None = None

    @classmethod
    def request(cls, refund_number: str, order_number: str, trade_no: str, amount_fen: int,
                kind: str, reason: str, *, paid_fen: int, already_refunded_fen: int,
                now: datetime, not_before: datetime | None, requested_by: str) -> Refund:
        if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
            raise Invalid("退费金额必须是大于零的整数（分）", code="refund_amount")
        if amount_fen > refundable_fen(paid_fen, already_refunded_fen):
            raise Invalid("退费金额超过可退金额", code="refund_exceeds_paid")
        return cls(refund_number, order_number, trade_no, amount_fen, kind, reason, now=now,
                   not_before=not_before, requested_by=requested_by)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def held(self) -> bool:
        return self.status == REQUESTED and self.not_before is None

    def counts_against_paid(self) -> bool:
        return self.status != REJECTED

    def is_due(self, now: datetime) -> bool:
        if self.status in (REQUESTED, FAILED, PROCESSING):
            return self.next_attempt_at is not None and self.next_attempt_at <= now
        return False

    def _move(self, to: str, now: datetime) -> None:
        if to not in TRANSITIONS[self.status]:
            raise Conflict(f"退费单状态为{self.status_label}，不能再{STATUS_LABELS[to]}",
                           code="refund_state")
        self.status = to

    def release(self, now: datetime) -> bool:
        """A held refund may go now (the exam was reconciled, or finance says so)."""
        if self.status != REQUESTED or self.not_before is not None:
            return False
        self.not_before = self.next_attempt_at = now
        return True

    def submit(self, now: datetime) -> None:
        """About to call the provider: lease the refund so a crash leads to a retry, not a loss."""
        self._move(PROCESSING, now)
        self.attempts += 1
        self.next_attempt_at = now + LEASE

    def succeed(self, now: datetime) -> None:
        self._move(SUCCEEDED, now)
        self.finished_at, self.next_attempt_at, self.last_error = now, None, None

    def fail(self, now: datetime, error: str) -> None:
        """The provider refused or could not be reached; retried later with the same number."""
        self._move(FAILED, now)
        self.last_error = error[:300]
        if self.attempts >= MAX_ATTEMPTS:
            self.next_attempt_at = None  # finance decides (retry or reject) in the dashboard
        else:
            self.next_attempt_at = now + BACKOFF[min(self.attempts, len(BACKOFF)) - 1]

    def retry(self, now: datetime) -> None:
        """Finance asks for another attempt after the automatic ones ran out."""
        if self.status != FAILED:
            raise Conflict("只有退费失败的退费单可以重试", code="refund_state")
        self.next_attempt_at = now

    def reject(self, now: datetime, reason: str) -> None:
        self._move(REJECTED, now)
        self.finished_at, self.next_attempt_at = now, None
        self.last_error = reason[:300]

"""Orders and their state machine.

    pending ──pay──► paid ──refund (all of it)──► refunded
       │ ├─expire──► expired ──pay (money taken in time, news came late)──► paid
       │ └─cancel──► cancelled (a newer payment request replaced it, or the application expired)
       │                └──pay in time, the application had only expired──► paid

``apply_payment`` says what a confirmed trade means (an ``Outcome``); money that must go back
(seed 004) is marked ``refund_due`` and the service layer opens a refund for it:

- ``duplicate_same_order``: a second, different trade for a paid order → refunded after
  registration closes (the order's payment deadline);
- ``duplicate_other_order``: a payment for a cancelled order (the application was re-confirmed
  and has a newer order) → refunded after the exam's reconciliation;
- ``late``: money taken after the order's expiry (no payment after the window) → refunded now.

Money taken before the order expired is never "late", whenever its news arrives: an order
cancelled because its application expired (registration gave up waiting while the provider's
answer was on its way) becomes paid, and registration reinstates the application.

Confirming the same trade twice changes nothing.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.domain import Aggregate
from services.common.errors import Conflict, Invalid

PENDING, PAID, EXPIRED, CANCELLED, REFUNDED = "pending", "paid", "expired", "cancelled", "refunded"
STATUSES = (PENDING, PAID, EXPIRED, CANCELLED, REFUNDED)
STATUS_LABELS = {PENDING: "待缴费", PAID: "已缴费", EXPIRED: "已过期", CANCELLED: "已作废",
                 REFUNDED: "已退费"}
MAX_ORDER_LIFETIME = timedelta(hours=24)
APPLICATION_EXPIRED = "缴费截止时间已过，报名已过期"  # why registration's expiry cancels an order
CONFIRMED_BY = ("notification", "query", "statement")
# What a confirmed trade meant for its order.
PAID_NOW, ALREADY_KNOWN = "paid_now", "already_known"
DUPLICATE_SAME_ORDER, DUPLICATE_OTHER_ORDER, LATE = (
    "duplicate_same_order", "duplicate_other_order", "late")
REFUND_OUTCOMES = (DUPLICATE_SAME_ORDER, DUPLICATE_OTHER_ORDER, LATE)


def order_number(now: datetime, random_digits: int) -> str:
    """"BK" + UTC date yyyymmdd + 12 random digits, e.g. BK20261123004211938475 (22 chars)."""
    if not 0 <= random_digits < 10**12:
        raise ValueError("random part must have at most 12 digits")
    return f"BK{now:%Y%m%d}{random_digits:012d}"


def expiry(created_at: datetime, payment_deadline: datetime) -> datetime:
    """An order lives 24 hours at most, and never past the sitting's payment deadline."""
    return min(payment_deadline, created_at + MAX_ORDER_LIFETIME)


@dataclass(frozen=True)
class Payment:
    """What the provider says about a trade (from a notification, a query or a statement)."""
    order_number: str
    trade_no: str
    amount_fen: int
    paid_at: datetime
    confirmed_by: str


class Order(Aggregate):
    def __init__(self, *, number: str, application_id: str, application_number: str,
                 candidate_id: str, province: str, description: str, fee_per_subject_fen: int,
                 subject_count: int, amount_fen: int, created_at: datetime,
                 payment_deadline: datetime, request_event_id: str):
        self.id = str(uuid.uuid4())
        self.order_number = number
        self.application_id = application_id
        self.application_number = application_number
        self.candidate_id = candidate_id
        self.province = province
        self.description = description
        self.fee_per_subject_fen = fee_per_subject_fen
        self.subject_count = subject_count
        self.amount_fen = amount_fen
        self.status = PENDING
        self.created_at = created_at
        self.payment_deadline = payment_deadline
        self.expires_at = expiry(created_at, payment_deadline)
        self.request_event_id = request_event_id
        self.paid_at: datetime | None = None
        self.provider_trade_no: str | None = None
        self.confirmed_by: str | None = None
        self.closed_at: datetime | None = None
        self.closed_reason: str | None = None
        self.refund_due = False
        self.refunded_fen = 0
        self.waiver_id: str | None = None
        self.last_checked_at: datetime | None = None
        self.record("payment.order.created", self.order_number, **self._ids(),
                    expires_at=self.expires_at)

    def _ids(self) -> dict:
        return {"order_number": self.order_number, "application_id": self.application_id,
                "candidate_id": self.candidate_id, "amount_fen": self.amount_fen}

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def is_overdue(self, now: datetime) -> bool:
        return self.status == PENDING and now >= self.expires_at

    def check_payable(self, now: datetime) -> None:
        """May the candidate be sent to the provider's pay page now?"""
        if self.status == PAID:
            raise Conflict("该订单已缴费，无需重复支付", code="order_paid")
        if self.status != PENDING or self.is_overdue(now):
            raise Conflict(f"该订单{STATUS_LABELS[EXPIRED] if self.status == PENDING else self.status_label}，"
                           "不能再支付", code="order_not_payable")

    def confirm_payment(self, payment: Payment) -> bool:
        """Apply a provider's confirmation; True when the order became paid just now."""
        return self.apply_payment(payment) == PAID_NOW

    def apply_payment(self, payment: Payment) -> str:
        """Apply a verified paid trade; return the outcome (see the module docstring)."""
        if payment.confirmed_by not in CONFIRMED_BY:
            raise ValueError(f"unknown confirmation source {payment.confirmed_by!r}")
        if payment.order_number != self.order_number:
            raise Invalid("支付结果与订单号不符", code="order_mismatch")
        if payment.amount_fen != self.amount_fen:
            raise Invalid("支付金额与订单金额不符", code="amount_mismatch")
        if payment.trade_no == self.provider_trade_no:
            return ALREADY_KNOWN
        if self.status in (PAID, REFUNDED):
            self.refund_due = True  # the same order paid twice: return the second payment
            return DUPLICATE_SAME_ORDER
        late = payment.paid_at > self.expires_at and self.status in (PENDING, EXPIRED)
        revived = (self.status == CANCELLED and self.closed_reason == APPLICATION_EXPIRED
                   and payment.paid_at <= self.expires_at)
        if (self.status == CANCELLED and not revived) or late:
            if self.status == PENDING:
                self.expire(max(payment.paid_at, self.expires_at))
            if self.provider_trade_no is None:
                self.provider_trade_no, self.paid_at = payment.trade_no, payment.paid_at
                self.confirmed_by = payment.confirmed_by
            self.refund_due = True
            return DUPLICATE_OTHER_ORDER if self.status == CANCELLED else LATE
        if revived:
            self.closed_at = self.closed_reason = None
        self.status = PAID
        self.paid_at = payment.paid_at
        self.provider_trade_no = payment.trade_no
        self.confirmed_by = payment.confirmed_by
        self.record("payment.order.paid", self.order_number, **self._ids(),
                    paid_at=payment.paid_at, provider_trade_no=payment.trade_no,
                    confirmed_by=payment.confirmed_by)
        return PAID_NOW

    def settle_waived(self, now: datetime, waiver_id: str) -> bool:
        """A zero order (fee waived in full) is paid at once, without the provider."""
        if self.status != PENDING or self.amount_fen != 0:
            return False
        self.status, self.paid_at, self.confirmed_by, self.waiver_id = PAID, now, "waiver", waiver_id
        self.record("payment.order.paid", self.order_number, **self._ids(), paid_at=now,
                    provider_trade_no="", confirmed_by="waiver", waiver_id=waiver_id)
        return True

    def refund_succeeded(self, trade_no: str, amount_fen: int, refund_number: str, reason: str,
                         at: datetime) -> None:
        """Money of one of this order's trades went back; announce when the order's is all back.

        The accepted payment refunded in full ends the order (``refunded``); the payment of a
        cancelled or expired order refunded is announced too (registration notes it). A second
        trade of a paid order, or a partial refund, leaves the order as it is.
        """
        if trade_no != self.provider_trade_no:
            return
        self.refunded_fen += amount_fen
        if self.refunded_fen < self.amount_fen:
            return
        if self.status == PAID:
            self.status = REFUNDED
            self.closed_at, self.closed_reason = at, reason
        self.refund_due = False
        self.record("payment.order.refunded", self.order_number, **self._ids(),
                    refund_number=refund_number, refunded_fen=self.refunded_fen, reason=reason,
                    refunded_at=at)

    def expire(self, now: datetime) -> bool:
        if not self.is_overdue(now):
            return False
        self.status = EXPIRED
        self.closed_at, self.closed_reason = now, "逾期未缴费"
        self.record("payment.order.expired", self.order_number, **self._ids(), expired_at=now)
        return True

    def application_expired(self, now: datetime, payment_deadline: datetime) -> bool:
        """Registration gave up waiting: the window closed with no payment it knew of. The order
        stops being payable at the window's end (it may have been moved earlier since the order
        was made); money taken before then still counts when its news comes (see above)."""
        if self.status != PENDING:
            return False
        self.expires_at = min(self.expires_at, payment_deadline)
        return self.cancel(now, APPLICATION_EXPIRED)

    def cancel(self, now: datetime, reason: str, replaced_by: str | None = None) -> bool:
        """Only an open order is cancelled; a paid one stays paid."""
        if self.status != PENDING:
            return False
        self.status = CANCELLED
        self.closed_at, self.closed_reason = now, reason
        self.record("payment.order.cancelled", self.order_number, **self._ids(),
                    cancelled_at=now, reason=reason, replaced_by=replaced_by)
        return True

"""The order and refund state machines, order numbers and expiry: plain Python."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import Conflict, Invalid
from services.payment.domain import model, refunds
from services.payment.domain.model import Order, Payment

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def make(deadline=NOW + timedelta(days=3), amount=10000) -> Order:
    o = Order(number=model.order_number(NOW, 42), application_id="a1", application_number="N1",
              candidate_id="c1", province="广东", description="报名费", fee_per_subject_fen=5000,
              subject_count=2, amount_fen=amount, created_at=NOW, payment_deadline=deadline,
              request_event_id="e1")
    o.events.clear()
    return o


def pay(o, trade="T1", amount=10000, by="notification"):
    return o.confirm_payment(Payment(o.order_number, trade, amount, NOW + timedelta(minutes=5),
                                     by))


def test_order_number_format():
    assert model.order_number(NOW, 42) == "BK20261123000000000042"
    assert re.fullmatch(r"BK\d{20}", model.order_number(NOW, 10**12 - 1))
    with pytest.raises(ValueError):
        model.order_number(NOW, 10**12)


def test_expiry_is_min_of_deadline_and_24h():
    assert make().expires_at == NOW + timedelta(hours=24)
    assert make(deadline=NOW + timedelta(hours=2)).expires_at == NOW + timedelta(hours=2)


def test_created_event_is_recorded():
    o = Order(number="BK1", application_id="a1", application_number="N1", candidate_id="c1",
              province="广东", description="d", fee_per_subject_fen=1, subject_count=1,
              amount_fen=1, created_at=NOW, payment_deadline=NOW + timedelta(days=1),
              request_event_id="e")
    assert [e.type for e in o.events] == ["payment.order.created"]


def test_pending_to_paid_once():
    o = make()
    assert pay(o) is True
    assert o.status == model.PAID and o.provider_trade_no == "T1" and o.confirmed_by == "notification"
    assert pay(o) is False and pay(o, by="query") is False
    assert [e.type for e in o.events] == ["payment.order.paid"]
    assert not o.refund_due


def test_second_trade_on_paid_order_is_marked_for_refund():
    o = make()
    pay(o)
    assert pay(o, trade="T2") is False
    assert o.refund_due and o.provider_trade_no == "T1" and len(o.events) == 1


def test_wrong_amount_or_order_is_refused_and_changes_nothing():
    o = make()
    with pytest.raises(Invalid):
        pay(o, amount=9999)
    with pytest.raises(Invalid):
        o.confirm_payment(Payment("BK-other", "T1", 10000, NOW, "query"))
    assert o.status == model.PENDING and o.events == []


def test_expire_only_when_overdue_and_pending():
    o = make()
    assert o.expire(NOW + timedelta(hours=23)) is False
    assert o.expire(NOW + timedelta(hours=24)) is True
    assert o.status == model.EXPIRED and o.events[-1].type == "payment.order.expired"
    assert o.expire(NOW + timedelta(hours=25)) is False
    with pytest.raises(Conflict):
        o.check_payable(NOW + timedelta(hours=25))


def test_paid_in_time_but_heard_after_expiry_becomes_paid():
    o = make()
    o.expire(NOW + timedelta(hours=24))
    assert pay(o, by="query") is True and o.status == model.PAID


def test_cancelled_order_payment_is_kept_for_refund():
    o = make()
    assert o.cancel(NOW, "replaced", replaced_by="BK2") is True
    assert o.events[-1].type == "payment.order.cancelled"
    assert pay(o) is False
    assert o.status == model.CANCELLED and o.refund_due and o.provider_trade_no == "T1"
    assert [e.type for e in o.events] == ["payment.order.cancelled"]


def test_paid_order_is_not_cancelled_nor_payable():
    o = make()
    pay(o)
    assert o.cancel(NOW, "x") is False and o.status == model.PAID
    with pytest.raises(Conflict) as exc:
        o.check_payable(NOW)
    assert exc.value.code == "order_paid"


def test_overdue_pending_order_is_not_payable():
    o = make()
    o.check_payable(NOW)
    with pytest.raises(Conflict):
        o.check_payable(NOW + timedelta(days=2))


def test_every_status_has_a_chinese_label():
    assert set(model.STATUS_LABELS) == set(model.STATUSES)


def _refund(amount=5000, paid=10000, done=0, not_before=NOW):
    return refunds.Refund.request("R1", "BK1", "T1", amount, "manual", "财务退费",
                                  paid_fen=paid, already_refunded_fen=done, now=NOW,
                                  not_before=not_before, requested_by="fin")


def test_refund_state_machine_retries_with_the_same_number():
    r = _refund(done=5000)
    assert r.is_due(NOW) and r.status == refunds.REQUESTED
    r.submit(NOW)
    assert r.status == refunds.PROCESSING and not r.is_due(NOW)
    assert r.is_due(NOW + refunds.LEASE)  # no answer (crash, lost answer): submitted again
    r.fail(NOW, "ACQ.SYSTEM_ERROR")
    assert r.next_attempt_at == NOW + refunds.BACKOFF[0]
    r.submit(NOW + refunds.BACKOFF[0])
    r.succeed(NOW + refunds.BACKOFF[0])
    assert r.status == refunds.SUCCEEDED and r.refund_number == "R1" and r.attempts == 2
    assert not r.is_due(NOW + timedelta(days=1))
    with pytest.raises(Conflict):
        r.submit(NOW)


def test_refund_gives_up_after_max_attempts_and_waits_for_finance():
    r = _refund()
    for _ in range(refunds.MAX_ATTEMPTS):
        r.submit(NOW)
        r.fail(NOW, "down")
    assert r.status == refunds.FAILED and r.next_attempt_at is None
    r.retry(NOW)
    assert r.is_due(NOW)


def test_held_refund_waits_for_release():
    r = _refund(not_before=None)
    assert r.held and not r.is_due(NOW + timedelta(days=365))
    assert r.release(NOW) and r.is_due(NOW) and not r.release(NOW)
    r.reject(NOW, "x")
    assert r.status == refunds.REJECTED


@pytest.mark.parametrize("amount,paid,done", [(0, 100, 0), (101, 100, 0), (60, 100, 50)])
def test_refund_never_exceeds_what_was_paid(amount, paid, done):
    with pytest.raises(Invalid) as e:
        _refund(amount, paid, done)
    assert e.value.code in ("refund_amount", "refund_exceeds_paid")


def test_late_payment_expires_the_order_and_is_refunded():
    o = make(deadline=NOW + timedelta(hours=1))
    late = Payment(o.order_number, "T9", 10000, NOW + timedelta(hours=2), "statement")
    assert o.apply_payment(late) == model.LATE
    assert o.status == model.EXPIRED and o.refund_due
    assert [e.type for e in o.events] == ["payment.order.expired"]


def test_expired_order_paid_in_time_is_paid():
    o = make(deadline=NOW + timedelta(hours=1))
    o.expire(NOW + timedelta(hours=1))
    o.events.clear()
    assert o.apply_payment(Payment(o.order_number, "T1", 10000, NOW + timedelta(minutes=30),
                                   "query")) == model.PAID_NOW
    assert o.status == model.PAID


def test_full_refund_of_the_accepted_payment_ends_the_order():
    o = make()
    pay(o)
    o.events.clear()
    o.refund_succeeded("T1", 4000, "R1", "x", NOW)
    assert o.status == model.PAID and not o.events  # partial: still paid
    o.refund_succeeded("T2", 10000, "R2", "dup", NOW)  # another trade: not this payment
    assert o.refunded_fen == 4000
    o.refund_succeeded("T1", 6000, "R3", "x", NOW)
    assert o.status == model.REFUNDED and [e.type for e in o.events] == ["payment.order.refunded"]


def test_money_taken_before_the_window_closed_survives_the_applications_expiry():
    closed = NOW + timedelta(hours=1)  # the window was moved earlier than the order's 24 h
    o = make()
    assert o.application_expired(NOW + timedelta(hours=2), closed) is True
    assert o.status == model.CANCELLED and o.expires_at == closed
    outcome = o.apply_payment(Payment(o.order_number, "T1", 10000, closed, "statement"))
    assert outcome == model.PAID_NOW and o.status == model.PAID and not o.refund_due
    assert o.closed_reason is None and [e.type for e in o.events][-1] == "payment.order.paid"

    late = make()
    late.application_expired(NOW + timedelta(hours=2), closed)
    outcome = late.apply_payment(Payment(late.order_number, "T2", 10000,
                                         closed + timedelta(seconds=1), "notification"))
    assert outcome == model.DUPLICATE_OTHER_ORDER and late.refund_due
    assert late.status == model.CANCELLED

    replaced = make()  # cancelled for another reason (a newer order): money goes back
    replaced.cancel(NOW, "已被新订单取代", replaced_by="BK2")
    outcome = replaced.apply_payment(Payment(replaced.order_number, "T3", 10000, NOW, "query"))
    assert outcome == model.DUPLICATE_OTHER_ORDER and replaced.refund_due

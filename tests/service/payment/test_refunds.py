"""Refunds: finance's partial refunds, seed 004's duplicate payments, provider failures."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from services.common import clock
from services.common.events import new_event, validate_data
from services.payment.sandbox.store import refunds as sandbox_refunds


def _paid_order(world, application_id="app-1", faults=()):
    world.request_payment(application_id)
    number = world.order(application_id)["order_number"]
    trade_no, _ = world.pay(number, application_id, faults=faults)
    return number, trade_no


def _refund(world, number, amount, reason="考生申请退费"):
    return world.client.post(f"/api/payment/ops/orders/{number}/refunds",
                             json={"amount_fen": amount, "reason": reason},
                             headers=world.finance())


def test_partial_refunds_then_the_rest_end_the_order(world):
    number, trade_no = _paid_order(world)
    r = _refund(world, number, 4000)
    assert r.status_code == 201 and r.get_json()["status"] == "requested"
    assert r.get_json()["refund_number"].startswith("RF")
    assert world.run_refunds() == 1
    assert world.order()["status"] == "paid"  # 40 of 100 yuan back: still paid
    r = _refund(world, number, 6001)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "refund_exceeds_paid"
    assert _refund(world, number, 6000).status_code == 201
    assert world.run_refunds() == 1
    assert world.order()["status"] == "refunded"
    ok = world.events("payment.refund.succeeded")
    assert [e["refunded_fen"] for e in ok] == [4000, 6000]
    assert ok[-1]["order_status"] == "refunded" and ok[0]["kind"] == "manual"
    done = world.events("payment.order.refunded")
    assert len(done) == 1 and done[0]["refunded_fen"] == 10000
    mine = world.client.get(f"/api/payment/orders/{number}/refunds", headers=world.headers())
    assert [x["status_label"] for x in mine.get_json()] == ["已退费", "已退费"]
    assert world.client.get(f"/api/payment/orders/{number}/refunds",
                            headers=world.headers("cand-2")).status_code == 404
    with world.store.engine.connect() as c:
        assert len(c.execute(select(sandbox_refunds)).all()) == 2


def test_only_finance_refunds_and_bad_amounts_are_refused(world):
    number, _ = _paid_order(world)
    r = world.client.post(f"/api/payment/ops/orders/{number}/refunds",
                          json={"amount_fen": 100, "reason": "x"}, headers=world.headers())
    assert r.status_code == 403
    for amount in (0, -5, "100", 1.5):
        assert _refund(world, number, amount).status_code in (400, 422)
    assert _refund(world, "BK000", 100).status_code == 404


def test_refund_survives_provider_errors_and_lost_answers(world):
    number, trade_no = _paid_order(world)
    world.sandbox_client.post("/api/sandbox/refund-faults", data={"faults": "error,lost_answer"})
    refund_number = _refund(world, number, 10000).get_json()["refund_number"]
    assert world.run_refunds() == 0  # provider says "system error"
    r = world.refunds(number)[0]
    assert r["status"] == "failed" and r["attempts"] == 1
    assert world.run_refunds() == 0  # not due yet (backoff)
    clock.shift(timedelta(minutes=2))
    assert world.run_refunds() == 0  # done at the provider, but the answer was lost
    with world.store.engine.connect() as c:
        assert len(c.execute(select(sandbox_refunds)).all()) == 1
    clock.shift(timedelta(minutes=10))
    assert world.run_refunds() == 1  # same refund number again: the provider does not pay twice
    r = world.refunds(number)[0]
    assert r["status"] == "succeeded" and r["refund_number"] == refund_number
    with world.store.engine.connect() as c:
        rows = c.execute(select(sandbox_refunds)).all()
    assert [(x.out_request_no, x.refund_amount) for x in rows] == [(refund_number, "100.00")]
    assert world.order()["status"] == "refunded"


def test_crash_between_lease_and_answer_is_retried_with_the_same_number(world):
    from services.payment.domain.refunds import Refund
    number, _ = _paid_order(world)
    refund_number = _refund(world, number, 5000).get_json()["refund_number"]
    with world.rt.uow() as uow:  # the worker leased it and died before calling the provider
        r = uow.session.query(Refund).filter_by(refund_number=refund_number).one()
        r.submit(clock.now())
        uow.commit()
    assert world.run_refunds() == 0  # the lease holds
    clock.shift(timedelta(minutes=6))
    assert world.run_refunds() == 1
    assert world.refunds(number)[0]["attempts"] == 2


def test_same_order_paid_twice_is_refunded_after_registration_closes(world):
    world.request_payment(deadline=clock.now() + timedelta(days=2))
    number = world.order()["order_number"]
    first, _ = world.pay(number)
    r = world.sandbox_client.post(f"/api/sandbox/trades/{first}/duplicate")
    assert r.status_code == 201
    second = r.get_json()["trade_no"]
    assert world.notifier.wait_idle(10)
    (refund,) = world.refunds(number)
    assert refund["kind"] == "duplicate_same_order" and refund["trade_no"] == second
    assert world.run_refunds() == 0  # registration still open
    clock.shift(timedelta(days=2, minutes=1))
    assert world.run_refunds() == 1
    assert world.order()["status"] == "paid"  # the accepted payment stays
    ok = world.events("payment.refund.succeeded")
    assert ok[0]["kind"] == "duplicate_same_order" and ok[0]["trade_no"] == second
    assert world.events("payment.order.refunded") == []  # registration must not end anything
    assert len(world.events("payment.order.paid")) == 1


def test_paid_replaced_order_is_refunded_after_the_exam(world):
    world.request_payment(event_id="11111111-1111-4111-8111-111111111111")
    old = world.order()["order_number"]
    world.pay(old, faults=("lost",))  # paid, but the news never came
    world.request_payment()  # the candidate re-confirmed: a new order, the old one cancelled
    new = world.order()["order_number"]
    assert new != old
    world.pay(new)
    r = world.client.post(f"/api/payment/orders/{old}/refresh", headers=world.headers())
    assert r.get_json()["status"] == "cancelled"
    (refund,) = world.refunds(old)
    assert refund["kind"] == "duplicate_other_order" and refund["not_before"] is None
    clock.shift(timedelta(days=30))
    assert world.run_refunds() == 0  # held until the exam is reconciled
    data = validate_data("registration.scores.published", {
        "application_id": "app-1", "application_number": "N-app-1", "candidate_id": "cand-1",
        "exam_name": "一级建造师", "scores": [], "published_at": clock.now()})
    ev = new_event(source="/baokao/registration", type="registration.scores.published",
                   data=data, subject="app-1", version=1,
                   correlationid="c", causationid=None)
    sub = next(s for s in world.rt.subscriptions() if s.handler == "release_refunds")
    sub.callback(ev.to_json().encode())
    assert world.run_refunds() == 1
    refunded = world.events("payment.order.refunded")
    assert [e["order_number"] for e in refunded] == [old]
    assert world.order()["order_number"] == new and world.order()["status"] == "paid"


def _deliver(world, handler, type_, data):
    ev = new_event(source="/baokao/registration", type=type_, data=validate_data(type_, data),
                   subject=data["application_id"], version=1, correlationid="c",
                   causationid=None)
    sub = next(s for s in world.rt.subscriptions() if s.handler == handler)
    sub.callback(ev.to_json().encode())


def _cancel_events(number, refund=True):
    base = {"application_id": "app-1", "application_number": "N-app-1", "candidate_id": "cand-1"}
    cancelled = dict(base, sitting_id="s-1", exam_name="一级建造师", reason="报名人数不足",
                     refund=refund, cancelled_at=clock.now())
    requested = dict(base, order_number=number, amount_fen=10000, reason="考试取消：报名人数不足",
                     requested_at=clock.now())
    return cancelled, requested


def test_cancelled_paid_application_is_refunded_in_full_once(world):
    number, _ = _paid_order(world)
    cancelled, requested = _cancel_events(number)
    _deliver(world, "application_cancelled", "registration.application.cancelled", cancelled)
    _deliver(world, "refund_requested", "registration.refund.requested", requested)
    _deliver(world, "refund_requested", "registration.refund.requested", requested)  # new id
    (refund,) = world.refunds(number)
    assert refund["kind"] == "cancellation" and refund["amount_fen"] == 10000
    assert world.run_refunds() == 1
    assert world.order()["status"] == "refunded"
    assert [e["order_number"] for e in world.events("payment.order.refunded")] == [number]


def test_cancelled_unpaid_application_closes_its_order_and_late_money_goes_back_at_once(world):
    world.request_payment()
    number = world.order()["order_number"]
    pay_url = world.checkout(number)  # the candidate had the pay page open
    cancelled, _ = _cancel_events(number, refund=False)
    _deliver(world, "application_cancelled", "registration.application.cancelled", cancelled)
    assert world.order()["status"] == "cancelled"
    html = world.open_pay_page(pay_url)  # the provider still takes the money
    import re
    trade_no = re.search(r'name="trade_no" value="(\d+)"', html).group(1)
    world.sandbox_client.post("/gateway/pay", data={"trade_no": trade_no})
    assert world.notifier.wait_idle(10)
    (refund,) = world.refunds(number)
    assert refund["kind"] == "duplicate_other_order" and refund["not_before"] is not None
    assert world.run_refunds() == 1  # no exam to wait for


def test_expired_application_closes_its_order_so_the_candidate_cannot_pay_late(world):
    world.request_payment()
    number = world.order()["order_number"]
    pay_url = world.checkout(number)  # the pay page was still open when the deadline passed
    expired = {"application_id": "app-1", "application_number": "N-app-1",
               "candidate_id": "cand-1", "sitting_id": "s-1", "province": "50",
               "payment_deadline": clock.now(), "expired_at": clock.now()}
    _deliver(world, "application_expired", "registration.application.expired", expired)
    _deliver(world, "application_expired", "registration.application.expired", expired)  # again
    order = world.order()
    assert order["status"] == "cancelled"
    assert [e["order_number"] for e in world.events("payment.order.cancelled")] == [number]
    clock.shift(timedelta(minutes=1))  # after the window closed
    html = world.open_pay_page(pay_url)  # the provider still takes the money
    import re
    trade_no = re.search(r'name="trade_no" value="(\d+)"', html).group(1)
    world.sandbox_client.post("/gateway/pay", data={"trade_no": trade_no})
    assert world.notifier.wait_idle(10)
    (refund,) = world.refunds(number)
    assert refund["not_before"] is not None
    assert world.run_refunds() == 1  # refunded at once: there is no exam to wait for


def test_money_taken_in_time_counts_though_its_news_came_after_the_expiry(world):
    """The notification was lost; registration expired the application when the window closed;
    the statement (or a query) then shows the trade paid before the deadline."""
    deadline = clock.now() + timedelta(hours=2)
    world.request_payment(deadline=deadline)
    number = world.order()["order_number"]
    trade_no, _ = world.pay(number, faults=("lost",))
    assert world.order()["status"] == "pending"  # nobody told us
    clock.shift(timedelta(hours=3))
    expired = {"application_id": "app-1", "application_number": "N-app-1",
               "candidate_id": "cand-1", "sitting_id": "s-1", "province": "50",
               "payment_deadline": deadline, "expired_at": clock.now()}
    _deliver(world, "application_expired", "registration.application.expired", expired)
    assert world.order()["status"] == "cancelled"
    from services.payment.service_layer import payments
    provider = world.rt.services["provider"]
    assert payments.refresh(world.rt.uow, provider, number) is True  # the query finds it paid
    order = world.order()
    assert order["status"] == "paid" and order["order_number"] == number
    paid = world.events("payment.order.paid")
    assert [e["order_number"] for e in paid] == [number] and paid[0]["confirmed_by"] == "query"
    assert world.refunds(number) == []  # the candidate paid in time: nothing goes back


def test_an_order_paid_in_its_last_minutes_is_asked_about_before_it_expires(world):
    from services.payment import worker
    world.request_payment(deadline=clock.now() + timedelta(hours=1))
    paid_number = world.order()["order_number"]
    world.pay(paid_number, faults=("lost",))  # paid, but the notification never came
    world.request_payment("app-2", deadline=clock.now() + timedelta(hours=1))
    unpaid_number = world.order("app-2")["order_number"]
    clock.shift(timedelta(hours=2))
    assert worker.expire_orders(world.rt) == 1  # only the unpaid one expires
    assert world.order()["status"] == "paid"
    assert world.order("app-2")["status"] == "expired"
    assert [e["order_number"] for e in world.events("payment.order.expired")] == [unpaid_number]
    assert [e["confirmed_by"] for e in world.events("payment.order.paid")] == ["query"]

"""Checkout → sandbox pay page → pay → signed notification → order paid, exactly once."""
from __future__ import annotations

from datetime import timedelta

from services.common import clock
from services.payment.adapters import keys, signing
from tests.service.payment.conftest import RETURN_URL, poll_provider


def _paid_events(world):
    return world.events("payment.order.paid")


def test_pay_through_the_sandbox(world):
    world.request_payment(fee=5000, subjects=2)
    number = world.order()["order_number"]
    html = world.open_pay_page(world.checkout(number))
    assert "确认支付" in html and number in html and "¥100.00" in html
    assert "报考平台" in html  # the merchant is shown
    trade_no, location = world.pay(number)
    assert location.startswith(RETURN_URL.format("app-1") + "&")
    assert "sign=" in location and f"out_trade_no={number}" in location
    order = world.order()
    assert order["status"] == "paid" and order["status_label"] == "已缴费" and order["paid_at"]
    paid = _paid_events(world)
    assert len(paid) == 1
    assert paid[0]["confirmed_by"] == "notification" and paid[0]["provider_trade_no"] == trade_no
    assert paid[0]["amount_fen"] == 10000
    # A paid order cannot be checked out again.
    r = world.client.post(f"/api/payment/orders/{number}/checkout",
                          json={"return_url": RETURN_URL.format("app-1")},
                          headers=world.headers())
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "order_paid"


def test_repeated_notification_is_answered_success_and_pays_once(world):
    world.request_payment()
    number = world.order()["order_number"]
    trade_no, _ = world.pay(number, faults=("duplicate",))
    r = world.sandbox_client.post(f"/api/sandbox/trades/{trade_no}/notify")
    assert r.status_code == 202
    assert world.notifier.wait_idle(10)
    from sqlalchemy import select

    from services.payment.sandbox.store import attempts
    with world.store.engine.connect() as c:
        answers = [a.answer for a in c.execute(select(attempts)).all()]
    assert answers == ["success"] * 3  # first delivery, the duplicate, the resend
    assert len(_paid_events(world)) == 1


def test_unanswered_notification_is_retried_until_success(world, monkeypatch):
    world.request_payment()
    number = world.order()["order_number"]
    calls = {"n": 0}
    real_post = world.notifier.http.post

    def flaky(url, data=None, timeout=None):  # the merchant is down for the first two tries
        calls["n"] += 1
        if calls["n"] <= 2:
            raise ConnectionError("merchant unreachable")
        return real_post(url, data=data, timeout=timeout)
    monkeypatch.setattr(world.notifier.http, "post", flaky)
    world.pay(number)
    assert calls["n"] == 3 and world.order()["status"] == "paid"


def test_lost_notification_then_refresh_pays_by_query(world):
    world.request_payment()
    number = world.order()["order_number"]
    world.pay(number, faults=("lost",))
    assert world.order()["status"] == "pending"  # "paid but shown unpaid" (seed 004)
    r = world.client.post(f"/api/payment/orders/{number}/refresh", headers=world.headers())
    assert r.status_code == 200 and r.get_json()["status"] == "paid"
    paid = _paid_events(world)
    assert len(paid) == 1 and paid[0]["confirmed_by"] == "query"
    r = world.client.post(f"/api/payment/orders/{number}/refresh", headers=world.headers())
    assert r.get_json()["status"] == "paid" and len(_paid_events(world)) == 1


def test_refresh_before_paying_leaves_order_pending(world):
    world.request_payment()
    number = world.order()["order_number"]
    r = world.client.post(f"/api/payment/orders/{number}/refresh", headers=world.headers())
    assert r.status_code == 200 and r.get_json()["status"] == "pending"  # provider: no trade
    world.open_pay_page(world.checkout(number))
    r = world.client.post(f"/api/payment/orders/{number}/refresh", headers=world.headers())
    assert r.get_json()["status"] == "pending"  # provider: WAIT_BUYER_PAY


def test_polling_job_finds_lost_payments(world):
    world.request_payment()
    number = world.order()["order_number"]
    world.pay(number, faults=("lost",))
    assert poll_provider(world.rt) == 0  # younger than a minute: not polled yet
    clock.shift(timedelta(minutes=2))
    assert poll_provider(world.rt) == 1
    assert world.order()["status"] == "paid"
    assert _paid_events(world)[0]["confirmed_by"] == "query"


def _genuine_form(world, number, **changes):
    """A notification as the provider would send it, optionally altered and re-signed."""
    trade = world.store.trade_by_no(world.store.trade("2026000000000001", number).trade_no)
    form = world.notifier.form(trade, trade.app_id)
    if changes:
        form.update(changes)
        form.pop("sign")
        key = keys.provider_private_key(world.rt.settings.data_dir)
        form = signing.sign_params(form, key, exclude=("sign", "sign_type"))
    return form


def _state(world):
    return world.order()["status"], len(_paid_events(world))


def test_refused_notifications_leave_the_order_untouched(world):
    world.request_payment(fee=5000, subjects=2)
    number = world.order()["order_number"]
    world.pay(number, faults=("lost",))
    genuine = _genuine_form(world, number)
    from cryptography.hazmat.primitives.asymmetric import rsa
    forger = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    forged = signing.sign_params({k: v for k, v in genuine.items() if k != "sign"}, forger,
                                 exclude=("sign", "sign_type"))
    tampered = dict(genuine, total_amount="0.01")
    wrong_amount = _genuine_form(world, number, total_amount="1.00")
    unknown = _genuine_form(world, number, out_trade_no="BK20260101000000000001")
    wrong_app = _genuine_form(world, number, app_id="2026999999999999")
    unsigned = {k: v for k, v in genuine.items() if k != "sign"}
    for form in (forged, tampered, wrong_amount, unknown, wrong_app, unsigned):
        r = world.client.post("/api/payment/notify", data=form)
        assert r.status_code == 400 and r.get_data(as_text=True) == "failure"
        assert r.mimetype == "text/plain"
        assert _state(world) == ("pending", 0)
    r = world.client.post("/api/payment/notify", data=genuine)
    assert r.status_code == 200 and r.get_data(as_text=True) == "success"
    assert _state(world) == ("paid", 1)
    t = world.rt.tables.audit_log
    with world.rt.engine.connect() as c:
        reasons = [row.detail["reason"] for row in c.execute(
            t.select().where(t.c.action == "notification.refused")).all()]
    assert set(reasons) == {"bad_signature", "amount_mismatch", "unknown_order", "wrong_app"}


def test_notify_with_garbage_is_refused(world):
    for kwargs in ({}, {"json": {"out_trade_no": "x"}}, {"data": "&&&",
                                                          "content_type": "text/plain"}):
        r = world.client.post("/api/payment/notify", **kwargs)
        assert r.status_code == 400 and r.get_data(as_text=True) == "failure"
    r = world.client.post("/api/payment/notify", data={"sign": "%%%", "out_trade_no": "x"})
    assert r.status_code == 400


def test_payment_for_a_replaced_order_is_kept_for_refund_not_announced(world):
    world.request_payment(fee=5000, subjects=2)
    old = world.order()["order_number"]
    pay_url = world.checkout(old)
    world.request_payment(fee=5000, subjects=3)  # re-confirmed: the old order is cancelled
    html = world.open_pay_page(pay_url)  # the candidate still pays the old pay page
    import re
    trade_no = re.search(r'name="trade_no" value="(\d+)"', html).group(1)
    world.sandbox_client.post("/gateway/pay", data={"trade_no": trade_no})
    assert world.notifier.wait_idle(10)
    assert _paid_events(world) == []
    assert world.order()["status"] == "pending"  # the new order still needs paying


def test_late_notification_still_pays(world):
    world.request_payment()
    number = world.order()["order_number"]
    world.pay(number, faults=("late",))
    assert world.order()["status"] == "paid"


def test_refresh_when_provider_is_down_is_503_and_changes_nothing(world):
    world.request_payment()
    number = world.order()["order_number"]
    from tests.service.payment.conftest import SANDBOX_BASE
    router = world.rt.services["provider"].http
    sandbox = router.apps.pop(SANDBOX_BASE)
    try:
        r = world.client.post(f"/api/payment/orders/{number}/refresh", headers=world.headers())
        assert r.status_code == 503 and r.get_json()["error"]["code"] == "provider_unavailable"
    finally:
        router.apps[SANDBOX_BASE] = sandbox
    assert world.order()["status"] == "pending"

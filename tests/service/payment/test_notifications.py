"""Notifications: Alipay's retry schedule persisted in the sandbox, out-of-order delivery,
and replays refused on the merchant side."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from services.common import clock
from services.payment.adapters import keys, signing
from services.payment.adapters.alipay import beijing_time
from services.payment.sandbox.app import create_app as create_sandbox
from services.payment.sandbox.notifier import SCHEDULE_SECONDS
from services.payment.sandbox.store import attempts, notifications
from tests.service.payment.conftest import SANDBOX_BASE


def _delivered_form(world):
    with world.store.engine.connect() as c:
        row = c.execute(select(notifications).where(notifications.c.kind != "stale")).first()
    return json.loads(row.form)


def _notify(world, form):
    r = world.client.post("/api/payment/notify", data=form)
    return r.status_code, r.get_data(as_text=True)


def _audit(world, action):
    t = world.rt.tables.audit_log
    with world.rt.engine.connect() as c:
        return c.execute(select(t).where(t.c.action == action)).all()


def test_pending_notification_survives_a_sandbox_restart(world, make_settings):
    world.request_payment()
    number = world.order()["order_number"]
    world.notifier.stop()  # one sandbox process at a time on this database
    slow = create_sandbox(make_settings("sandbox"), http=world.notifier.http, time_scale=1.0,
                          faults="")
    world.router_apps[SANDBOX_BASE] = slow  # the pay page of a sandbox on the real schedule
    old = slow.extensions["sandbox"]["notifier"]
    world.sandbox_client, world.notifier = slow.test_client(), old
    world.pay_without_waiting(number, faults=("late",))  # first delivery due in 4 minutes
    old.stop()  # the sandbox process goes away with the notification pending
    assert world.order()["status"] == "pending"
    restarted = create_sandbox(make_settings("sandbox"), http=old.http, time_scale=1.0, faults="")
    notifier = restarted.extensions["sandbox"]["notifier"]
    try:
        clock.shift(timedelta(seconds=SCHEDULE_SECONDS[0] + 1))
        assert notifier.wait_idle(10)
    finally:
        notifier.stop()
    order = world.order()
    assert order["status"] == "paid"
    assert world.events("payment.order.paid")[0]["confirmed_by"] == "notification"


def test_retries_follow_alipays_schedule_then_give_up(world, make_settings):
    world.notifier.stop()
    fast = create_sandbox(make_settings("sandbox"), http=world.notifier.http, time_scale=0.00002,
                          faults="")
    world.router_apps[SANDBOX_BASE] = fast
    world.sandbox_client = fast.test_client()
    world.notifier = fast.extensions["sandbox"]["notifier"]
    world.notifier.http = _Down()
    try:
        world.request_payment()
        trade_no, _ = world.pay(world.order()["order_number"])
    finally:
        world.notifier.stop()
    with world.store.engine.connect() as c:
        tries = c.execute(select(attempts).where(attempts.c.trade_no == trade_no)
                          .order_by(attempts.c.id)).all()
        state = c.execute(select(notifications.c.state, notifications.c.attempt)).all()
    assert len(tries) == 1 + len(SCHEDULE_SECONDS) == 8
    assert state == [("gave_up", 8)]
    gaps = [(b.at - a.at).total_seconds() for a, b in zip(tries, tries[1:], strict=False)]
    assert gaps[-1] > gaps[0]  # 15 h vs 4 min, scaled


class _Down:
    def post(self, url, data=None, timeout=None):
        raise ConnectionError("merchant down")


def test_out_of_order_stale_notification_changes_nothing(world):
    world.request_payment()
    number = world.order()["order_number"]
    world.pay(number, faults=("out_of_order",))
    assert world.order()["status"] == "paid"
    with world.store.engine.connect() as c:
        outcomes = [(a.outcome, a.answer) for a in c.execute(select(attempts)
                                                           .order_by(attempts.c.id))]
    assert outcomes == [("success", "success"), ("out of order (simulated)", "success")]
    assert len(world.events("payment.order.paid")) == 1


def test_replayed_notification_is_not_applied_again(world):
    world.request_payment()
    number = world.order()["order_number"]
    world.pay(number)
    form = _delivered_form(world)
    assert _notify(world, form) == (200, "success")  # the very same message: harmless retry
    assert len(world.events("payment.order.paid")) == 1
    assert len(_audit(world, "notification.replayed")) == 1
    # The same notify_id with other (validly signed) content is a replay attack: refused.
    key = keys.provider_private_key(world.rt.settings.data_dir)
    body = {k: v for k, v in form.items() if k not in ("sign", "sign_type")}
    body["trade_no"] = "2026999999999999999999"
    forged = signing.sign_params(body, key, exclude=("sign", "sign_type"))
    assert _notify(world, forged) == (400, "failure")
    # A genuine but old notification (beyond the provider's 25 h of retries) is refused too.
    old = dict(body, notify_id="f" * 32, trade_no=form["trade_no"],
               notify_time=beijing_time(clock.now() - timedelta(days=3)))
    assert _notify(world, signing.sign_params(old, key, exclude=("sign", "sign_type"))) == (
        400, "failure")
    reasons = [r.detail["reason"] for r in _audit(world, "notification.refused")]
    assert reasons == ["replayed_notify_id", "stale_notification"]
    assert world.order()["status"] == "paid"

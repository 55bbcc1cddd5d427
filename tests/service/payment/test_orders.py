"""Orders from payment requests: idempotent, one open order per application, expiry."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from services.common import clock
from services.common.errors import PermanentFailure
from tests.service.payment.conftest import expire_orders


def test_payment_request_opens_one_order(world):
    world.request_payment(fee=5000, subjects=3)
    order = world.order()
    assert order["status"] == "pending" and order["status_label"] == "待缴费"
    assert order["amount_fen"] == 15000
    assert re.fullmatch(r"BK\d{8}\d{12}", order["order_number"])
    created = world.events("payment.order.created")
    assert [e["order_number"] for e in created] == [order["order_number"]]
    assert created[0]["amount_fen"] == 15000 and created[0]["candidate_id"] == "cand-1"


def test_expiry_is_at_most_24_hours_and_never_past_the_deadline(world):
    world.request_payment("app-a", deadline=clock.now() + timedelta(hours=3))
    world.request_payment("app-b", deadline=clock.now() + timedelta(days=3))
    a, b = world.order("app-a"), world.order("app-b")
    assert a["expires_at"] < b["expires_at"]
    from datetime import datetime
    span = datetime.fromisoformat(b["expires_at"]) - datetime.fromisoformat(b["created_at"])
    assert span == timedelta(hours=24)


def test_duplicate_event_makes_one_order(world):
    ev = world.request_payment()
    world.request_payment(event_id=ev.id)  # redelivered: the inbox stops it
    r = world.client.get("/api/payment/me/orders", headers=world.headers())
    assert len(r.get_json()) == 1
    assert len(world.events("payment.order.created")) == 1


def test_new_request_for_same_application_cancels_the_open_order(world):
    world.request_payment(fee=5000, subjects=2)
    first = world.order()["order_number"]
    world.request_payment(fee=5000, subjects=3)  # candidate re-confirmed with another subject
    current = world.order()
    assert current["order_number"] != first and current["amount_fen"] == 15000
    mine = {o["order_number"]: o["status"] for o in world.client.get(
        "/api/payment/me/orders", headers=world.headers()).get_json()}
    assert mine == {first: "cancelled", current["order_number"]: "pending"}
    cancelled = world.events("payment.order.cancelled")
    assert cancelled[0]["order_number"] == first
    assert cancelled[0]["replaced_by"] == current["order_number"]


@pytest.mark.parametrize("fee,subjects,amount", [(5000, 2, 9999), (5000, 2, 0)])
def test_amount_mismatch_is_parked_not_retried(world, fee, subjects, amount):
    with pytest.raises(PermanentFailure):
        world.request_payment(fee=fee, subjects=subjects, amount=amount)
    r = world.client.get("/api/payment/applications/app-1/order", headers=world.headers())
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "order_not_found"


def test_mismatch_through_the_bus_lands_in_dead_letters(world, bus):
    from services.common.runtime import WorkerHandle
    handle = WorkerHandle(world.rt).start(relay=False, jobs=False)
    try:
        from services.common.events import new_event
        data = {"application_id": "app-x", "application_number": "N-x", "candidate_id": "cand-1",
                "province": "广东", "description": "报名费", "fee_per_subject_fen": 5000,
                "subject_count": 2, "amount_fen": 1,
                "payment_deadline": (clock.now() + timedelta(days=1)).isoformat()}
        ev = new_event(source="/baokao/registration", type="registration.payment.requested",
                       data=data, subject="app-x", version=1, correlationid="c", causationid=None)
        from services.common.bus.base import Outgoing
        bus.publish([Outgoing(ev.id, ev.type, ev.to_json().encode())])
        assert bus.wait_idle(5)
    finally:
        handle.stop()
    t = world.rt.tables.dead_letters
    with world.rt.engine.connect() as c:
        rows = c.execute(t.select()).all()
    assert len(rows) == 1 and "PermanentFailure" in rows[0].error


def test_expiry_job_expires_overdue_orders(world):
    world.request_payment(deadline=clock.now() + timedelta(hours=2))
    number = world.order()["order_number"]
    assert expire_orders(world.rt) == 0
    clock.shift(timedelta(hours=2, seconds=1))
    expire_orders(world.rt)
    assert world.order()["status"] == "expired"
    expired = world.events("payment.order.expired")
    assert [e["order_number"] for e in expired] == [number]
    expire_orders(world.rt)
    assert len(world.events("payment.order.expired")) == 1
    r = world.client.post(f"/api/payment/orders/{number}/checkout",
                          json={"return_url": "http://127.0.0.1:8000/applications/app-1?from=pay"},
                          headers=world.headers())
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "order_not_payable"

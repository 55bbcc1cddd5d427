"""Lost, late, repeated and forged notifications against the real broker and PostgreSQL.

Registration's payment requests arrive over RabbitMQ; the payment worker (relay + consumer)
runs on PostgreSQL; the sandbox provider keeps its trades there too and talks to the payment
app over an in-process router. Whatever goes wrong with the notifications, every order must
end in its true state, and each paid order is announced on the broker exactly once.
"""
from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import unquote, urlparse

import amqp
import pytest
from sqlalchemy import select

from services.common import clock
from services.common.bus.amqp import AmqpTransport, Topology
from services.common.bus.base import Outgoing
from services.common.config import Settings
from services.common.events import CloudEvent, new_event, validate_data
from services.common.runtime import WorkerHandle
from services.payment.adapters import keys, signing
from services.payment.bootstrap import bootstrap
from services.payment.domain.model import Order
from services.payment.sandbox.app import create_app as create_sandbox
from services.payment.sandbox.store import trades
from services.payment.service_layer import orders as order_cases
from services.payment.web import create_app
from services.payment.worker import poll_provider, reconcile
from tests.integration.backbone_app import wait_until
from tests.service.payment.conftest import PAYMENT_BASE, PROVIDER_ENV, SANDBOX_BASE, Router
from tests.support.tokens import TestTokens

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


class PaymentTap:
    """Counts payment events as published on the exchange (no inbox in between)."""

    def __init__(self, url: str, exchange: str):
        u = urlparse(url)
        self.conn = amqp.Connection(f"{u.hostname}:{u.port}", userid=u.username,
                                    password=u.password, virtual_host=unquote(u.path[1:]) or "/",
                                    connect_timeout=5)
        self.conn.connect()
        self.ch = self.conn.channel()
        self.ch.exchange_declare("baokao.unrouted", "fanout", durable=True, auto_delete=False)
        self.ch.exchange_declare(exchange, "topic", durable=True, auto_delete=False,
                                 arguments={"alternate-exchange": "baokao.unrouted"})
        self.name = "test.payment.tap"
        self.ch.queue_declare(self.name, durable=False, auto_delete=True)
        self.ch.queue_bind(self.name, exchange, "payment.#")
        self.events: list[CloudEvent] = []

    def drain(self) -> Counter:
        while (msg := self.ch.basic_get(self.name, no_ack=True)) is not None:
            self.events.append(CloudEvent.from_json(msg.body))
        return Counter(e.type for e in self.events)

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass


@pytest.fixture
def stack(tmp_path, pg_database, amqp_vhost, monkeypatch):
    for name in ("BAOKAO_SANDBOX_URL", "BAOKAO_PAYMENT_URL", *PROVIDER_ENV, "BAOKAO_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    keys.dev_private_key(data, keys.MERCHANT)
    keys.dev_private_key(data, keys.PROVIDER)
    settings = Settings("payment", data_dir=data, database_url=pg_database, amqp_url=amqp_vhost,
                        production=False, retry_delays_ms=(50, 100, 200),
                        relay_poll_seconds=0.02, public_base_url="http://127.0.0.1:8000")
    router = Router()
    rt = bootstrap(settings, provider_http=router)
    rt.declare_queues()
    tap = PaymentTap(amqp_vhost, settings.exchange)
    tokens = TestTokens()
    app = create_app(rt, verifier=tokens.verifier)
    sandbox = create_sandbox(Settings("sandbox", data_dir=data, database_url=pg_database,
                                      amqp_url=None, production=False),
                             http=router, time_scale=0.0001, faults="")
    router.apps.update({PAYMENT_BASE: app, SANDBOX_BASE: sandbox})
    worker = WorkerHandle(rt).start(jobs=False)
    publisher = AmqpTransport(amqp_vhost, Topology(settings.exchange))
    s = Stack(rt, app, sandbox, tokens, tap, publisher)
    yield s
    sandbox.extensions["sandbox"]["notifier"].stop()
    worker.stop()
    publisher.close()
    tap.close()
    rt.transport.close()
    rt.engine.dispose()
    sandbox.extensions["sandbox"]["store"].engine.dispose()
    shutil.rmtree(data, ignore_errors=True)
    clock.reset()


class Stack:
    def __init__(self, rt, app, sandbox, tokens, tap, publisher):
        self.rt, self.app, self.sandbox, self.tokens = rt, app, sandbox, tokens
        self.tap, self.publisher = tap, publisher
        self.client, self.sandbox_client = app.test_client(), sandbox.test_client()
        self.notifier = sandbox.extensions["sandbox"]["notifier"]

    def request(self, application_id: str, amount: int = 10000) -> None:
        """Registration publishes a payment request on the broker."""
        data = validate_data("registration.payment.requested", {
            "application_id": application_id, "application_number": f"N-{application_id}",
            "candidate_id": "cand-1", "province": "广东", "description": "报名费",
            "fee_per_subject_fen": amount // 2, "subject_count": 2, "amount_fen": amount,
            "payment_deadline": clock.now() + timedelta(days=3)})
        ev = new_event(source="/baokao/registration", type="registration.payment.requested",
                       data=data, subject=application_id, version=1, correlationid="it",
                       causationid=None)
        self.publisher.publish([Outgoing(ev.id, ev.type, ev.to_json().encode())])

    def orders(self) -> dict[str, Order]:
        with self.rt.uow() as uow:
            return {o.application_id: o for o in uow.session.query(Order)
                    if o.status != "cancelled"}

    def pay(self, number: str, faults=()) -> str:
        import re
        h = self.tokens.headers(sub="cand-1", roles=("candidate",))
        r = self.client.post(f"/api/payment/orders/{number}/checkout",
                             json={"return_url": "http://127.0.0.1:8000/x"}, headers=h)
        url = urlparse(r.get_json()["pay_url"])
        html = self.sandbox_client.get(f"{url.path}?{url.query}").get_data(as_text=True)
        trade_no = re.search(r'name="trade_no" value="(\d+)"', html).group(1)
        r = self.sandbox_client.post("/gateway/pay", data={"trade_no": trade_no,
                                                           "fault": list(faults)})
        assert r.status_code == 302
        return trade_no


def test_every_order_ends_in_its_true_state(stack):
    apps = [f"app-{i}" for i in range(1, 9)]
    for a in apps:
        stack.request(a)
    wait_until(lambda: len(stack.orders()) == len(apps), 20, what="orders from the broker")
    o = {a: x.order_number for a, x in stack.orders().items()}
    h = stack.tokens.headers(sub="cand-1", roles=("candidate",))

    stack.pay(o["app-1"])                                   # fine
    stack.pay(o["app-2"], faults=("lost",))                 # lost: the candidate presses refresh
    stack.pay(o["app-3"], faults=("lost",))                 # lost: the polling job finds it
    stack.pay(o["app-4"], faults=("late",))                 # late
    stack.pay(o["app-5"], faults=("duplicate", "out_of_order"))  # repeated and out of order
    # app-6: forged notifications only; app-7: never paid; app-8: lost, found by the statement
    assert stack.notifier.wait_idle(20)
    r = stack.client.post(f"/api/payment/orders/{o['app-2']}/refresh", headers=h)
    assert r.get_json()["status"] == "paid"
    clock.shift(timedelta(minutes=2))
    assert poll_provider(stack.rt) == 1  # app-3 (app-6/7 have no trade)

    form = {"app_id": "2026000000000001", "out_trade_no": o["app-6"], "trade_no": "1" * 28,
            "total_amount": "100.00", "trade_status": "TRADE_SUCCESS",
            "gmt_payment": "2026-11-23 10:00:00", "notify_id": "n1"}
    wrong_key = keys.dev_private_key(stack.rt.settings.data_dir / "forger", keys.PROVIDER)
    forged = signing.sign_params(form, wrong_key, exclude=("sign", "sign_type"))
    real_key = keys.provider_private_key(stack.rt.settings.data_dir)
    cheap = signing.sign_params(dict(form, total_amount="0.01", notify_id="n2"), real_key,
                                exclude=("sign", "sign_type"))
    ghost = signing.sign_params(dict(form, out_trade_no="BK-NOT-OURS", notify_id="n3"),
                                real_key, exclude=("sign", "sign_type"))
    for bad in (forged, cheap, ghost):
        r = stack.client.post("/api/payment/notify", data=bad)
        assert (r.status_code, r.get_data(as_text=True)) == (400, "failure")

    day_before = clock.now()
    stack.pay(o["app-8"], faults=("lost",))
    assert stack.notifier.wait_idle(10)
    from services.payment.domain.statement import beijing_day
    clock.shift(timedelta(days=1))
    assert reconcile(stack.rt) is not None  # yesterday's statement fixes app-8
    assert beijing_day(day_before) == beijing_day(clock.now() - timedelta(days=1))
    from services.payment.worker import expire_orders
    expire_orders(stack.rt)

    # The truth: the sandbox's trades.
    with stack.sandbox.extensions["sandbox"]["store"].engine.connect() as c:
        paid_there = {t.out_trade_no for t in c.execute(select(trades).where(
            trades.c.status == "TRADE_SUCCESS"))}
    final = stack.orders()
    for a, order in final.items():
        expected = "paid" if order.order_number in paid_there else "expired"
        assert order.status == expected, (a, order.status, order.confirmed_by)
    assert {a for a, x in final.items() if x.status == "paid"} == {
        "app-1", "app-2", "app-3", "app-4", "app-5", "app-8"}
    assert final["app-8"].confirmed_by == "statement"
    assert final["app-2"].confirmed_by == "query" and final["app-3"].confirmed_by == "query"

    def announced():
        counts = stack.tap.drain()
        return counts if counts["payment.order.paid"] >= 6 else None
    counts = wait_until(announced, 20, what="paid events on the broker")
    time.sleep(0.3)
    counts = stack.tap.drain()
    paid = Counter(e.data["order_number"] for e in stack.tap.events
                   if e.type == "payment.order.paid")
    assert counts["payment.order.paid"] == 6 and set(paid.values()) == {1}
    assert counts["payment.order.expired"] == 2 and counts["payment.order.created"] == 8
    audit = stack.rt.tables.audit_log
    with stack.rt.engine.connect() as c:
        reasons = sorted(r.detail["reason"] for r in c.execute(
            select(audit).where(audit.c.action == "notification.refused")))
    assert reasons == ["amount_mismatch", "bad_signature", "unknown_order"]


def test_concurrent_payment_requests_leave_one_open_order(stack):
    """Two requests for one application handled at the same moment (the PostgreSQL row lock)."""
    rt = stack.rt
    sub = next(s for s in rt.subscriptions() if s.handler == "open_order")
    failures: list[BaseException] = []

    def handle(ev):
        try:
            sub.callback(ev.to_json().encode())
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    for i in range(12):
        app_id = f"race-{i}"
        evs = []
        for _ in range(2):
            data = validate_data("registration.payment.requested", {
                "application_id": app_id, "application_number": f"N-{app_id}",
                "candidate_id": "cand-1", "province": "广东", "description": "报名费",
                "fee_per_subject_fen": 5000, "subject_count": 2, "amount_fen": 10000,
                "payment_deadline": clock.now() + timedelta(days=3)})
            evs.append(new_event(source="/baokao/registration",
                                 type="registration.payment.requested", data=data,
                                 subject=app_id, version=1, correlationid="race",
                                 causationid=None))
        gate = threading.Barrier(2)

        def run(ev, gate=gate):
            gate.wait()
            handle(ev)
        threads = [threading.Thread(target=run, args=(ev,)) for ev in evs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
    assert not failures
    with rt.uow() as uow:
        rows = uow.session.query(Order).filter(Order.application_id.like("race-%")).all()
        by_app = Counter(o.application_id for o in rows if o.status == "pending")
        assert set(by_app.values()) == {1} and len(by_app) == 12
        assert len(rows) == 24  # the older of each pair was cancelled, not lost
        for i in range(12):
            current = order_cases.current_for_application(uow, f"race-{i}", "cand-1")
            assert current.status == "pending"

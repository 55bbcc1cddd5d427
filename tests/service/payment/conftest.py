"""Payment service + sandbox provider, wired over an HTTP router onto their Flask test clients.

The real Alipay adapter and the real sandbox notifier run unchanged; only the socket is
replaced: ``Router.post`` sends a requests-style call to the app that owns the URL.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from services.common import clock
from services.common.events import CloudEvent, new_event, validate_data
from services.payment.adapters import keys
from services.payment.bootstrap import bootstrap
from services.payment.sandbox.app import create_app as create_sandbox
from services.payment.web import create_app
from services.payment.worker import expire_orders, poll_provider  # noqa: F401 (re-export)

PAYMENT_BASE = "http://127.0.0.1:8104"
SANDBOX_BASE = "http://127.0.0.1:8106"
RETURN_URL = "http://127.0.0.1:8000/applications/{}?from=pay"
PROVIDER_ENV = ("BAOKAO_PAYMENT_GATEWAY_URL", "BAOKAO_PAYMENT_PAY_PAGE_URL",
                "BAOKAO_SANDBOX_PUBLIC_URL", "BAOKAO_PAYMENT_APP_ID", "BAOKAO_SANDBOX_NOTIFY_FAULTS",
                "BAOKAO_PAYMENT_MERCHANT_PRIVATE_KEY", "BAOKAO_PAYMENT_PROVIDER_PUBLIC_KEY",
                "BAOKAO_SANDBOX_PRIVATE_KEY", "BAOKAO_SANDBOX_MERCHANT_PUBLIC_KEY",
                "BAOKAO_PAYMENT_RETURN_ORIGINS")


@dataclass
class Answer:
    status_code: int
    text: str
    content: bytes = b""

    def json(self):
        return json.loads(self.text)

    def iter_content(self, chunk_size=65536):
        for i in range(0, len(self.content), chunk_size):
            yield self.content[i:i + chunk_size]


class Router:
    """A requests-compatible transport that delivers to in-process Flask apps by base URL."""

    def __init__(self):
        self.apps = {}

    def post(self, url, data=None, timeout=None):
        parts = urlsplit(url)
        app = self.apps[f"{parts.scheme}://{parts.netloc}"]
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        resp = app.test_client().post(path, data=data)
        return Answer(resp.status_code, resp.get_data(as_text=True))

    def get(self, url, stream=False, timeout=None):
        parts = urlsplit(url)
        app = self.apps[f"{parts.scheme}://{parts.netloc}"]
        resp = app.test_client().get(parts.path + (f"?{parts.query}" if parts.query else ""))
        body = resp.get_data()
        return Answer(resp.status_code, body.decode("utf-8", "replace"), body)


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory):
    """RSA keys generated once per session, copied into each test's data dir (2048-bit is slow)."""
    d = tmp_path_factory.mktemp("payment-keys")
    keys.dev_private_key(d, keys.MERCHANT)
    keys.dev_private_key(d, keys.PROVIDER)
    return d / "payment-keys"


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory, key_dir):
    """One database brought to head by Alembic, copied for each test (migrating costs ~0.5 s)."""
    from services.common.config import Settings
    d = tmp_path_factory.mktemp("payment-template")
    shutil.copytree(key_dir, d / "payment-keys")
    settings = Settings("payment", data_dir=d, amqp_url=None, production=False)
    rt = bootstrap(settings, transport=object(), provider_http=object())
    rt.engine.dispose()
    return d / "payment.sqlite3"


class World:
    def __init__(self, rt, app, sandbox, tokens, router=None):
        self.rt, self.app, self.sandbox, self.tokens = rt, app, sandbox, tokens
        self.router_apps = router.apps if router else {}
        self.client = app.test_client()
        self.sandbox_client = sandbox.test_client()
        self.notifier = sandbox.extensions["sandbox"]["notifier"]
        self.store = sandbox.extensions["sandbox"]["store"]
        self.provider = rt.services["provider"]

    def finance(self):
        return self.tokens.headers(sub="fin-1", roles=("finance",))

    def run_refunds(self):
        from services.payment.worker import process_refunds
        return process_refunds(self.rt)

    def refunds(self, order_number=None):
        from services.payment.service_layer import refunds
        with self.rt.uow() as uow:
            rows = (refunds.refunds_of_order(uow, order_number) if order_number
                    else refunds.list_refunds(uow))
            return [{"refund_number": r.refund_number, "status": r.status, "kind": r.kind,
                     "amount_fen": r.amount_fen, "trade_no": r.trade_no,
                     "not_before": r.not_before, "attempts": r.attempts} for r in rows]

    def headers(self, sub="cand-1", roles=("candidate",)):
        return self.tokens.headers(sub=sub, roles=roles)

    def request_payment(self, application_id="app-1", *, candidate_id="cand-1", fee=5000,
                        subjects=2, amount=None, deadline=None, event_id=None):
        data = validate_data("registration.payment.requested", {
            "application_id": application_id, "application_number": f"N-{application_id}",
            "candidate_id": candidate_id, "province": "广东", "description": "一级建造师 报名费",
            "fee_per_subject_fen": fee, "subject_count": subjects,
            "amount_fen": fee * subjects if amount is None else amount,
            "payment_deadline": (deadline or clock.now() + timedelta(days=5))})
        ev = new_event(source="/baokao/registration", type="registration.payment.requested",
                       data=data, subject=application_id, version=1, correlationid="c-1",
                       causationid=None)
        if event_id:
            ev = CloudEvent(**{**ev.__dict__, "id": event_id})
        sub = next(s for s in self.rt.subscriptions() if s.handler == "open_order")
        sub.callback(ev.to_json().encode())
        return ev

    def order(self, application_id="app-1", sub="cand-1"):
        r = self.client.get(f"/api/payment/applications/{application_id}/order",
                            headers=self.headers(sub))
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def events(self, type_: str) -> list[dict]:
        t = self.rt.tables.outbox
        with self.rt.engine.connect() as c:
            rows = c.execute(select(t.c.payload).where(t.c.type == type_)).all()
        out = []
        for (payload,) in rows:
            ev = CloudEvent.from_json(payload)
            validate_data(ev.type, ev.data)  # every emitted event honours its contract
            out.append(ev.data)
        return out

    def checkout(self, order_number, application_id="app-1", sub="cand-1"):
        r = self.client.post(f"/api/payment/orders/{order_number}/checkout",
                             json={"return_url": RETURN_URL.format(application_id)},
                             headers=self.headers(sub))
        assert r.status_code == 200, r.get_json()
        return r.get_json()["pay_url"]

    def open_pay_page(self, pay_url):
        parts = urlsplit(pay_url)
        assert f"{parts.scheme}://{parts.netloc}" == SANDBOX_BASE
        page = self.sandbox_client.get(f"{parts.path}?{parts.query}")
        assert page.status_code == 200, page.get_data(as_text=True)
        return page.get_data(as_text=True)

    def pay(self, order_number, application_id="app-1", faults=()):
        trade_no, location = self.pay_without_waiting(order_number, application_id, faults)
        assert self.notifier.wait_idle(10)
        return trade_no, location

    def pay_without_waiting(self, order_number, application_id="app-1", faults=()):
        html = self.open_pay_page(self.checkout(order_number, application_id))
        trade_no = re.search(r'name="trade_no" value="(\d+)"', html).group(1)
        r = self.sandbox_client.post("/gateway/pay", data={"trade_no": trade_no,
                                                           "fault": list(faults)})
        assert r.status_code == 302, r.get_data(as_text=True)
        return trade_no, r.headers["Location"]


@pytest.fixture
def world(make_settings, bus, tokens, key_dir, migrated_db, monkeypatch):
    for name in ("BAOKAO_SANDBOX_URL", "BAOKAO_PAYMENT_URL", *PROVIDER_ENV, "BAOKAO_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = make_settings("payment", public_base_url="http://127.0.0.1:8000")
    shutil.copytree(key_dir, settings.data_dir / "payment-keys", dirs_exist_ok=True)
    shutil.copy(migrated_db, settings.data_dir / "payment.sqlite3")
    router = Router()
    rt = bootstrap(settings, transport=bus, provider_http=router, migrate=False)
    app = create_app(rt, verifier=tokens.verifier)
    sandbox = create_sandbox(make_settings("sandbox"), http=router, time_scale=0.0001, faults="")
    router.apps.update({PAYMENT_BASE: app, SANDBOX_BASE: sandbox})
    w = World(rt, app, sandbox, tokens, router)
    yield w
    w.notifier.stop()
    clock.reset()

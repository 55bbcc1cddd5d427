"""The same journey over real sockets: both apps under werkzeug servers, the adapter and the
sandbox notifier using ``requests`` as in production."""
from __future__ import annotations

import re
import shutil
import threading
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from services.payment.bootstrap import bootstrap
from services.payment.sandbox.app import create_app as create_sandbox
from services.payment.web import create_app
from tests.service.payment.conftest import PROVIDER_ENV, World


class _Late:
    """A WSGI app set after the server (and so its port) exists."""
    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture
def servers(make_settings, bus, tokens, key_dir, monkeypatch):
    started = []
    urls = {}
    holders = {"payment": _Late(), "sandbox": _Late()}
    for name, holder in holders.items():
        srv = make_server("127.0.0.1", 0, holder, threaded=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        started.append(srv)
        urls[name] = f"http://127.0.0.1:{srv.server_port}"
    monkeypatch.setenv("BAOKAO_PAYMENT_URL", urls["payment"])
    monkeypatch.setenv("BAOKAO_SANDBOX_URL", urls["sandbox"])
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    settings = make_settings("payment", public_base_url="http://127.0.0.1:8000")
    shutil.copytree(key_dir, settings.data_dir / "payment-keys", dirs_exist_ok=True)
    rt = bootstrap(settings, transport=bus)
    holders["payment"].app = create_app(rt, verifier=tokens.verifier)
    holders["sandbox"].app = create_sandbox(make_settings("sandbox"), time_scale=0.0001,
                                            faults="")
    world = World(rt, holders["payment"].app, holders["sandbox"].app, tokens)
    yield world, urls
    world.notifier.stop()
    for srv in started:
        srv.shutdown()


def test_pay_and_query_over_sockets(servers):
    world, urls = servers
    world.request_payment()
    number = world.order()["order_number"]
    pay_url = world.checkout(number)
    assert pay_url.startswith(urls["sandbox"] + "/gateway.do?")
    page = requests.get(pay_url, timeout=5)
    assert page.status_code == 200 and "确认支付" in page.text
    trade_no = re.search(r'name="trade_no" value="(\d+)"', page.text).group(1)
    r = requests.post(urls["sandbox"] + "/gateway/pay", data={"trade_no": trade_no},
                      allow_redirects=False, timeout=5)
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).port == 8000
    assert world.notifier.wait_idle(10)
    assert world.order()["status"] == "paid"
    paid = world.events("payment.order.paid")
    assert len(paid) == 1 and paid[0]["confirmed_by"] == "notification"
    trade = world.rt.services["provider"].query(number)
    assert trade.paid and trade.trade_no == trade_no and trade.amount_fen == 10000

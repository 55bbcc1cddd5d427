"""The page behind the QR code on a printed admit card: anyone (no sign-in) learns whether the
number is genuine — exam, masked name, site, room, seat, day — against a real registration
service on a local port; look-ups by number are limited like /verify's."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from gateway import create_app, limiter
from gateway.config import GatewayConfig
from services.common.config import SERVICES
from tests.service.gateway.conftest import DOWN


@pytest.fixture
def registration(make_settings, bus, tokens):
    """Registration with the demo catalog and one issued admit card (王小明, 统计 exam)."""
    from services.registration.bootstrap import bootstrap
    from services.registration.web import create_app as registration_app
    from tests.service.registration.conftest import Registration
    rt = bootstrap(make_settings("registration", extra={"identity_url": DOWN}), transport=bus)
    app = registration_app(rt, verifier=tokens.verifier)
    reg = Registration(rt, app.test_client(), tokens)
    reg.register_candidate()
    made = reg.apply()
    assert made.status_code == 201, made.json
    reg.verify()
    reg.pay(made.json)
    card = reg.get(made.json["id"])["admit_card"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield card, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    rt.engine.dispose()


def gateway(registration_url: str):
    urls = {s: DOWN for s in SERVICES} | {"registration": registration_url}
    app = create_app(GatewayConfig(production=False, secret_key="test", redis_url=None,
                                   sandbox_url=DOWN, service_urls=urls, timeout_seconds=5,
                                   rate_limits=True))
    limiter.reset()
    return app.test_client()


def test_a_genuine_card_shows_what_it_prints_with_the_name_masked(registration):
    card, url = registration
    page = gateway(url).get(f"/admit-cards/{card['number']}")  # no session at all
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "准考证真实有效" in html
    for shown in (card["number"], "王*明", "统计", "渝中区第一考点", "第 01 考场", ">01<"):
        assert shown in html, shown
    assert "王小明" not in html and "2311" not in html  # neither the name nor the document


def test_an_unknown_or_malformed_number_is_a_clear_not_found(registration):
    _, url = registration
    client = gateway(url)
    for number in ("26TJ50010399999", "x", "26TJ%3Fa%3Db"):
        page = client.get(f"/admit-cards/{number}")
        assert page.status_code == 404, number
        assert "未找到该准考证" in page.get_data(as_text=True)


def test_the_api_behind_it_is_public_through_the_gateway(registration):
    card, url = registration
    client = gateway(url)
    ok = client.get(f"/api/registration/admit-cards/{card['number']}")
    assert ok.status_code == 200 and ok.json["holder_name_masked"] == "王*明"
    missing = client.get("/api/registration/admit-cards/26TJ50010399999")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "admit_card_not_found"


def test_look_ups_by_number_share_one_limit_page_and_api_alike(registration):
    card, url = registration
    client = gateway(url)
    statuses = [client.get(f"/admit-cards/{card['number']}").status_code for _ in range(15)]
    statuses += [client.get(f"/api/registration/admit-cards/{card['number']}").status_code
                 for _ in range(15)]
    assert set(statuses) == {200}
    assert client.get(f"/admit-cards/{card['number']}").status_code == 429
    api = client.get(f"/api/registration/admit-cards/{card['number']}")
    assert api.status_code == 429 and api.json["error"]["code"] == "rate_limited"
    assert client.get("/api/registration/exams").status_code == 200  # other calls: not this limit


def test_registration_down_is_a_503_page_not_an_error(registration):
    card, _ = registration
    page = gateway(DOWN).get(f"/admit-cards/{card['number']}")
    assert page.status_code == 503 and "报名服务暂时不可用" in page.get_data(as_text=True)

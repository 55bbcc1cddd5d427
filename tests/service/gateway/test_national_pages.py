"""The title certificate page through the gateway (seed 003, 我的证书): the national platform's
status, 查询人社部平台 with each differing field highlighted, and 上报人社部 refused while a
report is pending, accepted after a mismatch. A qualification certificate has no such section."""
from __future__ import annotations

import re
import threading
import uuid

import pytest
from werkzeug.serving import make_server

from gateway import create_app, limiter
from gateway.config import GatewayConfig
from services.common.auth import TokenVerifier
from services.common.bus.base import Outgoing
from services.common.config import SERVICES
from tests.service.certificates.conftest import qualification, qualified_event
from tests.service.certificates.test_title_certificates import DECIDED, decided_event, decision
from tests.service.gateway.conftest import DOWN, csrf_of


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def site(make_settings, bus):
    from services.certificates.bootstrap import bootstrap as cert_bootstrap
    from services.certificates.web import create_app as cert_app
    from services.common.runtime import WorkerHandle
    from services.identity import demo
    from services.identity.bootstrap import bootstrap as id_bootstrap
    from services.identity.web import create_app as id_app
    ident = id_bootstrap(make_settings("identity"), transport=bus)
    demo.seed(ident)
    certs = cert_bootstrap(make_settings("certificates", extra={"national_latency_ms": 0}),
                           transport=bus)
    handle = WorkerHandle(certs).start(relay=False, jobs=False)
    verifier = TokenVerifier(jwks_provider=ident.services["keys"].jwks)
    servers = [_serve(id_app(ident)), _serve(cert_app(certs, verifier=verifier))]
    urls = {s: DOWN for s in SERVICES} | {
        name: f"http://127.0.0.1:{s.server_port}" for name, s in zip(("identity", "certificates"),
                                                                      servers)}
    app = create_app(GatewayConfig(production=False, secret_key="t", redis_url=None,
                                   sandbox_url=DOWN, service_urls=urls, timeout_seconds=5,
                                   rate_limits=True))
    limiter.reset()
    client = app.test_client()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"csrf_token": token, "login": "demo_candidate",
                                       "password": "Baokao#2026"}).status_code == 302
    me = client.get("/api/identity/me").get_json()
    bus.publish([Outgoing(str(uuid.uuid4()), DECIDED, decided_event(decision(
        candidate_id=me["id"], holder_name="王小明")))])
    bus.publish([Outgoing("q-1", "registration.candidate.qualified", qualified_event(
        qualification(candidate_id=me["id"], holder_name="王小明")))])
    assert bus.wait_idle(60)
    yield client, certs
    handle.stop()
    for server in servers:
        server.shutdown()


def _flashes(html: str) -> list[str]:
    return re.findall(r'class="flash (?:success|error)"[^>]*>([^<]+)', html)


def test_title_certificate_page_compares_with_the_national_platform_and_re_reports(site):
    from services.certificates.service_layer import national
    client, certs = site
    mine = client.get("/api/certificates/me").get_json()
    title = next(c["number"] for c in mine if c["kind"] == "title")
    other = next(c["number"] for c in mine if c["kind"] == "qualification")
    assert "人社部平台上报" not in client.get(f"/certificates/{other}").get_data(as_text=True)

    page = client.get(f"/certificates/{title}").get_data(as_text=True)
    assert "人社部平台上报" in page and "上报中" in page and "查询人社部平台" in page
    refused = client.post(f"/certificates/{title}/national", data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 302 and "compare=1" in refused.headers["Location"]
    shown = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert any("正在上报" in f for f in _flashes(shown)), _flashes(shown)

    national.work(certs, certs.services["national"])
    platform = certs.services["national"]
    compared = client.get(f"/certificates/{title}?compare=1").get_data(as_text=True)
    assert "已上报" in compared and "人社部平台的信息与本证书一致" in compared
    assert 'class="mismatch"' not in compared
    listed = client.get("/titles/certificates").get_data(as_text=True)
    assert "人社部平台" in listed and 'national-reported">已上报' in listed

    platform.overwrite(title, holder_name="王晓明")
    compared = client.get(f"/certificates/{title}?compare=1").get_data(as_text=True)
    assert "人社部平台的信息与本证书不一致" in compared
    assert compared.count('class="mismatch"') == 1
    assert re.search(r'<tr class="mismatch"><td>姓名（不一致）</td><td>王小明</td>\s*'
                     r'<td><strong>王晓明</strong></td>', compared), compared
    assert "先“申请补正”" in compared
    accepted = client.post(f"/certificates/{title}/national",
                           data={"csrf_token": csrf_of(compared)})
    shown = client.get(accepted.headers["Location"]).get_data(as_text=True)
    assert any("已重新提交上报" in f for f in _flashes(shown)), _flashes(shown)
    assert "上报中" in shown
    national.work(certs, platform)
    assert platform.query(title)["holder_name"] == "王小明"
    assert "人社部平台的信息与本证书一致" in client.get(
        f"/certificates/{title}?compare=1").get_data(as_text=True)
    no_csrf = client.post(f"/certificates/{title}/national", data={})
    assert no_csrf.status_code in (400, 403)

"""Certificate pages through the gateway: the holder shares with a PIN, an employer opens it,
wrong PINs lock the link; a correction request carries its proof; a replacement (补发) carries
seed 004's three materials, an officer rejects it on the desk and the holder sees why."""
from __future__ import annotations

import io
import json
import re
import threading
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import update
from werkzeug.serving import make_server

from gateway import create_app, limiter
from gateway.config import GatewayConfig
from services.certificates.adapters.orm import certificates
from services.common.auth import TokenVerifier
from services.common.bus.base import Outgoing
from services.common.config import SERVICES
from tests.service.certificates.conftest import qualification, qualified_event
from tests.service.certificates.test_title_certificates import DECIDED, decided_event, decision
from tests.service.gateway.conftest import DOWN, csrf_of
from tests.service.gateway.test_pages import login_staff


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@contextmanager
def _running_site(make_settings, bus, **cert_settings):
    from services.certificates.bootstrap import bootstrap as cert_bootstrap
    from services.certificates.web import create_app as cert_app
    from services.common.runtime import WorkerHandle
    from services.identity import demo
    from services.identity.bootstrap import bootstrap as id_bootstrap
    from services.identity.web import create_app as id_app
    ident = id_bootstrap(make_settings("identity"), transport=bus)
    demo.seed(ident)
    certs = cert_bootstrap(make_settings("certificates", **cert_settings), transport=bus)
    WorkerHandle(certs).start(relay=False, jobs=False)
    verifier = TokenVerifier(jwks_provider=ident.services["keys"].jwks)
    servers = [_serve(id_app(ident)), _serve(cert_app(certs, verifier=verifier))]
    urls = {s: DOWN for s in SERVICES} | {"identity": servers[0][1], "certificates": servers[1][1]}
    app = create_app(GatewayConfig(production=False, secret_key="t", redis_url=None, sandbox_url=DOWN,
                                   service_urls=urls, timeout_seconds=5, rate_limits=True))
    limiter.reset()
    client = app.test_client()
    _login(client, "demo_candidate")
    me = client.get("/api/identity/me").get_json()
    bus.publish([Outgoing("q-1", "registration.candidate.qualified",
                          qualified_event(qualification(candidate_id=me["id"], holder_name="王小明")))])
    assert bus.wait_idle(10)
    [cert] = client.get("/api/certificates/me").get_json()
    try:
        yield client, app, cert["number"], certs
    finally:
        for server, _ in servers:
            server.shutdown()


def _login(client, login: str) -> None:
    token = csrf_of(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"csrf_token": token, "login": login,
                                       "password": "Baokao#2026"}).status_code == 302


@pytest.fixture
def site(make_settings, bus):
    with _running_site(make_settings, bus) as (client, app, number, _):
        yield client, app, number


@pytest.fixture
def paper_site(make_settings, bus):
    """The same site, the demo exam still on paper certificates (seed 004 replacement)."""
    paper_only = {"paper_only_exams": frozenset({"JJS"})}
    with _running_site(make_settings, bus, extra=paper_only) as (client, app, number, _):
        yield client, app, number


def _share(client, app, number: str, pin: str):
    """The holder makes a link on the certificate page; (an employer's client, its path)."""
    page = client.get(f"/certificates/{number}").get_data(as_text=True)
    resp = client.post(f"/certificates/{number}/shares", data={
        "csrf_token": csrf_of(page), "pin": pin, "label": "某某公司人事部", "days": "30"})
    assert resp.status_code == 302
    shown = client.get(resp.headers["Location"]).get_data(as_text=True)
    match = re.search(r"查验链接（仅显示这一次）：<code>([^<]+)</code>", shown)
    assert match, re.findall(r'class="flash[^"]*"[^>]*>([^<]+)', shown)
    return app.test_client(), "/" + match.group(1).split("/", 3)[3]  # the employer: no sign-in


def _open(employer, path: str, pin: str):
    form = employer.get(path).get_data(as_text=True)
    return employer.post(path, data={"csrf_token": csrf_of(form), "pin": pin})


def _heading(html: str) -> str:
    return re.search(r"<h2>([^<]*)</h2>", html).group(1)


def test_share_with_a_pin_employer_opens_it_and_wrong_pins_lock_it(site):
    client, app, number = site
    page = client.get(f"/certificates/{number}").get_data(as_text=True)
    assert "分享给用人单位" in page and "第 1 版" in page
    employer, path = _share(client, app, number, "864213")
    form = employer.get(path)
    assert form.status_code == 200 and "查验码" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    ok = _open(employer, path, "864213")
    assert ok.status_code == 200 and _heading(ok.get_data(as_text=True)) == "✔ 证书有效"
    assert "王小明" in ok.get_data(as_text=True)
    assert "<dt>资格名称</dt>" in ok.get_data(as_text=True)  # a qualification certificate
    for _ in range(5):
        assert _open(employer, path, "000000").status_code == 422
    locked = _open(employer, path, "864213")
    assert locked.status_code == 422 and "证书有效" not in locked.get_data(as_text=True)


def test_shared_title_certificate_says_what_it_is_and_why_it_fails(make_settings, bus):
    """The employer's page says what verify.html says: a professional title is labelled as one,
    a signature that no longer verifies is not called a revocation, and a revocation is."""
    with _running_site(make_settings, bus) as (client, app, _, certs):
        me = client.get("/api/identity/me").get_json()
        bus.publish([Outgoing(str(uuid.uuid4()), DECIDED, decided_event(decision(
            candidate_id=me["id"], holder_name="王小明")))])
        assert bus.wait_idle(10)
        title = next(c["number"] for c in client.get("/api/certificates/me").get_json()
                     if c["kind"] == "title")
        employer, path = _share(client, app, title, "k8s2j9")
        html = _open(employer, path, "k8s2j9").get_data(as_text=True)
        assert _heading(html) == "✔ 证书有效"
        assert "<dt>职称名称</dt><dd>工程师（中级）</dd>" in html
        assert "<dt>职称系列</dt><dd>工程技术</dd>" in html
        assert "资格名称" not in html

        def stored(**values):
            with certs.engine.begin() as conn:
                conn.execute(update(certificates).where(certificates.c.number == title)
                             .values(**values))
        with certs.engine.connect() as conn:
            raw = conn.execute(certificates.select().where(certificates.c.number == title)
                               ).one().credential
        doc = json.loads(raw)
        doc["credentialSubject"]["professionalTitle"]["level"] = "正高级"  # altered after signing
        stored(credential=json.dumps(doc))
        html = _open(employer, path, "k8s2j9").get_data(as_text=True)
        assert _heading(html) == "✘ 证书签名无效" and "吊销" not in html
        stored(credential=raw, status="revoked")
        html = _open(employer, path, "k8s2j9").get_data(as_text=True)
        assert _heading(html) == "✘ 证书已吊销"


def test_correction_needs_a_real_proof(site):
    client, _, number = site
    page = client.get(f"/certificates/{number}").get_data(as_text=True)
    fake = client.post(f"/certificates/{number}/corrections", data={
        "csrf_token": csrf_of(page), "kind": "name", "new_value": "王晓明",
        "proofs": (__import__("io").BytesIO(b"not a pdf at all"), "改名证明.pdf")},
        content_type="multipart/form-data")
    after = client.get(fake.headers["Location"]).get_data(as_text=True)
    assert "flash error" in after
    from tests.e2e.test_browser_journey import _pdf_bytes
    real = client.post(f"/certificates/{number}/corrections", data={
        "csrf_token": csrf_of(page), "kind": "name", "new_value": "王晓明",
        "proofs": (__import__("io").BytesIO(_pdf_bytes()), "改名证明.pdf")},
        content_type="multipart/form-data")
    assert "补正申请已提交" in client.get(real.headers["Location"]).get_data(as_text=True)


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
ADDRESS = {"recipient": "王小明", "address": "广东省广州市越秀区中山五路 1 号 101 室",
           "phone": "13800138000"}


def test_replacement_form_uploads_materials_and_shows_the_rejection(paper_site, make_settings):
    client, app, number = paper_site
    page = client.get(f"/certificates/{number}").get_data(as_text=True)
    assert "纸质证书尚未寄达，无需补办" in page and 'name="application_form"' not in page
    assert client.post(f"/certificates/{number}/mailings",
                       data={"csrf_token": csrf_of(page), **ADDRESS}).status_code == 302
    staff = app.test_client()
    assert login_staff(staff, "certofficer").status_code == 302
    token = csrf_of(staff.get("/ops/").get_data(as_text=True))
    [m] = staff.get("/api/certificates/mailings").get_json()
    for state, extra in (("printed", {}), ("shipped", {"tracking_number": "EA123456789CN"}),
                         ("delivered", {})):
        resp = staff.post(f"/api/certificates/mailings/{m['id']}/state", json={"state": state, **extra},
                          headers={"X-CSRFToken": token})
        assert resp.status_code == 200, resp.get_data(as_text=True)
    page = client.get(f"/certificates/{number}").get_data(as_text=True)
    for field in ("application_form", "id_document", "photo", "id_document_type"):
        assert f'name="{field}"' in page
    assert 'enctype="multipart/form-data"' in page

    def send(photo: bytes):
        from tests.e2e.test_browser_journey import _pdf_bytes
        return client.post(f"/certificates/{number}/replacements", content_type="multipart/form-data",
                           data={"csrf_token": csrf_of(page), **ADDRESS, "reason": "lost",
                                 "id_document_type": "resident_id",
                                 "application_form": (io.BytesIO(_pdf_bytes()), "申请表.pdf"),
                                 "id_document": [(io.BytesIO(JPEG), "正面.jpg"),
                                                 (io.BytesIO(JPEG), "反面.jpg")],
                                 "photo": (io.BytesIO(photo), "照片.jpg")})
    wrong = send(b"GIF89a not a jpeg")
    assert "不是 JPEG 图片" in client.get(wrong.headers["Location"]).get_data(as_text=True)
    ok = send(JPEG)
    shown = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "补发申请已提交" in shown and "材料待审核" in shown
    desk = staff.get("/ops/certificates/desk").get_data(as_text=True)
    assert "补发材料待审核" in desk and "/materials/" in desk
    link = re.search(r'href="(/ops/certificates/replacements/[^"]+)"[^>]*>身份证件', desk).group(1)
    scan = staff.get(link)
    assert scan.status_code == 200 and scan.data == JPEG
    mid = link.split("/")[4]
    rejected = staff.post(f"/ops/certificates/replacements/{mid}/reject",
                          data={"csrf_token": csrf_of(desk), "reason": "申请表未签名"})
    assert rejected.status_code == 302
    after = client.get(f"/certificates/{number}").get_data(as_text=True)
    assert "材料未通过：申请表未签名" in after and 'name="application_form"' in after

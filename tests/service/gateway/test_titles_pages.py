"""Professional-title pages (seed 003) against real identity, registration and certificates
services on local ports, sharing one in-memory bus: profile, archive, accepting unit, pledge,
sections saved as you go, archive sync, PDF attachments, preview, submit, return with a reason,
modify, resubmit, approval, the handling record, the title certificate; and no section lost when
the sign-in expires mid-form."""
from __future__ import annotations

import io
import re
import threading

import pytest
from werkzeug.serving import make_server

from gateway import create_app, limiter
from gateway.config import GatewayConfig
from services.common.auth import TokenVerifier
from services.common.config import SERVICES
from tests.service.gateway.conftest import DOWN, csrf_of
from tests.service.gateway.test_pages import login, login_staff

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def site(make_settings, bus, tmp_path):
    from services.certificates.bootstrap import bootstrap as cert_bootstrap
    from services.certificates.web import create_app as cert_app
    from services.common.runtime import WorkerHandle
    from services.identity import demo
    from services.identity.bootstrap import bootstrap as id_bootstrap
    from services.identity.web import create_app as id_app
    from services.registration.adapters.verification import StaticVerification
    from services.registration.bootstrap import bootstrap as reg_bootstrap
    from services.registration.web import create_app as reg_app
    ident = id_bootstrap(make_settings("identity"), transport=bus)
    reg = reg_bootstrap(make_settings("registration"), transport=bus)
    reg.services["verification"] = StaticVerification()
    certs = cert_bootstrap(make_settings("certificates"), transport=bus)
    workers = [WorkerHandle(rt).start(jobs=False) for rt in (reg, certs, ident)]
    demo.seed(ident)
    verifier = TokenVerifier(jwks_provider=ident.services["keys"].jwks)
    servers = [_serve(id_app(ident)), _serve(reg_app(reg, verifier=verifier)),
               _serve(cert_app(certs, verifier=verifier))]
    urls = {s: DOWN for s in SERVICES} | {"identity": servers[0][1],
                                          "registration": servers[1][1],
                                          "certificates": servers[2][1]}
    app = create_app(GatewayConfig(production=False, secret_key="t", redis_url=None,
                                   sandbox_url=DOWN, service_urls=urls, timeout_seconds=5,
                                   rate_limits=True, data_dir=tmp_path / "gateway"))
    limiter.reset()
    yield app, bus
    for w in workers:
        w.stop()
    for server, _ in servers:
        server.shutdown()


def text(resp) -> str:
    return resp.get_data(as_text=True)


def follow(client, resp):
    assert resp.status_code in (302, 303), text(resp)[:3000]
    return client.get(resp.headers["Location"])


def post(client, url: str, page_url: str | None = None, **data):
    token = csrf_of(text(client.get(page_url or url)))
    return client.post(url, data={"csrf_token": token, **data})


def flashes(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'class="flash[^"]*"[^>]*>(.*?)</div>',
                                                         html, re.S)]


def form_fields(html: str, action: str) -> dict:
    """The hidden inputs of the form posting to ``action`` (csrf token and resume marker)."""
    form = html[html.index(f'action="{action}"'):]
    form = form[:form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def start_initial(client) -> str:
    """Profile, archive, pledge at 渝北区人社局: the new draft's id."""
    saved = post(client, "/titles/profile", gender="女", birth_date="1996-05-04",
                 phone="13800138001", political_status="群众", education_highest="本科",
                 work_start_date="2019-07-01", current_series="工程技术",
                 personnel_category="事业单位人员", employer="重庆某建筑设计院",
                 employer_region="500112")
    assert "基本信息已保存" in text(follow(client, saved))
    added = post(client, "/titles/archive", kind="project", title="渝北区某小学教学楼结构设计",
                 date="2021-03-01", role="主要设计人", description="负责结构计算与施工图")
    assert "渝北区某小学教学楼结构设计" in text(follow(client, added))
    units = text(client.get("/titles/initial/?q=渝北"))
    assert "渝北区人力资源和社会保障局" in units and "江北区" not in units
    unit = text(client.get("/titles/initial/units/unit-yubei"))
    assert "申报须知" in unit and "学历学位证书" in unit and "我要申报" in unit
    page = "/titles/initial/pledge?unit=unit-yubei"
    refused = post(client, page, title="工程技术|助理工程师|初级")
    assert refused.status_code == 422 and "请阅读并勾选诚信承诺书" in text(refused)
    created = post(client, page, title="工程技术|助理工程师|初级", specialty="建筑",
                   pledge="yes", unit="unit-yubei")
    assert created.status_code == 302, text(created)[:2000]
    return re.search(r"/titles/applications/([^/]+)/sections/basic", created.headers["Location"]).group(1)


def save(client, app_id: str, section: str, **fields):
    url = f"/titles/applications/{app_id}/sections/{section}"
    hidden = form_fields(text(client.get(url)), url)
    return client.post(url, data={**hidden, **fields})


def fill_all(client, app_id: str) -> None:
    basic = text(client.get(f"/titles/applications/{app_id}/sections/basic"))
    assert "重庆某建筑设计院" in basic  # the profile was copied in
    assert "诚信承诺保证书" in basic and "基本信息" in basic and "见习期工作小结" in basic
    r = save(client, app_id, "basic", gender="女", birth_date="1996-05-04", phone="13800138001",
             employer="重庆某建筑设计院", work_start_date="2019-07-01", then="next")
    assert r.headers["Location"].endswith("/sections/education")
    bad = save(client, app_id, "education", **{"items-0-school": "重庆大学"})
    assert bad.status_code == 422 and "field-error" in text(bad)  # the start date is missing
    r = save(client, app_id, "education", **{
        "items-0-start": "2015-09-01", "items-0-end": "2019-06-30", "items-0-school": "重庆大学",
        "items-0-education": "本科", "items-0-degree": "学士", "items-0-major": "土木工程"})
    assert "“学历学位”已保存" in text(follow(client, r))
    save(client, app_id, "work_history", **{"items-0-start": "2019-07-01",
                                            "items-0-employer": "重庆某建筑设计院",
                                            "items-0-position": "设计员"})
    synced = post(client, f"/titles/applications/{app_id}/sync-archive",
                  page_url=f"/titles/applications/{app_id}/sections/achievements")
    page = text(follow(client, synced))
    assert "已从业绩档案同步" in page and "渝北区某小学教学楼结构设计" in page
    r = save(client, app_id, "probation_summary", text="见习期间参与三个项目的结构设计。")
    assert r.status_code == 302
    attach_url = f"/titles/applications/{app_id}/attachments"
    page_url = f"/titles/applications/{app_id}/sections/attachments"
    token = csrf_of(text(client.get(page_url)))
    fake = client.post(attach_url, data={"csrf_token": token, "label": "学历学位证书",
                                         "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n0000"), "学历.pdf")},
                       content_type="multipart/form-data")
    assert any("PDF" in f for f in flashes(text(follow(client, fake))))
    big = client.post(attach_url, data={"csrf_token": token, "label": "学历学位证书",
                                        "file": (io.BytesIO(PDF + b"0" * (10 * 1024 * 1024)), "big.pdf")},
                      content_type="multipart/form-data")
    assert any("10MB" in f for f in flashes(text(follow(client, big))))
    ok = client.post(attach_url, data={"csrf_token": token, "label": "学历学位证书",
                                       "file": (io.BytesIO(PDF), "学历学位证书.pdf")},
                     content_type="multipart/form-data")
    assert "学历学位证书.pdf" in text(follow(client, ok))


def test_initial_title_from_profile_to_certificate(site):
    app, bus = site
    me, clerk = app.test_client(), app.test_client()
    assert login(me).status_code == 302
    app_id = start_initial(me)
    fill_all(me, app_id)
    preview = text(me.get(f"/titles/applications/{app_id}/preview"))
    assert "提交申报书" in preview and "尚未填写完整" not in preview
    submitted = post(me, f"/titles/applications/{app_id}/submit",
                     page_url=f"/titles/applications/{app_id}/preview")
    listing = text(follow(me, submitted))
    assert "申报书已提交" in listing and "撤回" in listing and "办理记录" in listing
    assert "下载申报书" in listing
    pdf = me.get(f"/titles/applications/{app_id}/form.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    assert login_staff(clerk, "unitclerk").headers["Location"] == "/ops/"
    assert "职称申报受理" in text(clerk.get("/ops/"))
    assert clerk.get("/ops/registration/titles/").status_code == 200
    detail_url = f"/ops/registration/titles/applications/{app_id}"
    token = csrf_of(text(clerk.get(detail_url)))
    returned = clerk.post(f"{detail_url}/return", data={"csrf_token": token,
                                                         "reason": "请完善见习工作小结"})
    assert returned.status_code in (302, 303), text(returned)[:2000]

    mine = text(me.get("/titles/applications"))
    assert "已退回" in mine and "修改" in mine and "撤回" not in mine
    section = text(me.get(f"/titles/applications/{app_id}/sections/probation_summary"))
    assert "退回原因记录" in section and "请完善见习工作小结" in section and "郑*" in section
    save(me, app_id, "probation_summary", text="见习期间参与三个项目的结构设计，完成施工图审查意见回复。")
    post(me, f"/titles/applications/{app_id}/submit", page_url=f"/titles/applications/{app_id}/preview")
    token = csrf_of(text(clerk.get(detail_url)))
    approved = clerk.post(f"{detail_url}/approve", data={"csrf_token": token, "note": "同意"})
    assert approved.status_code in (302, 303), text(approved)[:2000]
    assert bus.wait_idle(60)

    import time
    deadline = time.monotonic() + 60  # the certificate arrives by event (slow on a loaded CI box)
    while True:
        record = text(me.get(f"/titles/applications/{app_id}/record"))
        if "已办结" in record or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "发放证书" in record and "已办结" in record and "提交申报书" in record and "退回" in record
    certs = text(me.get("/titles/certificates"))
    number = re.search(r"<code>(ZC\d{4}[0-9A-Z]+)</code>", certs).group(1)
    assert "助理工程师" in certs and "职称初定" in certs and "渝北区人力资源和社会保障局" in certs
    assert f'href="/certificates/{number}"' in certs
    assert "分享给用人单位" in text(me.get(f"/certificates/{number}"))
    verified = text(app.test_client().get(f"/verify?number={number}&name=王小明"))
    assert "证书有效" in verified and "职称证书" in verified and "助理工程师" in verified


def test_a_section_posted_after_the_session_expired_is_restored_after_sign_in(site, tmp_path):
    app, _ = site
    me = app.test_client()
    assert login(me).status_code == 302
    app_id = start_initial(me)
    url = f"/titles/applications/{app_id}/sections/probation_summary"
    hidden = form_fields(text(me.get(url)), url)
    with me.session_transaction() as s:  # the sign-in expires while the form is open
        s.clear()
    typed = "见习期间我独立完成了两个项目的结构计算。" * 3
    resp = me.post(url, data={**hidden, "text": typed})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login?next=")
    assert "baokao_resume=" in resp.headers["Set-Cookie"]
    kept = list((tmp_path / "gateway" / "resume").glob("*.bin"))
    assert len(kept) == 1 and "见习".encode() not in kept[0].read_bytes()  # encrypted at rest
    login_page = text(me.get(resp.headers["Location"]))
    assert "登录后将自动恢复" in login_page
    token = csrf_of(login_page)
    back = me.post("/login", data={"csrf_token": token, "login": "demo_candidate",
                                   "password": "Baokao#2026", "next": url})
    assert back.headers["Location"] == url
    page = text(me.get(url))
    assert "已恢复您未保存的内容" in page and typed in page
    stored = me.get(f"/api/registration/titles/applications/{app_id}").get_json()
    assert not stored["sections"]["probation_summary"]  # restored on screen, not saved behind
    saved = me.post(url, data={**form_fields(page, url), "text": typed})
    assert "已保存" in text(follow(me, saved))
    assert "已恢复您未保存的内容" not in text(me.get(url))
    stored = me.get(f"/api/registration/titles/applications/{app_id}").get_json()
    assert stored["sections"]["probation_summary"] == typed

    other = app.test_client()  # another browser without the cookie gets nothing back
    assert login(other).status_code == 302
    assert "已恢复" not in text(other.get(url))


def test_list_sections_survive_expiry_and_forged_posts_are_not_kept(site, tmp_path):
    app, _ = site
    me = app.test_client()
    assert login(me).status_code == 302
    app_id = start_initial(me)
    url = f"/titles/applications/{app_id}/sections/work_history"
    hidden = form_fields(text(me.get(url)), url)
    with me.session_transaction() as s:
        s.clear()
    forged = me.post(url, data={"items-0-employer": "钓鱼网站", "items-0-start": "2020-01-01"})
    assert forged.status_code == 400 and "页面已过期" in text(forged)
    assert not list((tmp_path / "gateway" / "resume").glob("*.bin"))
    wrong_form = me.post(f"/titles/applications/{app_id}/sections/education",
                         data={**hidden, "items-0-school": "X"})  # a marker for another section
    assert wrong_form.status_code == 400
    resp = me.post(url, data={**hidden, "items-0-start": "2019-07-01",
                              "items-0-employer": "重庆某建筑设计院", "items-0-position": "设计员",
                              "items-1-start": "", "items-1-employer": ""})
    assert resp.status_code == 302
    assert login(me).status_code == 302
    page = text(me.get(url))
    assert "已恢复您未保存的内容" in page and 'value="重庆某建筑设计院"' in page
    assert 'value="设计员"' in page


def test_withdraw_then_delete_and_the_ops_index_for_title_roles(site):
    app, _ = site
    me = app.test_client()
    assert login(me).status_code == 302
    app_id = start_initial(me)
    fill_all(me, app_id)
    post(me, f"/titles/applications/{app_id}/submit", page_url=f"/titles/applications/{app_id}/preview")
    withdrawn = post(me, f"/titles/applications/{app_id}/withdraw", page_url="/titles/applications")
    listing = text(follow(me, withdrawn))
    assert "已撤回" in listing and "修改" in listing and "删除" in listing
    kept = post(me, f"/titles/applications/{app_id}/delete", page_url="/titles/applications")
    assert "请勾选确认" in text(follow(me, kept))
    gone = post(me, f"/titles/applications/{app_id}/delete", page_url="/titles/applications",
                confirm="yes")
    assert app_id not in text(follow(me, gone))
    assert me.get("/ops/registration/titles/").status_code == 403

    for who, tile in (("titleadmin", "职称评审管理"), ("committee", "评审委员会")):
        staff = app.test_client()
        login_staff(staff, who)
        assert tile in text(staff.get("/ops/"))
        assert staff.get("/ops/registration/titles/").status_code == 200
        assert staff.get("/ops/registration/").status_code == 403  # exam dashboards stay closed

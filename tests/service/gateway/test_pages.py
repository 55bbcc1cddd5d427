"""Gateway behaviour a candidate and an integrator rely on: sessions, CSRF, limits, degradation."""
from __future__ import annotations

from tests.service.gateway.conftest import csrf_of, field_errors

SIGNUP = dict(agreement_version="2026-01", username="lihua2024", password="Hua!Li#Kao9",
              password2="Hua!Li#Kao9", name="李华", document_type="resident_id",
              document_number="440106199208154524", phone="13900139000", education_level="本科",
              school="中山大学", major="工程管理", graduation_date="2014-06-30",
              certificate_number="105581201405001357", study_mode="全日制", confirm_name="李华",
              confirm_document_number="440106199208154524",
              confirm_certificate_number="105581201405001357", agree="yes")


def login(client, who="demo_candidate", password="Baokao#2026"):
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "login": who, "password": password})


def login_staff(client, who="opsadmin", password="Baokao#2026"):
    """Staff sign in with the password, then the TOTP code (demo secret, dev and test only)."""
    from services.identity.adapters.totp import now_code
    from services.identity.demo import DEMO_TOTP_SECRET
    step = login(client, who, password)
    assert step.status_code == 200 and "动态码" in step.get_data(as_text=True)
    return client.post("/login/totp", data={"csrf_token": csrf_of(step.get_data(as_text=True)),
                                            "code": now_code(DEMO_TOTP_SECRET)})


def test_security_headers_on_every_page(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Correlation-ID"]
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_forms_refuse_posts_without_csrf_token(client):
    resp = client.post("/login", data={"login": "demo_candidate", "password": "Baokao#2026"})
    assert resp.status_code == 400
    assert "页面已过期" in resp.get_data(as_text=True)


def test_sign_up_checks_the_second_confirmation_then_signs_in(client):
    token = csrf_of(client.get("/signup").get_data(as_text=True))
    resp = client.post("/signup", data={**SIGNUP, "csrf_token": token, "confirm_name": "李"})
    assert resp.status_code == 422
    assert "与上方填写的姓名不一致" in field_errors(resp.get_data(as_text=True))
    resp = client.post("/signup", data={**SIGNUP, "csrf_token": token, "password": "abc12345",
                                        "password2": "abc12345"})
    assert resp.status_code == 422
    assert any("大写字母" in e for e in field_errors(resp.get_data(as_text=True)))
    before = client.get_cookie("baokao_session").value
    resp = client.post("/signup", data={**SIGNUP, "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert client.get_cookie("baokao_session").value != before  # session rotated at sign-in
    home = client.get("/").get_data(as_text=True)
    assert "您好，李华" in home and "注册成功" in home


def test_duplicate_document_is_refused_next_to_its_field(client):
    token = csrf_of(client.get("/signup").get_data(as_text=True))
    resp = client.post("/signup", data={**SIGNUP, "csrf_token": token, "username": "another1",
                                        "document_number": "500103199003072311",
                                        "confirm_document_number": "500103199003072311"})
    assert resp.status_code == 422
    assert "该证件号码已注册账号，请直接登录或找回用户名" in field_errors(resp.get_data(as_text=True))


def test_wrong_password_is_explained_in_chinese(client):
    resp = login(client, password="Wrong#Pass1")
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.get_data(as_text=True)


def test_a_down_service_degrades_one_section_not_the_site(client):
    assert login(client).status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "该部分服务暂时不可用" in home.get_data(as_text=True)
    exams = client.get("/exams")
    assert exams.status_code == 503
    assert "报名服务暂时不可用" in exams.get_data(as_text=True)
    api = client.get("/api/registration/exams")
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "service_unavailable"


def test_api_proxy_forwards_bearer_tokens_and_errors(client):
    resp = client.post("/api/identity/tokens", json={"login": "demo_candidate",
                                                      "password": "Baokao#2026"})
    assert resp.status_code == 200
    token = resp.get_json()["access_token"]
    me = client.get("/api/identity/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["document_number_masked"] == "5001**********2311"
    bad = client.post("/api/identity/candidates", data="{not json",
                      headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_json"
    assert client.get("/api/identity/me").status_code == 401


def test_session_api_calls_need_csrf_for_writes(client):
    assert login(client).status_code == 302
    assert client.get("/api/identity/me").status_code == 200  # the browser session's token
    resp = client.post("/api/identity/tokens/refresh", json={"refresh_token": "x"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "csrf_failed"


def test_dashboards_check_roles(client):
    assert client.get("/ops/identity/").status_code == 302  # to the login page
    assert login(client).status_code == 302
    assert client.get("/ops/identity/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").get_data(as_text=True))})
    assert login_staff(client, "opsadmin").headers["Location"] == "/ops/"
    page = client.get("/ops/identity/")
    assert page.status_code == 200
    assert "5001**********2311" in page.get_data(as_text=True)  # masked on screen
    assert "500103199003072311" not in page.get_data(as_text=True)
    assert client.get("/ops/payment/").status_code == 403  # not a finance role
    assert client.get("/ops/identity/dead-letters/").status_code == 200


def test_sign_in_is_rate_limited_with_retry_after(client):
    token = csrf_of(client.get("/login").get_data(as_text=True))
    statuses = [client.post("/login", data={"csrf_token": token, "login": "nobody",
                                            "password": "x"}).status_code for _ in range(31)]
    assert statuses[-1] == 429
    resp = client.post("/login", data={"csrf_token": token, "login": "nobody", "password": "x"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert "操作过于频繁" in resp.get_data(as_text=True)


def test_integrator_documents(client):
    doc = client.get("/api/asyncapi.json").get_json()
    assert doc["asyncapi"] == "3.0.0" and "identity.candidate.registered" in doc["channels"]
    page = client.get("/docs/events").get_data(as_text=True)
    assert "identity.candidate.registered" in page and "事件目录" in page
    merged = client.get("/api/openapi.json").get_json()
    assert "/api/identity/candidates" in merged["paths"]
    assert "registration" in merged["x-unavailable"]
    assert client.get("/healthz").get_json()["status"] == "alive"


def test_times_are_shown_in_beijing_time():
    from gateway.filters import beijing, yuan
    assert beijing("2026-11-24T11:13:00+00:00") == "2026-11-24 19:13"
    assert beijing("2026-12-31T20:00:00Z", "%Y-%m-%d") == "2027-01-01"
    assert beijing(None) == "" and beijing("garbage") == "garbage"
    assert yuan(5000) == "50.00" and yuan(None) == "0.00"


def test_sign_up_with_a_degree_and_its_second_confirmation(client):
    token = csrf_of(client.get("/signup").get_data(as_text=True))
    degree = {"degree_level": "学士", "degree_type": "管理学学士", "degree_school": "中山大学",
              "degree_major": "工程管理", "degree_awarded_date": "2014-06-30",
              "degree_certificate_number": "1055842014001357", "document_valid_until": "2035-01-01"}
    resp = client.post("/signup", data={**SIGNUP, **degree, "csrf_token": token,
                                        "confirm_degree_certificate_number": "1055842014009999"})
    assert resp.status_code == 422
    assert "与上方填写的学位证书编号不一致" in field_errors(resp.get_data(as_text=True))
    resp = client.post("/signup", data={**SIGNUP, **degree, "csrf_token": token,
                                        "confirm_degree_certificate_number": "1055842014001357"})
    assert resp.status_code == 302, field_errors(resp.get_data(as_text=True))
    me = client.get("/api/identity/me").get_json()
    assert me["degree"]["level"] == "学士" and me["document_valid_until"] == "2035-01-01"


def test_service_to_service_routes_are_not_reachable_through_the_gateway(client):
    for path in ("/api/identity/oauth/token", "/api/identity/internal/candidates/x/document",
                 "/api/identity/internal/candidates/x/photo"):
        assert client.post(path, data={"grant_type": "client_credentials"}).status_code == 404
        assert client.get(path).status_code == 404


def test_a_service_down_degrades_the_gateway_but_keeps_it_ready(client):
    """Kubernetes probes /readyz: one service down must not take the whole site away."""
    probe = client.get("/readyz")
    assert probe.status_code == 200 and probe.get_json()["status"] == "degraded"
    assert probe.get_json()["checks"]["identity"] is True
    assert probe.get_json()["checks"]["payment"] is False
    whole = client.get("/readyz?upstreams=all")  # start-up scripts wait for every service
    assert whole.status_code == 503


def test_the_registration_agreement_is_shown_before_it_is_accepted(client):
    page = client.get("/signup").get_data(as_text=True)
    assert "阅读《报考平台注册协议》（2026-01 版）" in page
    assert "保证所提交的注册和报名信息真实、准确" in page  # the text itself, not only its name
    full = client.get("/agreement")
    assert full.status_code == 200
    text = full.get_data(as_text=True)
    assert "报考平台注册协议（2026-01 版）" in text and "个人信息保护" in text


def test_the_gateway_serves_the_metrics_its_pods_are_scraped_for(client):
    client.get("/login")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'baokao_http_requests_total{endpoint="public.login",method="GET",' \
           'service="gateway",status="200"}' in body


def test_public_certificate_look_ups_are_limited_per_address(client):
    """Verification by number and shared links need no sign-in: 30 a minute per address, so
    nobody walks through numbers or tokens; other API calls keep their own limit."""
    answers = [client.get("/api/certificates/verify?number=ZS2026&name=x").status_code
               for _ in range(20)]
    answers += [client.post("/api/certificates/shared/tok", json={"pin": "000000"}).status_code
                for _ in range(10)]
    assert 429 not in answers  # certificates is down in this fixture: 503 until the limit
    limited = client.get("/api/certificates/verify?number=ZS2026&name=x")
    assert limited.status_code == 429
    assert client.get("/api/identity/agreement").status_code == 200


def test_production_mode_sends_hsts_and_secure_session_cookies(identity_url):
    from gateway import create_app as gateway_app
    from gateway.config import GatewayConfig as Config
    from services.common.config import SERVICES as ALL
    prod = gateway_app(Config(production=True, secret_key="prod-test", redis_url=None,
                              sandbox_url="http://127.0.0.1:9", timeout_seconds=3,
                              service_urls={s: identity_url for s in ALL}, rate_limits=False))
    client = prod.test_client()
    page = client.get("/login", base_url="https://baokao.example")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    signed_in = login(client)
    cookie = signed_in.headers.get("Set-Cookie", "")
    assert "baokao_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie

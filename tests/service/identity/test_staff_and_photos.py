"""Staff: TOTP two-factor, accounts and roles made in the dashboard, audit; candidate photos."""
from __future__ import annotations

import io
import re

import pyotp
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import text

from services.common.events import CloudEvent
from services.identity import demo
from services.identity.adapters.totp import now_code
from services.identity.domain.model import Account
from tests.service.identity.conftest import outbox_types

ADMIN = dict(sub="admin-1", roles=("platform_admin",), username="opsadmin", name="赵运维")


def staff_sign_in(client, login="examadmin", **kw):
    return client.post("/api/identity/tokens", json={"login": login, "password": demo.DEMO_PASSWORD,
                                                     **kw})


def test_demo_staff_need_totp_and_can_use_the_published_demo_secret(ident):
    rt, client, _ = ident
    demo.seed(rt)
    first = staff_sign_in(client)
    assert first.status_code == 401 and first.get_json()["error"]["code"] == "totp_required"
    ticket = first.get_json()["error"]["ticket"]
    wrong = client.post("/api/identity/tokens/totp", json={"ticket": ticket, "code": "000000"})
    assert wrong.get_json()["error"]["code"] == "totp_wrong"
    ok = client.post("/api/identity/tokens/totp", json={
        "ticket": ticket, "code": now_code(demo.DEMO_TOTP_SECRET)})
    assert ok.status_code == 200 and ok.get_json()["roles"] == ["exam_admin"]
    reused = client.post("/api/identity/tokens/totp", json={
        "ticket": ticket, "code": now_code(demo.DEMO_TOTP_SECRET)})
    assert reused.get_json()["error"]["code"] == "ticket_invalid"
    one_shot = staff_sign_in(client, totp=now_code(demo.DEMO_TOTP_SECRET))
    assert one_shot.status_code == 200
    assert demo_candidate_needs_no_totp(client)


def demo_candidate_needs_no_totp(client) -> bool:
    return client.post("/api/identity/tokens", json={"login": "demo_candidate",
                                                     "password": demo.DEMO_PASSWORD}).status_code == 200


def test_new_staff_made_in_the_dashboard_reset_password_then_enrol_totp(ident, tokens):
    rt, client, _ = ident
    admin = tokens.headers(**ADMIN)
    form = {"username": "reviewer50", "name": "周审核", "document_type": "resident_id",
            "document_number": "500103198501150998", "roles": ["reviewer"], "csrf_token": "x"}
    missing_scope = client.post("/ops/identity/staff/new", data=form, headers=admin)
    assert missing_scope.status_code == 422 and "省份" in missing_scope.get_data(as_text=True)
    made = client.post("/ops/identity/staff/new", data={**form, "province": "50"}, headers=admin)
    assert made.status_code == 200
    password = re.search(r'class="temp-password">([^<]+)<', made.get_data(as_text=True)).group(1)
    forbidden = client.post("/ops/identity/staff/new", data=form,
                            headers=tokens.headers(sub="a", roles=("auditor",)))
    assert forbidden.status_code == 403
    # First sign-in: the temporary password must be replaced …
    step = client.post("/api/identity/tokens", json={"login": "reviewer50", "password": password})
    assert step.get_json()["error"]["code"] == "password_reset_required"
    reset = client.post("/api/identity/recovery/password/reset", json={
        "reset_token": step.get_json()["error"]["ticket"], "new_password": "Rev!ew#Pass50"})
    assert reset.status_code == 200
    # … then the authenticator is enrolled with a QR shown once.
    step = client.post("/api/identity/tokens", json={"login": "reviewer50", "password": "Rev!ew#Pass50"})
    assert step.get_json()["error"]["code"] == "totp_enrolment_required"
    ticket = step.get_json()["error"]["ticket"]
    enrol = client.post("/api/identity/totp/enrolment", json={"ticket": ticket}).get_json()
    assert enrol["qr"].startswith("data:image/png;base64,")
    assert enrol["otpauth_uri"].startswith("otpauth://totp/")
    again = client.post("/api/identity/totp/enrolment", json={"ticket": ticket})
    assert again.get_json()["error"]["code"] == "totp_enrolment_shown"
    done = client.post("/api/identity/tokens/totp", json={
        "ticket": ticket, "code": pyotp.TOTP(enrol["secret"]).now()})
    assert done.status_code == 200
    from services.common.auth import TokenVerifier  # identity signs with its own keys
    principal = TokenVerifier(jwks_provider=rt.services["keys"].jwks).verify(
        done.get_json()["access_token"])
    assert principal.roles == {"reviewer"} and principal.scope == {"province": "50"}
    audit = client.get("/ops/identity/audit", headers=tokens.headers(sub="au", roles=("auditor",)))
    assert audit.status_code == 200 and "staff.create" in audit.get_data(as_text=True)


def test_title_staff_get_the_scope_their_role_reads(ident, tokens):
    rt, client, _ = ident
    admin = tokens.headers(**ADMIN)
    form = {"username": "clerk_jb", "name": "钱受理", "document_type": "resident_id",
            "document_number": "500103198501150998", "roles": ["title_unit"], "csrf_token": "x",
            "province": "50", "committee": "某委员会"}
    missing = client.post("/ops/identity/staff/new", data=form, headers=admin)
    assert missing.status_code == 422 and "受理单位" in missing.get_data(as_text=True)
    made = client.post("/ops/identity/staff/new", data={**form, "unit_id": "unit-jiangbei"},
                       headers=admin)
    assert made.status_code == 200, re.findall(r"flash error[^>]*>([^<]+)", made.get_data(as_text=True))
    account = rt.session_factory().query(Account).filter_by(username="clerk_jb").one()
    assert account.roles == ["title_unit"] and account.scope == {"unit_id": "unit-jiangbei"}
    moved = client.post(f"/ops/identity/accounts/{account.id}/roles", headers=admin, data={
        "roles": ["title_committee"], "committee": "重庆市工程技术中级评审委员会",
        "unit_id": "unit-jiangbei", "csrf_token": "x"})
    assert moved.status_code in (302, 303)
    page = client.get(f"/ops/identity/accounts/{account.id}", headers=admin)
    assert "重庆市工程技术中级评审委员会" in page.get_data(as_text=True)


def test_unlock_force_reset_and_audited_reveal(ident, tokens):
    rt, client, me = ident
    admin = tokens.headers(**ADMIN)
    account_id = client.get("/api/identity/me", headers=me).get_json()["id"]
    page = client.get(f"/ops/identity/accounts/{account_id}", headers=admin)
    assert "1101**********002X" in page.get_data(as_text=True)
    assert "11010519491231002X" not in page.get_data(as_text=True)
    shown = client.get(f"/ops/identity/accounts/{account_id}?reveal=document&reason=核对身份",
                       headers=admin)
    assert "11010519491231002X" in shown.get_data(as_text=True)
    auditor = tokens.headers(sub="au", roles=("auditor",), username="auditor")
    no_reveal = client.get(f"/ops/identity/accounts/{account_id}?reveal=document", headers=auditor)
    assert "11010519491231002X" not in no_reveal.get_data(as_text=True)
    log = client.get("/ops/identity/audit", headers=auditor).get_data(as_text=True)
    assert "reveal.document" in log and "opsadmin" in log and "核对身份" in log
    assert client.get("/ops/identity/audit", headers=tokens.headers(sub="f", roles=("finance",))
                      ).status_code == 403
    for _ in range(3):
        client.post("/api/identity/tokens", json={"login": "zhangsan01", "password": "Wrong#pass1"})
    with rt.engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET locked_until = '2999-01-01 00:00:00'"))
    assert client.post(f"/ops/identity/accounts/{account_id}/unlock", data={},
                       headers=admin).status_code == 302
    with rt.engine.connect() as conn:
        assert conn.execute(text("SELECT locked_until FROM accounts")).scalar() is None
    client.post(f"/ops/identity/accounts/{account_id}/force-reset", data={}, headers=admin)
    from tests.service.identity.test_accounts import solve_captcha
    forced = client.post("/api/identity/tokens", json={
        "login": "zhangsan01", "password": "Kao!shi#Ren7", **solve_captcha(rt, client)})
    assert forced.get_json()["error"]["code"] == "password_reset_required"
    history = client.get(f"/ops/identity/accounts/{account_id}", headers=admin).get_data(as_text=True)
    assert "需重置密码" in history and "密码错误" in history


def test_account_locked_event_after_five_failures(ident):
    rt, client, _ = ident
    from tests.service.identity.test_accounts import solve_captcha
    for _ in range(5):
        client.post("/api/identity/tokens", json={"login": "zhangsan01", "password": "Wrong#pass1",
                                                  **solve_captcha(rt, client)})
    assert outbox_types(rt).count("identity.account.locked") == 1


# --- photos -------------------------------------------------------------------------------
def picture(fmt="JPEG", size=(295, 413), background="white", noise=False) -> bytes:
    img = Image.new("RGB", size, background)
    d = ImageDraw.Draw(img)
    w, h = size
    d.ellipse((w * 0.25, h * 0.2, w * 0.75, h * 0.65), fill=(205, 160, 130))
    d.rectangle((w * 0.15, h * 0.7, w * 0.85, h), fill=(30, 40, 90))
    if noise:
        import random
        rnd = random.Random(1)
        for _ in range(w * h // 2):
            img.putpixel((rnd.randrange(w), rnd.randrange(h // 2, h)),
                         tuple(rnd.randrange(256) for _ in range(3)))
    buf = io.BytesIO()
    img.save(buf, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return buf.getvalue()


def upload(client, me, data: bytes, name="photo.jpg", path="/api/identity/me/photo"):
    return client.post(path, data={"photo": (io.BytesIO(data), name)}, headers=me,
                       content_type="multipart/form-data")


@pytest.mark.parametrize("data,name,code", [
    (b"just text, not a picture", "photo.jpg", "photo_not_image"),
    (picture("PNG"), "renamed.jpg", "photo_not_jpeg"),
    (picture(size=(300, 400)), "photo.jpg", "photo_dimensions"),
    (picture(noise=True), "photo.jpg", "photo_too_large"),
    (picture(background=(40, 90, 200)), "photo.jpg", "photo_background"),
])
def test_photo_upload_is_checked_by_content(ident, data, name, code):
    _, client, me = ident
    resp = upload(client, me, data, name)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == code
    assert re.search(r"[\u4e00-\u9fa5]", resp.get_json()["error"]["message"])


def test_decompression_bombs_are_refused_before_decoding(ident):
    _, client, me = ident
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, "PNG")  # ~144 MP, a few KB on disk
    resp = upload(client, me, bomb.getvalue(), "bomb.jpg", "/api/identity/me/photo/preview")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "photo_bomb"


def test_preview_makes_any_picture_standard_then_save_review_and_lock(ident, tokens, bus):
    rt, client, me = ident
    preview = upload(client, me, picture("PNG", size=(900, 1200)), "phone.png",
                     "/api/identity/me/photo/preview").get_json()
    assert preview["problems"] == [] and preview["size"] <= 20 * 1024
    import base64
    jpeg = base64.b64decode(preview["image"].split(",", 1)[1])
    assert Image.open(io.BytesIO(jpeg)).size == (295, 413)
    saved = upload(client, me, jpeg)
    assert saved.status_code == 201 and saved.get_json()["pending"]["status"] == "current"
    pid = saved.get_json()["pending"]["id"]
    assert client.get(f"/api/identity/me/photo/{pid}.jpg", headers=me).data == jpeg
    assert client.get(f"/api/identity/me/photo/{pid}.jpg",
                      headers=tokens.headers(sub="someone-else")).status_code == 403
    reviewer = tokens.headers(sub="r1", roles=("reviewer",), username="reviewer")
    queue = client.get("/ops/identity/photos", headers=reviewer).get_data(as_text=True)
    assert pid in queue
    assert client.post(f"/ops/identity/photos/{pid}/approve", headers=reviewer).status_code == 302
    state = client.get("/api/identity/me/photo", headers=me).get_json()
    assert state["locked"]["id"] == pid and state["pending"] is None
    # A locked photo changes only through a request staff approve.
    change = upload(client, me, jpeg).get_json()
    assert change["pending"]["status"] == "change_requested" and change["locked"]["id"] == pid
    new_id = change["pending"]["id"]
    client.post(f"/ops/identity/photos/{new_id}/reject", data={"reason": "表情不自然"},
                headers=reviewer)
    state = client.get("/api/identity/me/photo", headers=me).get_json()
    assert state["locked"]["id"] == pid and state["last_rejection"] == "表情不自然"
    assert outbox_types(rt).count("identity.photo.uploaded") == 2
    assert outbox_types(rt).count("identity.photo.locked") == 1


def test_photo_review_is_national_not_for_a_provinces_reviewer(ident, tokens):
    """Identity does not know where a candidate applies, and a locked photo is printed in every
    province: a reviewer scoped to one province neither sees the queue nor decides in it."""
    _, client, me = ident
    pid = upload(client, me, picture()).get_json()["pending"]["id"]
    provincial = tokens.headers(sub="r50", roles=("reviewer",), username="reviewer",
                                scope={"province": "50", "review_point": None})
    for resp in (client.get("/ops/identity/photos", headers=provincial),
                 client.get(f"/ops/identity/photos/{pid}.jpg", headers=provincial),
                 client.post(f"/ops/identity/photos/{pid}/approve", headers=provincial)):
        assert resp.status_code == 403 and "照片审核由平台管理员" in resp.get_data(as_text=True)
        assert pid not in resp.get_data(as_text=True)
    assert client.get("/api/identity/me/photo", headers=me).get_json()["locked"] is None
    admin = tokens.headers(**ADMIN)
    assert pid in client.get("/ops/identity/photos", headers=admin).get_data(as_text=True)
    image = client.get(f"/ops/identity/photos/{pid}.jpg", headers=admin)
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert client.post(f"/ops/identity/photos/{pid}/approve", headers=admin).status_code == 302
    assert client.get("/api/identity/me/photo", headers=me).get_json()["locked"]["id"] == pid


def test_an_approved_application_locks_the_current_photo(ident):
    rt, client, me = ident
    upload(client, me, picture())
    cid = client.get("/api/identity/me", headers=me).get_json()["id"]
    event = CloudEvent(id="ev-approved", source="/baokao/registration",
                       type="registration.application.reviewed", data={
                           "application_id": "app-1", "application_number": "2026000001",
                           "candidate_id": cid, "outcome": "approved", "reason": None,
                           "mode": "online", "reviewed_at": "2026-11-23T10:00:00+00:00"})
    handler = next(s for s in rt.subscriptions() if s.handler == "lock_reviewed_photo")
    handler.callback(event.to_json().encode())
    handler.callback(event.to_json().encode())  # redelivered: no second effect
    assert client.get("/api/identity/me/photo", headers=me).get_json()["locked"] is not None
    assert outbox_types(rt).count("identity.photo.locked") == 1


@pytest.mark.parametrize("production", [False, True])
def test_the_message_log_shows_codes_to_staff_only_outside_production(make_settings, bus, tokens,
                                                                      production):
    from services.identity.bootstrap import bootstrap
    from services.identity.web import create_app
    from tests.service.identity.conftest import SIGNUP
    rt = bootstrap(make_settings("identity", production=production), transport=bus)
    client = create_app(rt, verifier=tokens.verifier).test_client()
    me = tokens.headers(sub=client.post("/api/identity/candidates", json=SIGNUP).get_json()["id"])
    assert client.post("/api/identity/me/phone/code", json={"phone": "13900139000"},
                       headers=me).status_code == 200
    with rt.engine.connect() as conn:
        [body] = conn.execute(text("SELECT body FROM outbound_messages")).scalars()
    code = re.search(r"验证码 (\d{6})", body).group(1)
    page = client.get("/ops/identity/sms", headers=tokens.headers(**ADMIN)).get_data(as_text=True)
    assert "139****9000" in page  # the message is listed either way
    if production:
        assert code not in page and body not in page and "正文已隐藏" in page
    else:
        assert code in page and "正文已隐藏" not in page


def test_in_production_each_totp_code_signs_in_once(make_settings, bus, tokens):
    from services.identity.bootstrap import bootstrap
    from services.identity.web import create_app
    rt = bootstrap(make_settings("identity", production=True), transport=bus)
    demo.seed(rt)  # production: demo staff are not enrolled with the published secret
    client = create_app(rt, verifier=tokens.verifier).test_client()
    step = staff_sign_in(client)
    assert step.get_json()["error"]["code"] == "totp_enrolment_required"
    ticket = step.get_json()["error"]["ticket"]
    secret = client.post("/api/identity/totp/enrolment", json={"ticket": ticket}).get_json()["secret"]
    code = pyotp.TOTP(secret).now()
    assert client.post("/api/identity/tokens/totp", json={"ticket": ticket, "code": code}
                       ).status_code == 200
    replay = staff_sign_in(client, totp=code)
    assert replay.status_code == 401 and replay.get_json()["error"]["code"] == "totp_wrong"
    assert client.get("/api/identity/dev/messages").status_code == 404

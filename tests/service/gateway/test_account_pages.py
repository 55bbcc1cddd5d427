"""Account pages through the gateway: binding, recovery, captcha, staff TOTP, photo, mailbox."""
from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy import text

from gateway import create_app
from gateway.config import GatewayConfig
from gateway.filters import BEIJING
from services.common import clock
from tests.service.gateway.conftest import csrf_of, field_errors
from tests.service.gateway.test_pages import login, login_staff
from tests.service.identity.conftest import identity_checked


def latest_code(client) -> str:
    page = client.get("/dev/mailbox").get_data(as_text=True)
    return re.search(r"验证码 (\d{6})", page).group(1)


def value_of(page: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)


def post(client, path, **data):
    token = csrf_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_candidate_binds_phone_then_recovers_user_name_and_password(client):
    assert login(client).status_code == 302
    assert "账号与安全" in client.get("/account").get_data(as_text=True)
    sent = post(client, "/account/phone", action="send", phone="13800138000")
    assert sent.status_code == 200 and "验证码已发送" in sent.get_data(as_text=True)
    wrong = post(client, "/account/phone", action="bind", phone="13800138000", code="000000")
    assert wrong.status_code == 422 and any("验证码错误" in e for e in field_errors(
        wrong.get_data(as_text=True)))
    bound = post(client, "/account/phone", action="bind", phone="13800138000",
                 code=latest_code(client))
    assert bound.status_code == 302
    assert "（已验证）" in client.get("/account").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").get_data(as_text=True))})

    # Forgot my user name: document number + phone code.
    body = dict(document_number="500103199003072311", phone="13800138000")
    clock.shift(timedelta(seconds=61))  # codes to one phone are at least 60 s apart
    try:
        assert post(client, "/account/forgot-username", action="send", **body).status_code == 200
        found = post(client, "/account/forgot-username", action="recover", code=latest_code(client),
                     **body)
        assert "demo_candidate" in found.get_data(as_text=True)
        # Forgot my password: SMS code → reset page → new password works.
        clock.shift(timedelta(seconds=61))
        page = post(client, "/account/forgot-password", action="options", login="demo_candidate")
        assert "138****8000" in page.get_data(as_text=True)
        post(client, "/account/forgot-password", action="sms", login="demo_candidate")
        to_reset = post(client, "/account/forgot-password", action="verify_sms",
                        login="demo_candidate", code=latest_code(client))
        assert to_reset.status_code == 302 and "/account/reset?token=" in to_reset.headers["Location"]
        reset_url = to_reset.headers["Location"]
        token = csrf_of(client.get(reset_url).get_data(as_text=True))
        done = client.post(reset_url, data={"csrf_token": token, "new_password": "Fresh!Kao#42",
                                            "new_password2": "Fresh!Kao#42"})
        assert done.status_code == 302
        assert login(client, password="Fresh!Kao#42").status_code == 302
    finally:
        clock.reset()


def test_captcha_appears_after_failed_sign_ins(client):
    for _ in range(3):
        assert login(client, password="Wrong#Pass1").status_code == 401
    asked = login(client, password="Wrong#Pass1")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 401 and "请输入图形验证码" in page
    assert 'name="captcha_answer"' in page and 'src="data:image/png;base64,' in page
    again = client.get("/login").get_data(as_text=True)
    assert 'name="captcha_answer"' in again  # stays until a sign-in succeeds


def test_staff_sign_in_needs_the_totp_step(client):
    step = login(client, "examadmin")
    assert step.status_code == 200 and "6 位动态码" in step.get_data(as_text=True)
    wrong = client.post("/login/totp", data={"csrf_token": csrf_of(step.get_data(as_text=True)),
                                             "code": "000000"})
    assert wrong.status_code == 401 and "动态码错误" in wrong.get_data(as_text=True)
    assert client.get("/ops/").status_code == 302  # not signed in yet
    client.get("/login")
    assert login_staff(client, "examadmin").status_code == 302
    assert client.get("/ops/").status_code == 200


def test_sessions_page_and_sign_out_everywhere(client):
    assert login(client).status_code == 302
    page = client.get("/account/sessions").get_data(as_text=True)
    assert "登录成功" in page and "当前有效的登录" in page
    # times read as the candidate's clock reads: Beijing, not the UTC the services store
    now = datetime.now(UTC)
    shown = {(now - timedelta(minutes=m)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
             for m in (0, 1)}
    assert any(t in page for t in shown), page
    assert now.strftime("%Y-%m-%d %H:%M") not in page
    out = post(client, "/account/sessions")
    assert out.status_code == 302 and out.headers["Location"].startswith("/login")
    assert client.get("/account").status_code == 302


def test_photo_is_processed_on_the_server_previewed_then_saved(client):
    assert login(client).status_code == 302
    img = Image.new("RGB", (1000, 1300), "white")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    token = csrf_of(client.get("/account/photo").get_data(as_text=True))
    renamed = client.post("/account/photo", data={"csrf_token": token, "action": "preview",
                                                  "photo": (io.BytesIO(b"not an image"), "a.jpg")},
                          content_type="multipart/form-data")
    assert renamed.status_code == 422
    assert "不是图片" in html.unescape(renamed.get_data(as_text=True))
    preview = client.post("/account/photo", data={"csrf_token": token, "action": "preview",
                                                  "photo": (io.BytesIO(buf.getvalue()), "me.png")},
                          content_type="multipart/form-data")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "处理结果预览" in page and "295×413 像素" in page
    image = re.search(r'name="image" value="([^"]+)"', page).group(1)
    saved = client.post("/account/photo", data={"csrf_token": token, "action": "save",
                                                "image": image})
    assert saved.status_code == 302
    assert "待审核" in client.get("/account/photo").get_data(as_text=True)


def test_dev_mailbox_only_outside_production(client, identity_url):
    assert client.get("/dev/mailbox").status_code == 200
    from services.common.config import SERVICES
    prod = create_app(GatewayConfig(production=True, secret_key="test", redis_url=None,
                                    sandbox_url="http://127.0.0.1:9",
                                    service_urls={s: identity_url for s in SERVICES},
                                    timeout_seconds=3, rate_limits=False))
    assert prod.test_client().get("/dev/mailbox").status_code == 404


def test_identity_dashboard_pages_through_the_gateway(client):
    assert login(client).status_code == 302
    post(client, "/account/phone", action="send", phone="13800138000")
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").get_data(as_text=True))})
    assert login_staff(client, "opsadmin").status_code == 302
    sms = client.get("/ops/identity/sms").get_data(as_text=True)
    assert "138****8000" in sms and "验证码" in sms
    accounts = client.get("/ops/identity/?q=demo_candidate").get_data(as_text=True)
    account_id = re.search(r'/ops/identity/accounts/([0-9a-f-]{36})', accounts).group(1)
    page = client.get(f"/ops/identity/accounts/{account_id}").get_data(as_text=True)
    assert "5001**********2311" in page and "登录成功" in page
    shown = client.get(f"/ops/identity/accounts/{account_id}?reveal=document&reason=电话核实")
    assert "500103199003072311" in shown.get_data(as_text=True)
    assert "reveal.document" in client.get("/ops/identity/audit").get_data(as_text=True)
    new = client.get("/ops/identity/staff/new").get_data(as_text=True)
    made = client.post("/ops/identity/staff/new", data={
        "csrf_token": csrf_of(new), "username": "finance2", "name": "钱财务",
        "document_type": "resident_id", "document_number": "500103198501150998",
        "roles": "finance"})
    assert made.status_code == 200 and "初始密码" in made.get_data(as_text=True)


def test_candidate_corrects_a_mistyped_education_certificate_number(client):
    assert login(client).status_code == 302
    page = client.get("/account/education").get_data(as_text=True)
    on_record = value_of(page, "certificate_number")
    assert value_of(page, "confirm_certificate_number") == ""  # typed again, not pre-filled
    assert "修改学历学位" in client.get("/account").get_data(as_text=True)
    fixed = on_record[:-1] + ("1" if on_record[-1] != "1" else "2")
    form = {"education_level": "本科", "school": "重庆大学", "major": "土木工程",
            "graduation_date": "2015-06-30", "certificate_number": fixed, "study_mode": "全日制",
            "degree_level": "无", "confirm_certificate_number": on_record, "confirmed": "yes"}
    mismatch = post(client, "/account/education", **form)
    assert mismatch.status_code == 422
    assert "与上方填写的学历证书编号不一致" in field_errors(mismatch.get_data(as_text=True))
    unconfirmed = post(client, "/account/education", **(form | {
        "confirm_certificate_number": fixed, "confirmed": ""}))
    assert unconfirmed.status_code == 422
    assert "请确认学历、学位信息真实准确" in unconfirmed.get_data(as_text=True)
    bad_date = post(client, "/account/education", **(form | {
        "confirm_certificate_number": fixed, "graduation_date": "2099-01-01"}))
    assert bad_date.status_code == 422 and field_errors(bad_date.get_data(as_text=True))
    done = post(client, "/account/education", **(form | {"confirm_certificate_number": fixed}))
    assert done.status_code == 302 and done.headers["Location"] == "/"
    again = client.get("/account/education").get_data(as_text=True)
    assert value_of(again, "certificate_number") == fixed and value_of(again, "major") == "土木工程"


def test_a_name_the_public_security_check_refused_is_corrected_once(client, identity_runtime):
    assert login(client).status_code == 302
    page = client.get("/account/name").get_data(as_text=True)
    assert "注册后姓名和证件号码不能修改" in page and 'name="name2"' not in page
    refused = post(client, "/account/name", name="王晓明", name2="王晓明", confirmed="yes")
    assert refused.status_code == 422 and "仅当公安身份核验未通过" in refused.get_data(as_text=True)

    with identity_runtime.uow() as uow:  # the demo candidate, as verification reports them
        cid = uow.session.execute(text("SELECT id FROM accounts WHERE username = "
                                       "'demo_candidate'")).scalar_one()
    identity_checked(identity_runtime, cid, "failed", datetime.now(UTC).isoformat(), "ev-idcheck",
                     handlers=("remember_identity_check", "notify_candidate"))
    assert "身份核验未通过，更正姓名" in client.get("/account").get_data(as_text=True)
    page = client.get("/account/name").get_data(as_text=True)
    assert "王小明" in page and 'name="name2"' in page
    differs = post(client, "/account/name", name="王晓明", name2="王小明", confirmed="yes")
    assert "两次输入的姓名不一致" in field_errors(differs.get_data(as_text=True))
    unconfirmed = post(client, "/account/name", name="王晓明", name2="王晓明")
    assert unconfirmed.status_code == 422 and "请确认新姓名与证件一致" in unconfirmed.get_data(
        as_text=True)
    done = post(client, "/account/name", name="王晓明", name2="王晓明", confirmed="yes")
    assert done.status_code == 302
    assert "王晓明" in client.get("/account").get_data(as_text=True)
    assert "注册后姓名和证件号码不能修改" in client.get("/account/name").get_data(as_text=True)

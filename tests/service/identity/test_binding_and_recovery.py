"""Phone / e-mail binding with codes, forgotten user name, password reset, sessions, history."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from services.common import clock
from tests.service.identity.conftest import SIGNUP, last_code, last_message, outbox_types


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.reset()


def sign_in(client, login="zhangsan01", password="Kao!shi#Ren7", **kw):
    return client.post("/api/identity/tokens", json={"login": login, "password": password, **kw},
                       headers={"User-Agent": "pytest-browser/1.0"})


def bind_phone(client, me, phone="13800138000"):
    assert client.post("/api/identity/me/phone/code", json={"phone": phone},
                       headers=me).status_code == 200
    return client.post("/api/identity/me/phone", json={"phone": phone, "code": last_code(client)},
                       headers=me)


def test_phone_binding_with_an_sms_code(ident):
    rt, client, me = ident
    assert client.get("/api/identity/me", headers=me).get_json()["phone_verified"] is False
    sent = client.post("/api/identity/me/phone/code", json={"phone": "13800138000"}, headers=me)
    assert sent.get_json() == {"sent": True, "expires_in": 300, "resend_after": 60,
                               "old_phone_code_sent": False, "old_phone_masked": None}
    assert "5 分钟内有效" in last_message(client, "138****8000")
    wrong = client.post("/api/identity/me/phone", json={"phone": "13800138000", "code": "000000"},
                        headers=me)
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "code_wrong"
    ok = client.post("/api/identity/me/phone", json={"phone": "13800138000",
                                                     "code": last_code(client)}, headers=me)
    assert ok.status_code == 200
    assert client.get("/api/identity/me", headers=me).get_json()["phone_verified"] is True
    again = client.post("/api/identity/me/phone", json={"phone": "13800138000",
                                                        "code": last_code(client)}, headers=me)
    assert again.get_json()["error"]["code"] == "code_used"  # single use


def test_one_code_per_minute_and_ten_a_day(ident):
    _, client, me = ident
    assert client.post("/api/identity/me/phone/code", json={"phone": "13900139000"},
                       headers=me).status_code == 200
    soon = client.post("/api/identity/me/phone/code", json={"phone": "13900139000"}, headers=me)
    assert soon.status_code == 429 and soon.get_json()["error"]["code"] == "code_too_soon"
    assert 0 < int(soon.headers["Retry-After"]) <= 60
    for _ in range(9):
        clock.shift(timedelta(seconds=61))
        assert client.post("/api/identity/me/phone/code", json={"phone": "13900139000"},
                           headers=me).status_code == 200
    clock.shift(timedelta(seconds=61))
    day = client.post("/api/identity/me/phone/code", json={"phone": "13900139000"}, headers=me)
    assert day.status_code == 429 and day.get_json()["error"]["code"] == "code_daily_limit"
    assert int(day.headers["Retry-After"]) > 3600


def test_a_code_lives_five_minutes_and_allows_five_attempts(ident):
    _, client, me = ident
    client.post("/api/identity/me/phone/code", json={"phone": "13800138000"}, headers=me)
    code = last_code(client)
    clock.shift(timedelta(minutes=5, seconds=1))
    late = client.post("/api/identity/me/phone", json={"phone": "13800138000", "code": code},
                       headers=me)
    assert late.get_json()["error"]["code"] == "code_expired"
    client.post("/api/identity/me/phone/code", json={"phone": "13800138000"}, headers=me)
    code = last_code(client)
    answers = [client.post("/api/identity/me/phone", json={"phone": "13800138000", "code": "111111"
                                                           if code != "111111" else "222222"},
                           headers=me).get_json()["error"]["code"] for _ in range(5)]
    assert answers == ["code_wrong"] * 5
    spent = client.post("/api/identity/me/phone", json={"phone": "13800138000", "code": code},
                        headers=me)
    assert spent.get_json()["error"]["code"] == "code_attempts_exceeded"


def test_changing_a_verified_phone_needs_both_codes_and_emits_profile_changed(ident):
    rt, client, me = ident
    assert bind_phone(client, me).status_code == 200
    clock.shift(timedelta(seconds=61))  # the old phone got a code a moment ago
    out = client.post("/api/identity/me/phone/code", json={"phone": "13700137000"}, headers=me)
    assert out.get_json()["old_phone_code_sent"] is True
    new_code, old_code = last_code(client, "137****7000"), last_code(client, "138****8000")
    missing = client.post("/api/identity/me/phone", json={"phone": "13700137000",
                                                          "code": new_code}, headers=me)
    assert missing.get_json()["error"]["code"] == "old_code_required"
    ok = client.post("/api/identity/me/phone", json={"phone": "13700137000", "code": new_code,
                                                     "old_code": old_code}, headers=me)
    assert ok.status_code == 200
    assert client.get("/api/identity/me", headers=me).get_json()["phone_masked"] == "137****7000"
    assert outbox_types(rt).count("identity.profile.changed") == 1
    assert sign_in(client, "13700137000").status_code == 200


def test_email_binding(ident):
    _, client, me = ident
    client.post("/api/identity/me/email/code", json={"email": "Zhang.San@example.com"}, headers=me)
    assert "z***n@example.com" in [m["to"] for m in client.get("/api/identity/dev/messages").get_json()]
    ok = client.post("/api/identity/me/email", json={"email": "Zhang.San@example.com",
                                                     "code": last_code(client)}, headers=me)
    assert ok.status_code == 200
    me_view = client.get("/api/identity/me", headers=me).get_json()
    assert me_view["email_verified"] and me_view["email_masked"] == "z***n@example.com"


def test_forgot_username_by_document_and_phone_code(ident):
    _, client, me = ident
    bind_phone(client, me)
    body = {"document_number": "11010519491231002X", "phone": "13800138000"}
    wrong = client.post("/api/identity/recovery/username/code",
                        json={**body, "phone": "13900139000"})
    assert wrong.status_code == 404 and wrong.get_json()["error"]["code"] == "recovery_mismatch"
    clock.shift(timedelta(seconds=61))
    assert client.post("/api/identity/recovery/username/code", json=body).status_code == 200
    found = client.post("/api/identity/recovery/username", json={**body, "code": last_code(client)})
    assert found.get_json() == {"username": "zhangsan01"}


def test_password_reset_by_sms_code_is_single_use_and_signs_out_everywhere(ident):
    _, client, me = ident
    bind_phone(client, me)
    refresh = sign_in(client).get_json()["refresh_token"]
    assert client.post("/api/identity/recovery/password/options", json={"login": "zhangsan01"}
                       ).get_json() == {"security_question": None, "sms": True,
                                        "phone_masked": "138****8000", "email": False}
    clock.shift(timedelta(seconds=61))
    client.post("/api/identity/recovery/password/code", json={"login": "zhangsan01", "channel": "sms"})
    token = client.post("/api/identity/recovery/password/verify", json={
        "login": "zhangsan01", "code": last_code(client)}).get_json()["reset_token"]
    weak = client.post("/api/identity/recovery/password/reset",
                       json={"reset_token": token, "new_password": "abc"})
    assert weak.get_json()["error"]["code"] == "password_length"
    ok = client.post("/api/identity/recovery/password/reset",
                     json={"reset_token": token, "new_password": "New!Pass#word9"})
    assert ok.get_json() == {"username": "zhangsan01"}
    reuse = client.post("/api/identity/recovery/password/reset",
                        json={"reset_token": token, "new_password": "Other!Pass#7k"})
    assert reuse.get_json()["error"]["code"] == "ticket_invalid"
    assert client.post("/api/identity/tokens/refresh", json={"refresh_token": refresh}
                       ).get_json()["error"]["code"] == "refresh_invalid"
    assert sign_in(client, password="New!Pass#word9").status_code == 200


def test_password_reset_by_security_question_and_by_email_link(ident):
    _, client, me = ident
    bad = client.put("/api/identity/me/security-question", headers=me, json={
        "password": "Kao!shi#Ren7", "question": "您最喜欢的颜色？", "answer": "蓝"})
    assert bad.status_code == 422
    assert client.put("/api/identity/me/security-question", headers=me, json={
        "password": "Kao!shi#Ren7", "question": "您出生的城市是？", "answer": "Chong Qing"}
    ).status_code == 200
    wrong = client.post("/api/identity/recovery/password/verify",
                        json={"login": "zhangsan01", "answer": "北京"})
    assert wrong.get_json()["error"]["code"] == "security_answer_wrong"
    token = client.post("/api/identity/recovery/password/verify", json={
        "login": "11010519491231002X", "answer": "chongqing"}).get_json()["reset_token"]
    assert client.post("/api/identity/recovery/password/reset", json={
        "reset_token": token, "new_password": "New!Pass#word9"}).status_code == 200
    # E-mail: a single-use link, valid 30 minutes.
    client.post("/api/identity/me/email/code", json={"email": "zs@example.com"}, headers=me)
    client.post("/api/identity/me/email", json={"email": "zs@example.com",
                                                "code": last_code(client)}, headers=me)
    clock.shift(timedelta(seconds=61))
    client.post("/api/identity/recovery/password/code", json={"login": "zhangsan01",
                                                              "channel": "email"})
    link = re.search(r"/account/reset\?token=(\S+)", last_message(client)).group(1)
    clock.shift(timedelta(minutes=31))
    late = client.post("/api/identity/recovery/password/reset", json={
        "reset_token": link, "new_password": "Third!Pass#4x"})
    assert late.get_json()["error"]["code"] == "ticket_invalid"


def test_change_password_sessions_and_login_history(ident):
    _, client, me = ident
    first = sign_in(client).get_json()
    sign_in(client, password="Wrong#pass1")
    sessions = client.get("/api/identity/me/sessions", headers=me).get_json()
    assert len(sessions) == 1 and sessions[0]["user_agent"] == "pytest-browser/1.0"
    history = client.get("/api/identity/me/logins", headers=me).get_json()
    assert [h["result"] for h in history] == ["bad_credentials", "success"]
    assert history[0]["ip"] and history[0]["result_text"] == "密码错误"
    wrong = client.post("/api/identity/me/password", headers=me, json={
        "old_password": "nope", "new_password": "New!Pass#word9"})
    assert wrong.get_json()["error"]["code"] == "bad_password"
    same = client.post("/api/identity/me/password", headers=me, json={
        "old_password": "Kao!shi#Ren7", "new_password": "Kao!shi#Ren7"})
    assert same.get_json()["error"]["code"] == "password_unchanged"
    changed = client.post("/api/identity/me/password", headers=me, json={
        "old_password": "Kao!shi#Ren7", "new_password": "New!Pass#word9"})
    assert changed.status_code == 200 and changed.get_json()["access_token"]
    assert client.post("/api/identity/tokens/refresh", json={
        "refresh_token": first["refresh_token"]}).status_code == 401
    assert len(client.get("/api/identity/me/sessions", headers=me).get_json()) == 1
    out = client.post("/api/identity/me/sessions/revoke-all", headers=me).get_json()
    assert out["revoked"] >= 1
    assert client.get("/api/identity/me/sessions", headers=me).get_json() == []


def test_identity_limits_sign_ins_per_ip_with_retry_after(ident):
    _, client, _ = ident
    headers = {"X-Forwarded-For": "203.0.113.9"}
    statuses = [client.post("/api/identity/captchas", headers=headers).status_code
                for _ in range(61)]
    assert statuses[:60] == [201] * 60 and statuses[60] == 429
    resp = client.post("/api/identity/captchas", headers=headers)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert resp.get_json()["error"]["code"] == "rate_limited"
    other = client.post("/api/identity/captchas", headers={"X-Forwarded-For": "203.0.113.10"})
    assert other.status_code == 201


def test_idempotency_key_makes_sign_up_retries_safe(ident):
    rt, client, _ = ident
    body = {**SIGNUP, "username": "lisi2024", "document_number": "500103199003072311",
            "phone": None}
    first = client.post("/api/identity/candidates", json=body, headers={"Idempotency-Key": "k-1"})
    again = client.post("/api/identity/candidates", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    other = client.post("/api/identity/candidates", json={**body, "username": "lisi2025"},
                        headers={"Idempotency-Key": "k-1"})
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert outbox_types(rt).count("identity.candidate.registered") == 2  # zhangsan01 + lisi2024


def test_document_validity_and_degree(ident):
    _, client, _ = ident
    body = {**SIGNUP, "username": "wangwu01", "document_number": "500103199003072311"}
    expired = client.post("/api/identity/candidates",
                          json={**body, "document_valid_until": "2020-01-01"})
    assert expired.get_json()["error"]["code"] == "document_expired"
    degree = client.post("/api/identity/candidates", json={
        **body, "degree": {"level": "硕士"}, "education": {"level": "大专", "school": "重庆电大",
                                              "major": "会计", "graduation_date": "2010-07-01"}})
    assert degree.get_json()["error"]["code"] == "degree_mismatch"
    ok = client.post("/api/identity/candidates", json={
        **body, "degree": {"level": "无"}, "document_long_term": True,
        "education": {"level": "无"}})
    assert ok.status_code == 201 and ok.get_json()["degree"]["level"] == "无"


def test_changing_education_emits_profile_changed_for_verification(ident):
    rt, client, me = ident
    unconfirmed = client.put("/api/identity/me/education", headers=me, json={
        "education": {"level": "无"}, "education_confirmed": False})
    assert unconfirmed.status_code == 422
    ok = client.put("/api/identity/me/education", headers=me, json={
        "education": {"level": "硕士研究生", "school": "重庆大学", "major": "结构工程",
                      "graduation_date": "2018-06-30", "certificate_number": "106111201802000001"},
        "degree": {"level": "硕士", "certificate_number": "1061142018000001"},
        "education_confirmed": True})
    assert ok.status_code == 200 and ok.get_json()["degree"]["school"] == "重庆大学"
    from sqlalchemy import text
    with rt.engine.connect() as conn:
        payload = conn.execute(text("SELECT payload FROM outbox WHERE type = 'identity.profile.changed'"
                                    )).scalar()
    from services.common.events import CloudEvent
    event = CloudEvent.from_json(payload)
    assert event.version == 2
    assert event.data["changed"] == ["education", "degree"] and event.data["degree"]["level"] == "硕士"


def test_a_locked_account_resets_by_code_not_by_security_answer(ident):
    rt, client, me = ident
    bind_phone(client, me)
    client.put("/api/identity/me/security-question", headers=me, json={
        "password": "Kao!shi#Ren7", "question": "您出生的城市是？", "answer": "重庆"})
    from sqlalchemy import text
    with rt.engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET locked_until = '2999-01-01 00:00:00'"))
    answer = client.post("/api/identity/recovery/password/verify",
                         json={"login": "zhangsan01", "answer": "重庆"})
    assert answer.status_code == 423 and answer.get_json()["error"]["code"] == "account_locked"
    clock.shift(timedelta(seconds=61))
    client.post("/api/identity/recovery/password/code", json={"login": "zhangsan01", "channel": "sms"})
    token = client.post("/api/identity/recovery/password/verify", json={
        "login": "zhangsan01", "code": last_code(client)}).get_json()["reset_token"]
    client.post("/api/identity/recovery/password/reset",
                json={"reset_token": token, "new_password": "New!Pass#word9"})
    assert sign_in(client, password="New!Pass#word9").status_code == 200  # reset unlocks


def test_the_captcha_counts_failures_since_the_last_success(ident):
    rt, client, _ = ident
    from tests.service.identity.test_accounts import solve_captcha
    for _ in range(3):
        sign_in(client, password="Wrong#pass1")
    assert sign_in(client).get_json()["error"]["code"] == "captcha_required"
    assert sign_in(client, **solve_captcha(rt, client)).status_code == 200
    sign_in(client, password="Wrong#pass1")
    assert sign_in(client).status_code == 200  # one failure since the success: no captcha
    wrong = sign_in(client, **{**solve_captcha(rt, client), "captcha_answer": "0000"})
    assert wrong.status_code == 200  # a captcha sent when none is needed is not checked

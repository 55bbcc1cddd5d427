"""Identity through its API: sign-up, sign-in, tokens, lockout, message centre, personal data."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from services.common.auth import TokenVerifier
from services.common.events import CloudEvent
from services.common.runtime import WorkerHandle
from services.identity.bootstrap import bootstrap
from services.identity.web import create_app
from tests.contract.asyncapi_check import check_envelope
from tests.service.identity.conftest import identity_checked, outbox_types

SIGNUP = dict(username="zhangsan01", password="Kao!shi#Ren7", name="张三", document_type="resident_id",
              document_number="11010519491231002x", phone="13800138000",
              education=dict(level="本科", school="重庆大学", major="土木工程", graduation_date="2015-07-01",
                             certificate_number="106111201505001234"),
              education_confirmed=True, agreement_version="2026-01")


@pytest.fixture
def rt(make_settings, bus):
    return bootstrap(make_settings("identity"), transport=bus)


@pytest.fixture
def client(rt):
    app = create_app(rt, verifier=TokenVerifier(jwks_provider=rt.services["keys"].jwks))
    return app.test_client()


def sign_in(client, login="zhangsan01", password="Kao!shi#Ren7"):
    return client.post("/api/identity/tokens", json={"login": login, "password": password})


def test_sign_up_stores_personal_data_encrypted_and_emits_one_event(rt, client, bus):
    resp = client.post("/api/identity/candidates", json=SIGNUP)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["document_number_masked"] == "1101**********002X"
    assert body["phone_masked"] == "138****8000"
    with rt.engine.connect() as conn:
        raw = conn.execute(text("SELECT document_number, phone FROM accounts")).one()
    assert "110105" not in raw.document_number and "13800138000" not in raw.phone
    WorkerHandle(rt).start(consume=False)
    assert bus.wait_idle(5)
    import time
    deadline = time.time() + 5
    while not bus.published and time.time() < deadline:
        time.sleep(0.02)
    [msg] = [m for m in bus.published if m.type == "identity.candidate.registered"]
    envelope = CloudEvent.from_json(msg.body).to_dict()
    assert check_envelope(envelope) == []
    assert envelope["data"]["document_number_masked"] == "1101**********002X"
    assert "11010519491231002X" not in msg.body.decode()


def test_one_account_per_document_whatever_the_case(client):
    assert client.post("/api/identity/candidates", json=SIGNUP).status_code == 201
    again = client.post("/api/identity/candidates", json={**SIGNUP, "username": "other001",
                                                         "document_number": "11010519491231002X"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "document_taken"
    name = client.post("/api/identity/candidates", json={**SIGNUP, "document_number": "500103199003072311"})
    assert name.get_json()["error"]["code"] == "username_taken"


@pytest.mark.parametrize("change,status,code", [
    ({"password": "abc"}, 422, "password_length"),
    ({"document_number": "11010519491231002"}, 422, "document_number_format"),
    ({"education_confirmed": False}, 422, "validation_failed"),
    ({"agreement_version": "2019"}, 422, "agreement_not_accepted"),
    ({"name": "张三<script>"}, 422, "validation_failed"),
    ({"education": {"level": "本科"}}, 422, "education_incomplete"),
    ({"surprise": 1}, 422, "validation_failed"),
    ({"phone": 13800138000}, 422, "validation_failed"),
])
def test_bad_sign_ups_get_stable_codes_and_no_account(rt, client, change, status, code):
    resp = client.post("/api/identity/candidates", json={**SIGNUP, **change})
    assert resp.status_code == status and resp.get_json()["error"]["code"] == code
    assert resp.get_json()["error"]["message"]
    with rt.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM accounts")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 0


def test_minority_and_foreign_names(client):
    ok = client.post("/api/identity/candidates", json={**SIGNUP, "name": "买买提·艾力"})
    assert ok.status_code == 201
    foreign = client.post("/api/identity/candidates", json={
        **SIGNUP, "username": "johnsmith", "name": "John Smith", "document_type": "foreign_passport",
        "document_number": "E12345678"})
    assert foreign.status_code == 201


def test_sign_in_by_name_document_or_phone_and_token_works_downstream(rt, client):
    client.post("/api/identity/candidates", json=SIGNUP)
    for login in ("zhangsan01", "ZhangSan01", "11010519491231002x", "13800138000"):
        resp = sign_in(client, login)
        assert resp.status_code == 200, login
    token = resp.get_json()["access_token"]
    principal = TokenVerifier(jwks_provider=rt.services["keys"].jwks).verify(token)
    assert principal.roles == {"candidate"} and principal.name == "张三"


def solve_captcha(rt, client) -> dict:
    """The test reads the answer from identity's table, as a person reads the image."""
    cid = client.post("/api/identity/captchas").get_json()["captcha_id"]
    with rt.engine.connect() as conn:
        answer = conn.execute(text("SELECT answer FROM captchas WHERE id = :i"), {"i": cid}).scalar()
    return {"captcha_id": cid, "captcha_answer": answer.lower()}


def test_five_failures_lock_the_account_for_fifteen_minutes(rt, client):
    client.post("/api/identity/candidates", json=SIGNUP)
    codes = [sign_in(client, password="Wrong#pass1").get_json()["error"]["code"] for _ in range(3)]
    assert codes == ["bad_credentials"] * 3
    # After three failures a captcha is needed; the lockout still counts password failures.
    assert sign_in(client, password="Wrong#pass1").get_json()["error"]["code"] == "captcha_required"
    for expected in ("bad_credentials", "account_locked"):
        resp = client.post("/api/identity/tokens", json={
            "login": "zhangsan01", "password": "Wrong#pass1", **solve_captcha(rt, client)})
        assert resp.get_json()["error"]["code"] == expected
    locked = client.post("/api/identity/tokens", json={
        "login": "zhangsan01", "password": "Kao!shi#Ren7", **solve_captcha(rt, client)})
    assert locked.status_code == 423 and "分钟后再试" in locked.get_json()["error"]["message"]
    from datetime import timedelta

    from services.common import clock
    clock.shift(timedelta(minutes=16))
    try:
        assert sign_in(client).status_code == 200  # the failures are older than 15 minutes
    finally:
        clock.reset()


def test_refresh_rotates_and_reuse_revokes_the_family(client):
    client.post("/api/identity/candidates", json=SIGNUP)
    first = sign_in(client).get_json()["refresh_token"]
    second = client.post("/api/identity/tokens/refresh", json={"refresh_token": first})
    assert second.status_code == 200
    reuse = client.post("/api/identity/tokens/refresh", json={"refresh_token": first})
    assert reuse.get_json()["error"]["code"] == "refresh_reused"
    after = client.post("/api/identity/tokens/refresh",
                        json={"refresh_token": second.get_json()["refresh_token"]})
    assert after.get_json()["error"]["code"] == "refresh_invalid"


def test_key_rotation_keeps_old_tokens_valid(rt, client):
    client.post("/api/identity/candidates", json=SIGNUP)
    old = sign_in(client).get_json()["access_token"]
    rt.services["keys"].rotate()
    jwks = client.get("/api/identity/.well-known/jwks.json").get_json()
    assert len(jwks["keys"]) == 2
    verifier = TokenVerifier(jwks_provider=lambda: jwks)
    assert verifier.verify(old).username == "zhangsan01"
    assert verifier.verify(sign_in(client).get_json()["access_token"]).username == "zhangsan01"


def test_message_centre_is_fed_by_events_once(rt, client):
    client.post("/api/identity/candidates", json=SIGNUP)
    token = sign_in(client).get_json()["access_token"]
    candidate = client.get("/api/identity/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    event = CloudEvent(id="e-1", source="/baokao/verification", type="verification.education.verified",
                       data={"candidate_id": candidate["id"], "check_id": "k1", "outcome": "passed",
                             "checked_at": "2026-11-23T10:00:00+00:00", "unknown_new_field": 1})
    handler = next(s for s in rt.subscriptions() if s.handler == "notify_candidate")
    handler.callback(event.to_json().encode())
    handler.callback(event.to_json().encode())  # redelivered
    notes = client.get("/api/identity/me/notifications",
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [n["title"] for n in notes] == ["学历核验通过"]


def test_a_name_is_corrected_only_after_the_public_security_check_said_it_is_wrong(ident):
    rt, client, me = ident
    cid = client.get("/api/identity/me", headers=me).get_json()["id"]
    fix = {"name": "张叁", "name_confirmed": True}
    locked = client.put("/api/identity/me/name", json=fix, headers=me)
    assert locked.status_code == 409 and locked.get_json()["error"]["code"] == "name_locked"
    assert client.get("/api/identity/me", headers=me).get_json()["name_correctable"] is False

    identity_checked(rt, cid, "failed", "2026-11-23T10:00:00+00:00", "ev-1")
    identity_checked(rt, cid, "passed", "2026-11-23T09:00:00+00:00", "ev-0")  # older: ignored
    assert client.get("/api/identity/me", headers=me).get_json()["name_correctable"] is True
    unconfirmed = client.put("/api/identity/me/name", json={"name": "张叁"}, headers=me)
    assert unconfirmed.status_code == 422
    odd = client.put("/api/identity/me/name", json={"name": "张3<b>", "name_confirmed": True},
                     headers=me)
    assert odd.status_code == 422 and "姓名只能包含中文" in str(odd.get_json())
    same = client.put("/api/identity/me/name", json={"name": "张三", "name_confirmed": True},
                      headers=me)
    assert same.status_code == 422 and same.get_json()["error"]["code"] == "name_unchanged"
    done = client.put("/api/identity/me/name", json=fix, headers=me)
    assert done.status_code == 200 and done.get_json() == {"name": "张叁"}
    me_now = client.get("/api/identity/me", headers=me).get_json()
    assert me_now["name"] == "张叁" and me_now["name_correctable"] is False  # checked again
    assert outbox_types(rt)[-1] == "identity.profile.changed"
    again = client.put("/api/identity/me/name", json={"name": "张三", "name_confirmed": True},
                       headers=me)
    assert again.status_code == 409  # one correction per failed check
    identity_checked(rt, cid, "passed", "2026-11-23T11:00:00+00:00", "ev-2")
    assert client.get("/api/identity/me", headers=me).get_json()["name_correctable"] is False


def test_sign_up_records_which_agreement_was_accepted_and_when(ident):
    rt, client, me = ident
    with rt.engine.connect() as conn:
        version, at = conn.execute(text(
            "SELECT agreement_version, agreement_accepted_at FROM accounts "
            "WHERE username_lower = 'zhangsan01'")).one()
    assert version == "2026-01" and at is not None
    shown = client.get("/api/identity/agreement").get_json()
    assert shown["version"] == "2026-01" and shown["text"].startswith(shown["title"])
    old = client.post("/api/identity/candidates", json={
        **SIGNUP, "username": "lisi0001", "document_number": "110105194912310029",
        "agreement_version": "2025-01"})
    assert old.status_code == 422 and old.get_json()["error"]["code"] == "agreement_not_accepted"


def test_the_correlation_id_travels_from_the_http_request_into_the_event(make_settings, bus,
                                                                         tokens):
    rt = bootstrap(make_settings("identity"), transport=bus)
    client = create_app(rt, verifier=tokens.verifier).test_client()
    resp = client.post("/api/identity/candidates", json=SIGNUP,
                       headers={"X-Correlation-ID": "req-7f3a"})
    assert resp.status_code == 201 and resp.headers["X-Correlation-ID"] == "req-7f3a"
    with rt.engine.connect() as conn:
        payload = conn.execute(text("SELECT payload FROM outbox WHERE type = "
                                    "'identity.candidate.registered'")).scalar_one()
    event = CloudEvent.from_json(payload)
    assert event.correlationid == "req-7f3a" and event.causationid is None

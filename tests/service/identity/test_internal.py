"""Service credentials and identity's internal routes: who may call them, and who may not."""
from __future__ import annotations

import json

import jwt
import pytest
from sqlalchemy import select

from services.common.auth import ROLES
from services.common.service_auth import KEY_FILE, service_client
from tests.support.identity import URL, WANG, Identity

TOKEN = "/api/identity/oauth/token"


def doc_path(cid: str) -> str:
    return f"/api/identity/internal/candidates/{cid}/document"


def photo_path(cid: str) -> str:
    return f"/api/identity/internal/candidates/{cid}/photo"


@pytest.fixture
def idt(make_settings, bus, tokens):
    return Identity(make_settings, bus, tokens)


@pytest.fixture
def secrets(make_settings, idt) -> dict:
    return json.loads((make_settings("identity").data_dir / KEY_FILE).read_text())


def service_token(idt, secrets, name: str) -> str:
    resp = idt.client.post(TOKEN, data={"grant_type": "client_credentials"},
                           headers=_basic(name, secrets[name]))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["access_token"]


def _basic(user: str, password: str) -> dict:
    import base64
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_service_gets_a_short_lived_token_with_its_name_and_the_service_role(
        idt, secrets, make_settings):
    resp = idt.client.post(TOKEN, data={"grant_type": "client_credentials"},
                           headers=_basic("verification", secrets["verification"]))
    body = resp.get_json()
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "service:verification" and claims["roles"] == ["service"]
    assert claims["typ"] == "service" and claims["exp"] - claims["iat"] == 300
    principal = idt.app.extensions["baokao_verifier"].verify(body["access_token"])
    assert principal.service == "verification" and not principal.is_staff
    # client_id / client_secret in the form body work too (RFC 6749 §2.3.1)
    form = idt.client.post(TOKEN, data={"grant_type": "client_credentials",
                                        "client_id": "certificates",
                                        "client_secret": secrets["certificates"]})
    assert form.status_code == 200
    # identity keeps only hashes of the secrets
    assert secrets["verification"] not in str(idt.rt.services["service_clients"])


@pytest.mark.parametrize("client_id,secret,grant,status,code", [
    ("verification", "wrong-secret", "client_credentials", 401, "invalid_client"),
    ("nobody", "whatever", "client_credentials", 401, "invalid_client"),
    ("verification", None, "password", 400, "unsupported_grant_type"),
    ("", "", "client_credentials", 401, "invalid_client"),
])
def test_wrong_credentials_get_no_token(idt, secrets, client_id, secret, grant, status, code):
    resp = idt.client.post(TOKEN, data={"grant_type": grant},
                           headers=_basic(client_id, secret or secrets["verification"]))
    assert resp.status_code == status and resp.get_json()["error"]["code"] == code
    if status == 401:
        assert resp.headers["WWW-Authenticate"].startswith("Basic")


def test_verification_reads_the_full_document_and_the_reveal_is_audited(idt, secrets):
    cid = idt.sign_up()
    resp = idt.client.get(doc_path(cid), headers=bearer(service_token(idt, secrets,
                                                                      "verification")))
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert resp.get_json() == {"candidate_id": cid, "name": "王小明",
                               "document_type": "resident_id",
                               "document_number": WANG["document_number"]}
    audit = idt.rt.tables.audit_log
    with idt.rt.engine.connect() as conn:
        row = conn.execute(select(audit).where(audit.c.target == cid)).one()
    assert (row.actor, row.action) == ("service:verification", "reveal.document")
    missing = idt.client.get(doc_path("no-such-id"),
                             headers=bearer(service_token(idt, secrets, "verification")))
    assert missing.status_code == 404


def test_internal_routes_refuse_people_and_services_not_on_their_list(idt, secrets, tokens):
    cid = idt.sign_up()
    signed_in = idt.client.post("/api/identity/tokens", json={
        "login": WANG["username"], "password": WANG["password"]}).get_json()
    candidate = bearer(signed_in["access_token"])  # a real token identity issued
    everyone = tokens.headers("staff-1", tuple(ROLES), username="admin")  # every staff role
    for path, wrong_service in ((doc_path(cid), "certificates"),
                                (photo_path(cid), "verification")):
        assert idt.client.get(path).status_code == 401
        for headers, code in ((candidate, "role_required"),
                              (tokens.headers(cid), "role_required"),
                              (everyone, "role_required"),
                              (bearer(service_token(idt, secrets, wrong_service)),
                               "caller_not_allowed")):
            resp = idt.client.get(path, headers=headers)
            assert resp.status_code == 403, (path, code)
            assert resp.get_json()["error"]["code"] == code


def test_a_service_token_opens_no_route_meant_for_people(idt, secrets):
    token = bearer(service_token(idt, secrets, "verification"))
    assert idt.client.get("/api/identity/me", headers=token).get_json()["error"]["code"] == \
        "service_not_allowed"
    assert idt.client.get("/ops/identity/photos", headers=token).status_code == 403


def test_a_forged_service_role_in_a_persons_token_is_refused(idt, tokens):
    forged = tokens.token("service:verification", ("service",))  # typ access: not a service token
    resp = idt.client.get(doc_path("x"), headers=bearer(forged))
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "token_invalid"


def test_the_locked_photo_for_certificates_and_404_when_there_is_none(idt, secrets, tokens):
    cid = idt.sign_up()
    token = bearer(service_token(idt, secrets, "certificates"))
    none = idt.client.get(photo_path(cid), headers=token)
    assert none.status_code == 404 and none.get_json()["error"]["code"] == "photo_not_found"
    jpeg = idt.lock_photo(cid, tokens.headers(cid), tokens.headers(
        "r1", ("reviewer",), username="reviewer"))
    for caller in ("certificates", "registration"):
        resp = idt.client.get(photo_path(cid), headers=bearer(service_token(idt, secrets,
                                                                            caller)))
        assert resp.status_code == 200 and resp.mimetype == "image/jpeg" and resp.data == jpeg


def test_the_shared_client_fetches_caches_and_reuses_the_token(idt, make_settings):
    cid = idt.sign_up()
    settings = make_settings("certificates", extra={"identity_url": URL})
    client = service_client(settings, "identity", session=idt.session)
    for _ in range(3):
        assert client.get(photo_path(cid)).status_code == 404
    assert idt.adapter.calls.count(f"POST {TOKEN}") == 1
    # identity rotated its key and forgot the old one: 401 → a new token, one retry
    client.tokens._token = client.tokens._token[:-4] + "AAAA"  # a token identity will refuse
    assert client.get(photo_path(cid)).status_code == 404
    assert idt.adapter.calls.count(f"POST {TOKEN}") == 2

"""Public verification by number and name, and the public key set."""
import json

import pytest
from sqlalchemy import update

from services.certificates.adapters.orm import certificates

VERIFY = "/api/certificates/verify"


def verify(svc, number, name):
    resp = svc.client.get(VERIFY, query_string={"number": number, "name": name})
    assert resp.status_code == 200
    return resp.json


def test_number_and_name_verify_without_login(svc):
    cert = svc.qualify()
    body = verify(svc, cert["number"], "张三")
    assert body == {"status": "valid", "signature_valid": True, "certificate": {
        "number": cert["number"], "holder_name": "张三", "document_number_masked": "110101**********1X",
        "title": "经济专业技术资格（中级）", "specialty": "人力资源管理", "issued_on": cert["issued_on"],
        "issuing_authority": "人力资源社会保障部", "version": 1}}


def test_typed_variants_of_number_and_name_are_forgiven(svc):
    n = svc.qualify()["number"]
    spaced = f"{n[:6].lower()} {n[6:9]}-{n[9:]}"
    assert verify(svc, spaced, " 张 三 ")["status"] == "valid"


def test_wrong_name_answers_exactly_like_an_unknown_number(svc):
    n = svc.qualify()["number"]
    wrong_name = svc.client.get(VERIFY, query_string={"number": n, "name": "李四"})
    unknown = svc.client.get(VERIFY, query_string={"number": "BK2026JJS9999990", "name": "张三"})
    malformed = svc.client.get(VERIFY, query_string={"number": "nonsense", "name": "张三"})
    assert wrong_name.status_code == unknown.status_code == malformed.status_code == 200
    assert wrong_name.data == unknown.data == malformed.data
    assert wrong_name.json == {"status": "not_found", "signature_valid": False, "certificate": None}


def test_revoked_certificate_says_so(svc):
    n = svc.qualify()["number"]
    with svc.rt.engine.begin() as conn:
        conn.execute(update(certificates).where(certificates.c.number == n).values(status="revoked"))
    body = verify(svc, n, "张三")
    assert body["status"] == "revoked" and body["signature_valid"] is True


def test_a_credential_altered_in_the_database_fails_its_signature(svc):
    n = svc.qualify()["number"]
    with svc.rt.engine.begin() as conn:
        raw = conn.execute(certificates.select().where(certificates.c.number == n)).one().credential
        doc = json.loads(raw)
        doc["credentialSubject"]["qualification"]["level"] = "高级"
        conn.execute(update(certificates).where(certificates.c.number == n)
                     .values(credential=json.dumps(doc)))
    assert verify(svc, n, "张三")["signature_valid"] is False


@pytest.mark.parametrize("query", [
    {}, {"number": "BK2026JJS0000010"}, {"name": "张三"}, {"number": "", "name": "张三"},
    {"number": "B" * 200, "name": "张三"}, {"number": "BK2026JJS0000010", "name": "张" * 51},
    {"number": "BK2026JJS0000010", "name": "张三", "extra": "1"},
    "number=%FF%FE%00&name=%ED%A0%80", "number=BK2026JJS0000010&number=x&name=%E5%BC%A0",
    "number[]=1&name=2",
])
def test_bad_query_input_is_a_4xx_never_a_500(svc, query):
    if isinstance(query, str):  # raw bytes a browser or a scanner might send
        resp = svc.client.get(f"{VERIFY}?{query}")
    else:
        resp = svc.client.get(VERIFY, query_string=query)
    assert 400 <= resp.status_code < 500 or resp.json["status"] == "not_found"
    assert resp.status_code != 500


def test_key_set_is_public_and_names_the_signing_key(svc):
    n = svc.qualify()["number"]
    resp = svc.client.get("/api/certificates/keys")
    assert resp.status_code == 200 and "public" in resp.headers["Cache-Control"]
    [jwk] = resp.json["keys"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and "d" not in jwk
    cred = svc.client.get(f"/api/certificates/{n}/credential.json", headers=svc.holder()).json
    assert cred["proof"]["verificationMethod"] == f"https://baokao.example/api/certificates/keys#{jwk['kid']}"
    issuer = svc.client.get("/api/certificates/issuer").json
    assert issuer["id"] == cred["issuer"]["id"]


def test_rotation_keeps_old_certificates_valid(svc):
    old = svc.qualify()["number"]
    new_kid = svc.rt.services["keys"].rotate()
    new = svc.qualify()["number"]
    kids = [k["kid"] for k in svc.client.get("/api/certificates/keys").json["keys"]]
    assert len(kids) == 2 and kids[0] == new_kid
    cred = svc.client.get(f"/api/certificates/{new}/credential.json", headers=svc.holder()).json
    assert cred["proof"]["verificationMethod"].endswith("#" + new_kid)
    for n in (old, new):
        assert verify(svc, n, "张三") == verify(svc, n, "张三") | {"status": "valid",
                                                                  "signature_valid": True}


def test_private_keys_are_encrypted_at_rest(svc):
    from services.certificates.adapters.orm import signing_keys
    with svc.rt.engine.connect() as conn:
        pem = conn.execute(signing_keys.select()).one().private_pem
    assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")

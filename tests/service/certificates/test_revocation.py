"""Revocation by two officers, the signed status list, and verification showing it at once."""
import json

from services.certificates import cli
from services.certificates.domain import proof, status_list

API = "/api/certificates"


def ask(svc, number, officer="officer-1", **over):
    body = {"reason_code": "fraud", "reason": "报考资格核查不通过，成绩无效"} | over
    return svc.client.post(f"{API}/{number}/revocations", json=body, headers=svc.officer(officer))


def revoke(svc, number):
    rid = ask(svc, number).json["id"]
    resp = svc.client.post(f"{API}/revocations/{rid}/approve", headers=svc.officer("officer-2"))
    assert resp.status_code == 200, resp.json
    return resp.json


def test_two_officers_revoke_and_verification_says_revoked_at_once(svc):
    n = svc.qualify()["number"]
    resp = ask(svc, n)
    assert resp.status_code == 201 and resp.json["status"] == "pending"
    assert svc.verify(n)["status"] == "valid"  # a request alone changes nothing
    pending = svc.client.get(f"{API}/revocations", headers=svc.officer("auditor-1", "auditor")).json
    assert [r["number"] for r in pending] == [n]
    done = svc.client.post(f"{API}/revocations/{resp.json['id']}/approve",
                           headers=svc.officer("officer-2"))
    assert done.status_code == 200 and done.json["status"] == "approved"
    assert done.json["decided_by"] == "officer-2"
    body = svc.verify(n)
    assert body["status"] == "revoked" and body["signature_valid"] is True
    [event] = svc.events("certificates.certificate.revoked")
    assert event.data["certificate_number"] == n and "报考资格核查不通过" in event.data["reason"]
    assert event.data["requested_by"] == "officer-1" and event.data["approved_by"] == "officer-2"
    assert svc.mine()[0]["status"] == "revoked"


def test_second_approval_by_the_same_officer_is_refused(svc):
    n = svc.qualify()["number"]
    rid = ask(svc, n).json["id"]
    resp = svc.client.post(f"{API}/revocations/{rid}/approve", headers=svc.officer("officer-1"))
    assert resp.status_code == 409 and resp.json["error"]["code"] == "same_officer"
    assert svc.verify(n)["status"] == "valid"
    again = svc.client.post(f"{API}/revocations/{rid}/approve", headers=svc.officer("officer-2"))
    assert again.status_code == 200
    twice = svc.client.post(f"{API}/revocations/{rid}/approve", headers=svc.officer("officer-3"))
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_decided"


def test_requests_need_a_reason_an_officer_and_no_duplicate(svc):
    n = svc.qualify()["number"]
    assert ask(svc, n, reason="").status_code == 422
    assert ask(svc, n, reason_code="whim").status_code == 422
    assert svc.client.post(f"{API}/{n}/revocations", json={"reason_code": "fraud", "reason": "理由充分的"},
                           headers=svc.holder()).status_code == 403
    assert svc.client.post(f"{API}/{n}/revocations", json={"reason_code": "fraud", "reason": "理由充分的"},
                           headers=svc.officer("a-1", "auditor")).status_code == 403
    assert ask(svc, n).status_code == 201
    dup = ask(svc, n, officer="officer-3")
    assert dup.status_code == 409 and dup.json["error"]["code"] == "revocation_pending"
    assert ask(svc, "BK2026JJS9999990").status_code == 404


def test_rejected_request_leaves_the_certificate_valid(svc):
    n = svc.qualify()["number"]
    rid = ask(svc, n).json["id"]
    resp = svc.client.post(f"{API}/revocations/{rid}/reject", headers=svc.officer("officer-2"))
    assert resp.status_code == 200 and resp.json["status"] == "rejected"
    assert svc.verify(n)["status"] == "valid"
    assert svc.events("certificates.certificate.revoked") == []


def status_list_for(svc, number):
    cred = svc.client.get(f"{API}/{number}/credential.json", headers=svc.holder()).json
    url = cred["credentialStatus"]["statusListCredential"]
    assert url.startswith("https://baokao.example/api/certificates/status/")
    resp = svc.client.get(url.removeprefix("https://baokao.example"))
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-cache"
    return cred, resp.json


def test_status_list_is_a_signed_bitstring_credential_that_flips_on_revocation(svc):
    a, b = svc.qualify()["number"], svc.qualify()["number"]
    keys = proof.keys_from_jwks(svc.client.get(f"{API}/keys").json)
    cred_a, before = status_list_for(svc, a)
    assert before["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert before["credentialSubject"]["type"] == "BitstringStatusList"
    assert proof.verify(before, keys).valid
    assert status_list.status_of(cred_a, before)[0] == "ok"
    revoke(svc, a)
    cred_a, after = status_list_for(svc, a)
    cred_b, _ = status_list_for(svc, b)
    assert proof.verify(after, keys).valid
    assert status_list.status_of(cred_a, after)[0] == "revoked"
    assert status_list.status_of(cred_b, after)[0] == "ok"
    assert svc.client.get(f"{API}/status/2").status_code == 404
    assert svc.client.get(f"{API}/status/0").status_code == 404


def test_offline_verifier_checks_the_status_list(svc, tmp_path, capsys):
    n = svc.qualify()["number"]
    cred, listing = status_list_for(svc, n)
    (tmp_path / "cred.json").write_text(json.dumps(cred, ensure_ascii=False))
    (tmp_path / "keys.json").write_bytes(svc.client.get(f"{API}/keys").data)
    (tmp_path / "before.json").write_text(json.dumps(listing))
    args = ["verify", str(tmp_path / "cred.json"), "--keys", str(tmp_path / "keys.json")]
    assert cli.main(args + ["--status", str(tmp_path / "before.json")]) == 0
    assert "未吊销" in capsys.readouterr().out
    revoke(svc, n)
    _, after = status_list_for(svc, n)
    (tmp_path / "after.json").write_text(json.dumps(after))
    assert cli.main(args + ["--status", str(tmp_path / "after.json")]) == 1
    assert capsys.readouterr().out.startswith("INVALID: revoked")
    after["credentialSubject"]["encodedList"] = before_list = listing["credentialSubject"]["encodedList"]
    assert before_list  # a forged "nothing revoked" list no longer carries a valid signature
    (tmp_path / "forged.json").write_text(json.dumps(after))
    assert cli.main(args + ["--status", str(tmp_path / "forged.json")]) == 1
    assert capsys.readouterr().out.startswith("INVALID: bad_status_list")


def test_uploaded_credential_reports_revoked_tampered_and_unknown_key(svc):
    n = svc.qualify()["number"]
    cred = svc.client.get(f"{API}/{n}/credential.json", headers=svc.holder()).json

    def check(doc):
        resp = svc.client.post(f"{API}/verify/credential", json=doc)
        assert resp.status_code == 200
        return resp.json
    assert check(cred)["status"] == "valid"
    tampered = json.loads(json.dumps(cred))
    tampered["credentialSubject"]["name"] = "李四"
    assert check(tampered) | {} == {"status": "invalid", "signature_valid": False,
                                    "reason": "bad_signature", "certificate": None,
                                    "message": check(tampered)["message"]}
    foreign = json.loads(json.dumps(cred))
    foreign["proof"]["verificationMethod"] = "https://baokao.example/api/certificates/keys#cert-x"
    assert check(foreign)["reason"] == "unknown_key"
    revoke(svc, n)
    body = check(cred)
    assert body["status"] == "revoked" and body["reason"] == "revoked"
    assert svc.client.post(f"{API}/verify/credential", data=b"nope").status_code == 400
    assert svc.client.post(f"{API}/verify/credential", json=[1, 2])\
        .json["reason"] == "malformed"

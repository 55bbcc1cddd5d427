"""我的证书: the holder lists, downloads the signed JSON and the PDF; nobody else can."""
import pytest


def test_holder_lists_own_certificates_newest_first(svc):
    first = svc.qualify()
    second = svc.qualify(exam_code="ZJ", exam_name="一级造价工程师", level="一级", specialty=None)
    svc.qualify(candidate_id="cand-2", holder_name="李四")
    mine = svc.mine()
    assert {c["number"] for c in mine} == {first["number"], second["number"]}
    entry = next(c for c in mine if c["number"] == second["number"])
    assert entry["title"] == "一级造价工程师" and entry["status"] == "valid"
    assert entry["verification_url"] == f"https://baokao.example/verify?number={second['number']}"
    assert set(entry) >= {"number", "title", "issued_on", "status", "verification_url"}


def test_credential_json_is_the_signed_vc(svc):
    n = svc.qualify()["number"]
    resp = svc.client.get(f"/api/certificates/{n}/credential.json", headers=svc.holder())
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert f'filename="{n}.json"' in resp.headers["Content-Disposition"]
    doc = resp.json
    assert doc["id"] == f"urn:baokao:certificate:{n}"
    assert doc["type"] == ["VerifiableCredential", "BaokaoQualificationCredential"]
    assert doc["credentialSubject"]["name"] == "张三"
    assert doc["proof"]["cryptosuite"] == "eddsa-jcs-2022"


def test_pdf_is_a_pdf_with_the_number(svc):
    n = svc.qualify()["number"]
    resp = svc.client.get(f"/api/certificates/{n}/certificate.pdf", headers=svc.holder())
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF") and resp.data.rstrip().endswith(b"%%EOF")
    assert len(resp.data) > 2000  # fonts and the QR image are embedded


@pytest.mark.parametrize("suffix", ["credential.json", "certificate.pdf"])
def test_other_candidates_get_404(svc, suffix):
    n = svc.qualify()["number"]
    other = svc.client.get(f"/api/certificates/{n}/{suffix}", headers=svc.holder("cand-2"))
    unknown = svc.client.get(f"/api/certificates/BK2026JJS9999990/{suffix}",
                             headers=svc.holder("cand-2"))
    assert other.status_code == unknown.status_code == 404
    assert other.json == unknown.json
    assert svc.mine("cand-2") == []


@pytest.mark.parametrize("path", ["/api/certificates/me", "/api/certificates/X/credential.json",
                                  "/api/certificates/X/certificate.pdf"])
def test_holder_routes_need_a_candidate(svc, path):
    assert svc.client.get(path).status_code == 401
    staff = svc.tokens.headers(sub="staff-1", roles=("certificate_officer",))
    assert svc.client.get(path, headers=staff).status_code == 403


def test_garbage_numbers_in_the_path_are_404(svc):
    for n in ["%00", "a" * 300, "..%2F..%2Fetc", "张三"]:
        resp = svc.client.get(f"/api/certificates/{n}/credential.json", headers=svc.holder())
        assert resp.status_code == 404


def test_openapi_documents_every_route(svc):
    resp = svc.client.get("/api/certificates/openapi.json")
    assert resp.status_code == 200
    paths = resp.json["paths"]
    for path in ("/api/certificates/status/{list_id}", "/api/certificates/{number}/corrections",
                 "/api/certificates/shared/{token}", "/api/certificates/revocations/{rid}/approve",
                 "/api/certificates/{number}/mailings", "/api/certificates/batches"):
        assert path in paths, path

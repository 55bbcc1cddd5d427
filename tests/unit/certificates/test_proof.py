"""eddsa-jcs-2022 proofs: signing, tampering, unknown and rotated keys — no server involved."""
import copy
from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from services.certificates.domain import credential, proof
from services.certificates.domain.model import Certificate, Qualification

BASE = "https://baokao.example"
WHEN = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def make_cert(**over) -> Certificate:
    q = dict(qualification_id="q-1", candidate_id="cand-1", holder_name="张三",
             document_number_masked="1101**********123X", exam_code="JJS",
             exam_name="经济专业技术资格", level="中级", specialty="人力资源管理", sitting_year=2026,
             issuing_authority="人力资源社会保障部", qualified_on=date(2026, 11, 1))
    q.update(over)
    return Certificate(number="BK2026JJS0000010", qualification=Qualification(**q),
                       status_index=7, issued_at=WHEN)


def keyset(*pairs):
    return proof.keys_from_jwks({"keys": [proof.public_jwk(k.public_key(), kid)
                                          for kid, k in pairs]})


@pytest.fixture
def key():
    return Ed25519PrivateKey.generate()


def signed(key, kid="k1"):
    return proof.sign(credential.build(make_cert(), BASE), key, f"{BASE}/api/certificates/keys#{kid}",
                      WHEN)


def test_credential_has_the_vc2_shape():
    doc = credential.build(make_cert(), BASE)
    assert doc["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert doc["type"] == ["VerifiableCredential", "BaokaoQualificationCredential"]
    assert doc["id"] == "urn:baokao:certificate:BK2026JJS0000010"
    assert doc["issuer"]["name"] == "人力资源社会保障部"
    assert doc["validFrom"] == "2026-11-20T08:30:00Z"
    subject = doc["credentialSubject"]
    assert subject["name"] == "张三" and subject["documentNumberMasked"] == "1101**********123X"
    assert subject["qualification"] == {
        "type": "BaokaoQualification", "examCode": "JJS", "exam": "经济专业技术资格",
        "level": "中级", "specialty": "人力资源管理", "year": 2026, "title": "经济专业技术资格（中级）",
        "qualifiedOn": "2026-11-01"}
    assert doc["credentialStatus"]["statusListIndex"] == "7"
    assert doc["credentialStatus"]["type"] == "BitstringStatusListEntry"


def test_signed_credential_verifies(key):
    doc = signed(key)
    p = doc["proof"]
    assert p["type"] == "DataIntegrityProof" and p["cryptosuite"] == "eddsa-jcs-2022"
    assert p["proofPurpose"] == "assertionMethod" and p["proofValue"].startswith("z")
    assert p["created"] == "2026-11-20T08:30:00Z"
    verdict = proof.verify(doc, keyset(("k1", key)))
    assert verdict.valid and verdict.code == "ok" and verdict.kid == "k1"


@pytest.mark.parametrize("path, value", [
    (("credentialSubject", "name"), "李四"),
    (("credentialSubject", "qualification", "level"), "高级"),
    (("validFrom",), "2020-01-01T00:00:00Z"),
    (("credentialStatus", "statusListIndex"), "8"),
    (("proof", "created"), "2027-01-01T00:00:00Z"),  # proof options are signed too
])
def test_any_tampered_field_breaks_the_signature(key, path, value):
    doc = signed(key)
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    verdict = proof.verify(doc, keyset(("k1", key)))
    assert not verdict.valid and verdict.code == "bad_signature"


def test_added_field_breaks_the_signature(key):
    doc = signed(key)
    doc["credentialSubject"]["extra"] = "x"
    assert proof.verify(doc, keyset(("k1", key))).code == "bad_signature"


def test_key_order_and_whitespace_do_not_matter(key):
    import json
    doc = signed(key)
    reordered = json.loads(json.dumps(dict(reversed(list(doc.items()))), indent=4))
    assert proof.verify(reordered, keyset(("k1", key))).valid


def test_unknown_key_is_reported(key):
    verdict = proof.verify(signed(key, kid="gone"), keyset(("k1", key)))
    assert not verdict.valid and verdict.code == "unknown_key" and verdict.kid == "gone"


def test_another_key_under_the_same_id_is_a_bad_signature(key):
    verdict = proof.verify(signed(key), keyset(("k1", Ed25519PrivateKey.generate())))
    assert verdict.code == "bad_signature"


def test_after_rotation_old_and_new_certificates_both_verify(key):
    old = signed(key, "k1")
    new_key = Ed25519PrivateKey.generate()
    new = signed(new_key, "k2")
    keys = keyset(("k2", new_key), ("k1", key))
    assert proof.verify(old, keys).valid and proof.verify(new, keys).valid


@pytest.mark.parametrize("mutate, code", [
    (lambda d: d.pop("proof"), "malformed"),
    (lambda d: d["proof"].update(cryptosuite="ecdsa-jcs-2019"), "unsupported_proof"),
    (lambda d: d["proof"].update(proofPurpose="authentication"), "unsupported_proof"),
    (lambda d: d["proof"].update(verificationMethod=None), "malformed"),
    (lambda d: d["proof"].update(proofValue="x123"), "bad_signature"),
    (lambda d: d["proof"].update(proofValue="z0OIl"), "bad_signature"),
    (lambda d: d["proof"].update(proofValue=12), "bad_signature"),
    (lambda d: d["proof"].update({"@context": ["https://other.example"]}), "malformed"),
])
def test_malformed_proofs_are_refused_without_raising(key, mutate, code):
    doc = signed(key)
    mutate(doc)
    assert proof.verify(doc, keyset(("k1", key))).code == code


@pytest.mark.parametrize("junk", [None, [], "x", {"proof": "x"}])
def test_non_documents_are_malformed(junk):
    assert proof.verify(junk, {}).code == "malformed"


def test_base64url_multibase_proof_value_is_accepted(key):
    doc = signed(key)
    raw = proof.b58decode(doc["proof"]["proofValue"][1:])
    doc["proof"]["proofValue"] = "u" + proof._b64url(raw)
    assert proof.verify(doc, keyset(("k1", key))).valid


def test_jwks_reader_skips_foreign_and_broken_keys(key):
    good = proof.public_jwk(key.public_key(), "k1")
    jwks = {"keys": [good, {"kty": "RSA", "kid": "r"}, {"kty": "OKP", "crv": "Ed25519", "kid": "b",
                                                        "x": "@@"}, "junk"]}
    assert list(proof.keys_from_jwks(jwks)) == ["k1"]
    assert proof.keys_from_jwks("junk") == {} and proof.keys_from_jwks(None) == {}


@given(st.binary(max_size=80))
def test_base58_round_trips(data):
    assert proof.b58decode(proof.b58encode(data)) == data


def test_copy_is_not_mutated_by_signing(key):
    doc = credential.build(make_cert(), BASE)
    before = copy.deepcopy(doc)
    proof.sign(doc, key, "x#k1", WHEN)
    assert doc == before

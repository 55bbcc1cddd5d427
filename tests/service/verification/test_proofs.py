"""Proof uploads: checked by content, clear refusals, only when a check needs a person."""
from __future__ import annotations

import io

from PIL import Image

from tests.service.verification.conftest import OLD, WANG, jpeg_bytes, pdf_bytes


def failed_check(svc):
    svc.deliver(svc.registered(education={**WANG, "certificate_number": "106111201205999999"}))


def test_a_png_renamed_to_pdf_is_refused_by_content(svc, rv):
    failed_check(svc)
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "PNG")
    resp = rv.upload(buf.getvalue(), "证书.pdf")
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "proof_type_not_allowed" and "PDF 或 JPEG" in err["message"]
    assert rv.upload(b"MZ\x90\x00" * 100, "scan.jpg").get_json()["error"]["code"] == (
        "proof_type_not_allowed")


def test_a_file_over_10_mb_is_refused(svc, rv):
    failed_check(svc)
    big = pdf_bytes() + b"%" * (10 * 1024 * 1024)
    resp = rv.upload(big, "big.pdf")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "proof_too_large"
    assert "10 MB" in resp.get_json()["error"]["message"]


def test_a_corrupt_file_and_no_file_are_refused(svc, rv):
    failed_check(svc)
    resp = rv.upload(jpeg_bytes()[:40], "cut.jpg")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "proof_corrupt"
    assert rv.upload(b"%PDF-1.4 nothing else", "x.pdf").get_json()["error"]["code"] == (
        "proof_corrupt")
    assert rv.upload(b"", "x.pdf").get_json()["error"]["code"] == "proof_empty"
    resp = svc.client.post("/api/verification/me/proofs", headers=svc.tokens.headers(),
                           data={"kind": "education"}, content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "proof_missing"


def test_no_proof_when_nothing_needs_one(svc, rv):
    assert rv.upload(pdf_bytes()).get_json()["error"]["code"] == "proof_not_needed"
    svc.deliver(svc.registered())  # passes online
    resp = rv.upload(pdf_bytes())
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "proof_not_needed"


def test_proofs_join_the_open_item_and_the_candidate_lists_and_reads_them(svc, rv):
    svc.deliver(svc.registered(name="钱进", education=OLD))
    first = rv.upload(jpeg_bytes(), "../../etc/毕业证.JPG").get_json()
    second = rv.upload(pdf_bytes(), "备案表.pdf").get_json()
    assert first["item_id"] == second["item_id"]
    assert first["filename"] == "毕业证.jpg" and first["content_type"] == "image/jpeg"
    mine = svc.client.get("/api/verification/me/proofs", headers=svc.tokens.headers()).get_json()
    assert [p["id"] for p in mine] == [first["id"], second["id"]]
    own = svc.client.get(f"/api/verification/me/proofs/{first['id']}",
                         headers=svc.tokens.headers())
    assert own.status_code == 200 and own.data.startswith(b"\xff\xd8\xff")
    other = svc.client.get(f"/api/verification/me/proofs/{first['id']}",
                           headers=svc.tokens.headers(sub="cand-2"))
    assert other.status_code == 404
    # out-of-scope reviewers cannot read it either
    resp = svc.client.get(f"/api/verification/review/proofs/{first['id']}",
                          headers=rv.reviewer("r44", scope={"province": "44"}))
    assert resp.status_code == 404


def proof_views(svc) -> list[tuple]:
    from sqlalchemy import select
    log = svc.rt.tables.audit_log
    with svc.rt.engine.connect() as conn:
        return [(r.actor, r.target, r.detail["item_id"], r.detail["viewer"]) for r in conn.execute(
            select(log).where(log.c.action == "proof.viewed").order_by(log.c.id))]


def test_every_staff_view_of_a_proof_is_audited(svc, rv):
    svc.deliver(svc.registered(name="钱进", education=OLD))
    proof = rv.upload(jpeg_bytes(), "毕业证.jpg").get_json()
    item = proof["item_id"]
    assert svc.client.get(f"/api/verification/me/proofs/{proof['id']}",
                          headers=svc.tokens.headers()).status_code == 200  # the owner: no entry
    outside = rv.reviewer("r44", scope={"province": "44"})
    assert svc.client.get(f"/api/verification/review/proofs/{proof['id']}",
                          headers=outside).status_code == 404
    assert svc.client.get(f"/ops/verification/review/{item}/proofs/{proof['id']}",
                          headers=outside).status_code == 404
    assert proof_views(svc) == []  # refused: nothing was shown
    api = svc.client.get(f"/api/verification/review/proofs/{proof['id']}", headers=rv.reviewer())
    page = svc.client.get(f"/ops/verification/review/{item}/proofs/{proof['id']}",
                          headers=rv.reviewer("rev2"))
    assert api.status_code == page.status_code == 200 and page.data.startswith(b"\xff\xd8\xff")
    assert proof_views(svc) == [("rev1", proof["id"], item, "staff-rev1"),
                                ("rev2", proof["id"], item, "staff-rev2")]

"""Replacement (补发) of a lost or damaged paper certificate with seed 004's materials: upload,
officer review on the API and the desk (audited ID-scan views), rejection and re-application,
refusals, and the ID scan never in the database in clear."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from services.certificates.adapters.orm import mailings, replacement_materials

API = "/api/certificates"
ADDRESS = {"recipient": "张三", "address": "广东省广州市天河区体育西路 100 号 1201 室",
           "phone": "138 0013 8000"}
PDF = b"%PDF-1.4\n% signed application form\n%%EOF\n"
ID_MARKER = b"RESIDENT-ID-110101199001011234-FRONT"


def jpeg(marker: bytes = b"", pad: int = 64) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + marker + b"\x00" * pad + b"\xff\xd9"


def materials(**over):
    """Multipart fields: the three materials (ID front and back as two JPEGs)."""
    files = {"application_form": [(io.BytesIO(PDF), "申请表.pdf")],
             "id_document": [(io.BytesIO(jpeg(ID_MARKER)), "正面.jpg"),
                             (io.BytesIO(jpeg(b"BACK")), "反面.jpg")],
             "photo": [(io.BytesIO(jpeg(b"PHOTO")), "照片.jpg")]}
    return files | over


def apply(svc, number, files=None, **over):
    data = ADDRESS | {"reason": "lost", "id_document_type": "resident_id"} | over
    data |= materials() if files is None else files
    return svc.client.post(f"{API}/{number}/replacements", data=data, headers=svc.holder(),
                           content_type="multipart/form-data")


def officer(svc, sub="officer-1", role="certificate_officer", username="zhou"):
    return svc.tokens.headers(sub=sub, roles=(role,), name="周证书", username=username)


def delivered(svc, **over) -> str:
    """A certificate whose first paper copy was delivered, in an exam still on paper."""
    svc.rt.services["paper_only_exams"] = frozenset({"JJS"})
    n = svc.qualify(**over)["number"]
    mid = svc.client.post(f"{API}/{n}/mailings", json=ADDRESS, headers=svc.holder()).json["id"]
    for state, extra in (("printed", {}), ("shipped", {"tracking_number": "EA123456789CN"}),
                         ("delivered", {})):
        resp = svc.client.post(f"{API}/mailings/{mid}/state", json={"state": state, **extra},
                               headers=officer(svc))
        assert resp.status_code == 200, resp.json
    return n


def audit_rows(svc):
    log = svc.rt.tables.audit_log
    with svc.rt.engine.connect() as conn:
        return conn.execute(select(log.c.actor, log.c.action, log.c.target, log.c.detail)
                            .order_by(log.c.id)).all()


def test_replacement_runs_from_materials_review_to_the_print_queue(svc):
    n = delivered(svc)
    assert svc.client.get(f"{API}/{n}/replacements/eligibility",
                          headers=svc.holder()).json == {"allowed": True, "code": "ok",
                                                         "message": "可以申请补发"}
    resp = apply(svc, n)
    assert resp.status_code == 201, resp.json
    m = resp.json
    assert m["state"] == "materials_review" and m["state_label"] == "材料待审核"
    assert m["kind"] == "replacement" and m["reason"] == "lost"
    assert m["id_document_label"] == "居民身份证"
    assert [(f["kind"], f["content_type"]) for f in m["materials"]] == [
        ("application_form", "application/pdf"), ("id_document", "image/jpeg"),
        ("id_document", "image/jpeg"), ("photo", "image/jpeg")]
    again = svc.client.get(f"{API}/{n}/replacements/eligibility", headers=svc.holder()).json
    assert again["allowed"] is False and again["code"] == "mailing_active"
    # The review queue has it; the print queue does not yet.
    [queued] = svc.client.get(f"{API}/replacements", headers=officer(svc)).json
    assert queued["id"] == m["id"] and len(queued["materials"]) == 4
    assert m["id"] not in [q["id"] for q in svc.client.get(f"{API}/mailings",
                                                           headers=officer(svc)).json]
    front = next(f for f in queued["materials"] if f["kind"] == "id_document")
    seen = svc.client.get(f"{API}/replacements/{m['id']}/materials/{front['id']}",
                          headers=officer(svc))
    assert seen.status_code == 200 and seen.data == jpeg(ID_MARKER)
    assert seen.headers["Cache-Control"] == "no-store" and "sandbox" in seen.headers[
        "Content-Security-Policy"]
    assert ("zhou", "replacement.id_document_viewed", n) in [r[:3] for r in audit_rows(svc)]
    approved = svc.client.post(f"{API}/replacements/{m['id']}/approve", headers=officer(svc))
    assert approved.status_code == 200 and approved.json["state"] == "requested"
    assert approved.json["reviewed_by_name"] == "周证书"
    assert m["id"] in [q["id"] for q in svc.client.get(f"{API}/mailings",
                                                       headers=officer(svc)).json]
    assert svc.client.get(f"{API}/replacements", headers=officer(svc)).json == []
    twice = svc.client.post(f"{API}/replacements/{m['id']}/approve", headers=officer(svc))
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_reviewed"
    events = [e.data for e in svc.events("certificates.mailing.changed")
              if e.data["mailing_id"] == m["id"]]
    assert [(e["kind"], e["state"]) for e in events] == [("replacement", "materials_review"),
                                                         ("replacement", "requested")]


def test_a_scan_larger_than_the_app_wide_body_limit_is_accepted(svc):
    n = delivered(svc)
    big_form = b"%PDF-1.4\n" + b"0" * (9 * 1024 * 1024) + b"\n%%EOF\n"
    big_id = jpeg(ID_MARKER, pad=5 * 1024 * 1024)  # 14 MB in all: over the 12 MB default
    resp = apply(svc, n, materials(application_form=[(io.BytesIO(big_form), "申请表.pdf")],
                                   id_document=[(io.BytesIO(big_id), "双面.jpg")]))
    assert resp.status_code == 201, resp.json


def test_no_plaintext_of_the_id_scan_in_the_database(svc):
    n = delivered(svc)
    assert apply(svc, n).status_code == 201
    with svc.rt.engine.connect() as conn:
        stored = conn.execute(select(replacement_materials.c.data_enc)).scalars().all()
    assert len(stored) == 4 and not any(ID_MARKER in bytes(s) or b"PHOTO" in bytes(s)
                                        for s in stored)
    database = Path(svc.rt.engine.url.database)
    for path in database.parent.glob(database.name + "*"):  # the file, its -wal and -journal
        assert ID_MARKER not in path.read_bytes(), path


@pytest.mark.parametrize("files, code", [
    (dict(photo=[(io.BytesIO(PDF), "照片.jpg")]), "bad_material_type"),  # a PDF named .jpg
    (dict(photo=[(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 99), "照片.jpg")]), "bad_material_type"),
    (dict(application_form=[(io.BytesIO(b"MZ\x90\x00 not a scan"), "申请表.pdf")]),
     "bad_material_type"),
    (dict(photo=[(io.BytesIO(jpeg(pad=2 * 1024 * 1024)), "照片.jpg")]), "material_too_large"),
    (dict(application_form=[(io.BytesIO(b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"%%EOF"),
                             "申请表.pdf")]), "material_too_large"),
    (dict(photo=[]), "material_missing"),
    (dict(id_document=[]), "material_missing"),
    (dict(id_document=[(io.BytesIO(jpeg()), f"{i}.jpg") for i in range(3)]), "too_many_files"),
])
def test_wrong_missing_or_too_big_materials_are_refused_and_nothing_is_kept(svc, files, code):
    n = delivered(svc)
    resp = apply(svc, n, materials(**files))
    assert resp.status_code == 422 and resp.json["error"]["code"] == code, resp.json
    assert resp.json["error"]["message"]
    with svc.rt.engine.connect() as conn:
        assert conn.execute(select(mailings.c.state)).scalars().all() == ["delivered"]
        assert conn.execute(select(replacement_materials.c.id)).all() == []


def test_refused_before_2002_where_the_e_certificate_is_in_force_and_over_json(svc):
    old = delivered(svc, sitting_year=2001, qualified_on="2001-12-20")
    resp = apply(svc, old)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "replacement_out_of_scope"
    assert "2002" in resp.json["error"]["message"]
    eligibility = svc.client.get(f"{API}/{old}/replacements/eligibility", headers=svc.holder()).json
    assert eligibility["code"] == "replacement_out_of_scope" and not eligibility["allowed"]
    n = delivered(svc)
    svc.rt.services["paper_only_exams"] = frozenset()  # the exam is on e-certificates
    resp = apply(svc, n)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "replacement_not_offered"
    assert "电子证书" in resp.json["error"]["message"]
    svc.rt.services["paper_only_exams"] = frozenset({"JJS"})
    json_only = svc.client.post(f"{API}/{n}/mailings", headers=svc.holder(),
                                json=ADDRESS | {"kind": "replacement", "reason": "damaged"})
    assert json_only.status_code == 422
    assert json_only.json["error"]["code"] == "materials_required"
    fresh = svc.qualify()["number"]
    assert apply(svc, fresh).json["error"]["code"] == "nothing_to_replace"
    missing_fields = svc.client.post(f"{API}/{n}/replacements", data=materials(),
                                     headers=svc.holder(), content_type="multipart/form-data")
    assert missing_fields.status_code == 422


def test_rejected_with_a_reason_the_holder_sees_then_reapplied(svc):
    n = delivered(svc)
    mid = apply(svc, n).json["id"]
    no_reason = svc.client.post(f"{API}/replacements/{mid}/reject", json={"reason": " "},
                                headers=officer(svc))
    assert no_reason.status_code == 422 and no_reason.json["error"]["code"] == "reason_required"
    rejected = svc.client.post(f"{API}/replacements/{mid}/reject",
                               json={"reason": "申请表未签名，请签名后重新扫描上传"},
                               headers=officer(svc))
    assert rejected.status_code == 200 and rejected.json["state"] == "rejected"
    mine = svc.client.get(f"{API}/{n}/mailings", headers=svc.holder()).json
    [seen] = [x for x in mine if x["id"] == mid]
    assert seen["state_label"] == "材料未通过"
    assert seen["rejection_reason"] == "申请表未签名，请签名后重新扫描上传"
    again = apply(svc, n, reason="damaged")
    assert again.status_code == 201 and again.json["state"] == "materials_review"
    states = [e.data["state"] for e in svc.events("certificates.mailing.changed")
              if e.data["kind"] == "replacement"]
    assert states == ["materials_review", "rejected", "materials_review"]


def test_only_officers_review_and_only_officers_or_auditors_see_materials(svc):
    n = delivered(svc)
    m = apply(svc, n).json
    fid = m["materials"][1]["id"]
    holder = svc.holder()
    auditor = officer(svc, "auditor-1", "auditor", username="shen")
    for path in (f"{API}/replacements", f"{API}/replacements/{m['id']}/materials/{fid}"):
        assert svc.client.get(path, headers=holder).status_code == 403
        assert svc.client.get(path, headers=auditor).status_code == 200
    assert ("shen", "replacement.id_document_viewed", n) in [r[:3] for r in audit_rows(svc)]
    for who in (holder, auditor):
        assert svc.client.post(f"{API}/replacements/{m['id']}/approve",
                               headers=who).status_code == 403
        assert svc.client.post(f"{API}/replacements/{m['id']}/reject", json={"reason": "不清晰"},
                               headers=who).status_code == 403
    assert svc.client.get(f"{API}/replacements/{m['id']}/materials/nope",
                          headers=auditor).status_code == 404
    # A print-queue move cannot skip the review.
    skip = svc.client.post(f"{API}/mailings/{m['id']}/state", json={"state": "printed"},
                           headers=officer(svc))
    assert skip.status_code == 409 and skip.json["error"]["code"] == "bad_transition"


def test_desk_lists_replacements_with_material_links_and_decides(svc):
    n = delivered(svc)
    m = apply(svc, n).json
    page = svc.client.get("/ops/certificates/desk", headers=officer(svc))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "补发材料待审核" in html and n in html
    front = next(f for f in m["materials"] if f["kind"] == "id_document")
    link = f"/ops/certificates/replacements/{m['id']}/materials/{front['id']}"
    assert link in html and "材料齐全，转入邮寄" in html
    before = len(audit_rows(svc))
    shown = svc.client.get(link, headers=officer(svc, username="wu"))
    assert shown.status_code == 200 and shown.data == jpeg(ID_MARKER)
    assert audit_rows(svc)[before:][0][:2] == ("wu", "replacement.id_document_viewed")
    auditor_html = svc.client.get("/ops/certificates/desk", headers=officer(
        svc, "auditor-1", "auditor")).get_data(as_text=True)
    assert link in auditor_html and "材料齐全，转入邮寄" not in auditor_html
    detail = svc.client.get(f"/ops/certificates/{n}", headers=officer(svc)).get_data(as_text=True)
    assert link in detail
    resp = svc.client.post(f"/ops/certificates/replacements/{m['id']}/reject",
                           data={"reason": "照片不是白底"}, headers=officer(svc))
    assert resp.status_code == 302
    [after] = [x for x in svc.client.get(f"{API}/{n}/mailings", headers=svc.holder()).json
               if x["id"] == m["id"]]
    assert after["state"] == "rejected" and after["rejection_reason"] == "照片不是白底"

"""The seed-002 flow step by step through the API: commitment, draft, letter, proofs, confirm,
online review with scopes, return, modify, resubmit, pay, edit refused after payment."""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from services.registration.adapters import orm
from services.registration.adapters.verification import StaticVerification
from tests.service.registration.conftest import DEMO_ID

API = "/api/registration"
JJ_FORM = {"sitting_id": "2026-JJ", "province": "44", "city": "440100", "review_point": "44010001",
           "level": "02", "specialty": "01", "subjects": ["JJ201", "JJ202"], "exempt_subjects": [],
           "commitment_mode": True, "notice_accepted": True}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture
def verification(reg) -> StaticVerification:
    fake = StaticVerification(listed={"cand-listed"}, relations={"土木工程": "other",
                                                                 "经济学": "own"})
    reg.rt.services["verification"] = fake
    reg.lock_photo()  # the demo candidate's photo passed identity's review (seed 000)
    return fake


@pytest.fixture(autouse=True)
def _full_configuration(full_jj):
    """These tests use 经济 configured like the demo's 二级建造师 (see conftest.FULL)."""


def post(reg, path, body=None, sub=DEMO_ID, **headers):
    return reg.client.post(API + path, json=body, headers={**reg.headers(sub), **headers})


def upload(reg, app_id, content, kind="education", name="证书.pdf", sub=DEMO_ID):
    return reg.client.post(f"{API}/applications/{app_id}/proofs", headers=reg.headers(sub),
                           data={"file": (io.BytesIO(content), name), "kind": kind},
                           content_type="multipart/form-data")


def test_commitment_mode_flow_to_payment_request(reg, verification):
    reg.register_candidate()
    reg.verify()
    info = reg.client.get(f"{API}/sittings/2026-JJ/commitment", headers=reg.headers()).json
    assert info["offered"] is True and info["choice"] is None and "告知承诺制" in info["notice"]
    assert info["exam_notice"] and info["letter"]
    chose = post(reg, "/sittings/2026-JJ/commitment", {"commit": True})
    assert chose.status_code == 200 and chose.json["choice"] == "commit"

    draft = post(reg, "/applications/drafts", JJ_FORM)
    assert draft.status_code == 201, draft.json
    app = draft.json
    assert app["state"] == "draft" and app["application_number"] == "202644JJ000001"
    assert app["next_action"] == "confirm" and "承诺书" in app["next_step"]
    assert app["review_point_name"] == "广州市人事考试审核点" and app["needs_proofs"] is False
    assert not reg.emitted("registration.application.submitted")  # not submitted before confirm

    early = post(reg, f"/applications/{app['id']}/confirm")
    assert early.status_code == 409 and early.json["error"]["code"] == "letter_not_signed"
    signed = post(reg, f"/applications/{app['id']}/commitment-letter", {"agreed": True})
    assert signed.status_code == 200 and signed.json["letter_signed_at"]

    form = reg.client.get(f"{API}/applications/{app['id']}/form.pdf", headers=reg.headers())
    assert form.status_code == 200 and form.data.startswith(b"%PDF")

    confirmed = post(reg, f"/applications/{app['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.json
    app = confirmed.json
    # online review, but commitment mode with a passed education check is approved by the rule
    assert app["state"] == "approved" and app["next_action"] == "pay"
    assert app["warnings"] and "土木工程" in app["warnings"][0]  # not own / related major
    (submitted,) = reg.emitted("registration.application.submitted")
    assert app["review_point"] and submitted["data"]["review_point"] == app["review_point"]  # v2
    (requested,) = reg.emitted("registration.payment.requested")
    assert requested["data"]["amount_fen"] == 10000
    again = post(reg, f"/applications/{app['id']}/confirm")
    assert again.status_code == 409 and again.json["error"]["code"] == "already_confirmed"


def test_declining_commitment_is_final_and_proofs_go_to_online_review(reg, verification, tokens):
    reg.register_candidate()
    reg.verify()
    body = dict(JJ_FORM, commitment_mode=False)
    app = post(reg, "/applications/drafts", body).json
    assert app["state"] == "draft" and app["needs_proofs"] is True
    refused = post(reg, "/sittings/2026-JJ/commitment", {"commit": True})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "commitment_irreversible"
    letter = post(reg, f"/applications/{app['id']}/commitment-letter", {"agreed": True})
    assert letter.status_code == 409 and letter.json["error"]["code"] == "not_commitment_mode"

    no_proof = post(reg, f"/applications/{app['id']}/confirm")
    assert no_proof.status_code == 422 and no_proof.json["error"]["code"] == "proofs_required"
    png = upload(reg, app["id"], PNG, name="fake.pdf")  # the name lies; the content decides
    assert png.status_code == 422 and png.json["error"]["code"] == "proof_type"
    big = upload(reg, app["id"], PDF + b"0" * (10 * 1024 * 1024))
    assert big.status_code == 422 and big.json["error"]["code"] == "proof_too_large"
    ok = upload(reg, app["id"], PDF)
    assert ok.status_code == 201 and ok.json["content_type"] == "application/pdf"
    jpeg = upload(reg, app["id"], JPEG, kind="work_years", name="证明.jpg")
    assert jpeg.status_code == 201 and jpeg.json["content_type"] == "image/jpeg"
    gone = reg.client.delete(f"{API}/applications/{app['id']}/proofs/{jpeg.json['id']}",
                             headers=reg.headers())
    assert gone.status_code == 204
    listed = reg.client.get(f"{API}/applications/{app['id']}/proofs", headers=reg.headers()).json
    assert [p["kind"] for p in listed] == ["education"]

    app = post(reg, f"/applications/{app['id']}/confirm").json
    assert app["state"] == "under_review" and "网上审核" in app["history"][-1]["note"]

    # the reviewer's queue is scoped: Chongqing's reviewer does not see a Guangzhou application
    cq = tokens.headers(sub="rev-cq", roles=("reviewer",), scope={"province": "50"})
    gz = tokens.headers(sub="rev-gz", roles=("reviewer",), scope={"province": "44",
                                                                  "review_point": "44010001"})
    assert reg.client.get(f"{API}/reviews", headers=cq).json == []
    queue = reg.client.get(f"{API}/reviews", headers=gz).json
    assert [q["id"] for q in queue] == [app["id"]]
    page = reg.client.get("/ops/registration/reviews", headers=gz).get_data(as_text=True)
    assert "仅显示您负责的范围：省份 广东省；审核点 44010001" in page
    hidden = reg.client.post(f"{API}/applications/{app['id']}/decision", headers=cq,
                             json={"outcome": "approve"})
    assert hidden.status_code == 404
    no_reason = reg.client.post(f"{API}/applications/{app['id']}/decision", headers=gz,
                                json={"outcome": "return"})
    assert no_reason.status_code == 422 and no_reason.json["error"]["code"] == "reason_required"
    returned = reg.client.post(f"{API}/applications/{app['id']}/decision", headers=gz,
                               json={"outcome": "return", "reason": "工作年限证明缺少单位盖章"})
    assert returned.status_code == 200 and returned.json["state"] == "returned"
    assert returned.json["next_action"] == "modify" and "盖章" in returned.json["next_step"]

    # modify and resubmit: back to draft, upload the stamped proof, confirm again
    form = {k: v for k, v in body.items() if k not in ("sitting_id", "province", "notice_accepted")}
    modified = reg.client.put(f"{API}/applications/{app['id']}", json=dict(form, city="440300",
                                                                           review_point=None),
                              headers=reg.headers())
    assert modified.status_code == 200, modified.json
    assert modified.json["state"] == "draft" and modified.json["city_name"] == "深圳市"
    assert modified.json["application_number"] == app["application_number"]
    upload(reg, app["id"], JPEG, kind="work_years", name="盖章证明.jpg")
    app = post(reg, f"/applications/{app['id']}/confirm").json
    assert app["state"] == "under_review"
    admin = reg.admin()
    approved = reg.client.post(f"{API}/applications/{app['id']}/decision", headers=admin,
                               json={"outcome": "approve"})
    assert approved.status_code == 200 and approved.json["state"] == "approved"
    modes = [e["data"]["mode"] for e in reg.emitted("registration.application.reviewed")]
    assert modes == ["online", "online"]

    reg.pay(dict(approved.json, candidate_id=DEMO_ID))
    paid = reg.get(app["id"])
    assert paid["state"] == "paid" and paid["admit_card"] is None  # seats are drawn later
    assert "随机编排" in paid["history"][-1]["note"]
    edit = reg.client.put(f"{API}/applications/{app['id']}", json=form, headers=reg.headers())
    assert edit.status_code == 409 and edit.json["error"]["code"] == "edit_after_payment"
    assert "缴费后" in edit.json["error"]["message"]


def test_integrity_list_and_unreachable_verification(reg, verification):
    listed = post(reg, "/sittings/2026-JJ/commitment", {"commit": True}, sub="cand-listed")
    assert listed.status_code == 422 and listed.json["error"]["code"] == "integrity_listed"
    draft = post(reg, "/applications/drafts", JJ_FORM, sub="cand-listed")
    assert draft.status_code == 422  # the draft cannot sneak commitment mode in either
    verification.down = True
    down = post(reg, "/sittings/2026-JJ/commitment", {"commit": True})
    assert down.status_code == 503 and down.json["error"]["code"] == "integrity_unavailable"
    assert post(reg, "/sittings/2026-JJ/commitment", {"commit": False}).status_code == 200
    # without commitment mode nothing waits for verification, and confirm still works (warning)
    app = post(reg, "/applications/drafts", dict(JJ_FORM, commitment_mode=False)).json
    upload(reg, app["id"], PDF)
    reg.register_candidate()
    confirmed = post(reg, f"/applications/{app['id']}/confirm")
    assert confirmed.status_code == 200 and "暂时无法判断" in confirmed.json["warnings"][0]


def test_commitment_not_offered_and_quick_exam_drafts(reg, verification):
    reg.register_candidate(level="本科")
    reg.verify()
    tj = {"sitting_id": "2026-TJ", "province": "50", "city": "500103", "review_point": "50010301",
          "level": "02", "specialty": "01", "subjects": ["TJ201", "TJ202"],
          "commitment_mode": True, "notice_accepted": True}
    refused = post(reg, "/applications/drafts", tj)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "commitment_not_offered"
    notice = post(reg, "/applications/drafts", dict(tj, commitment_mode=False, notice_accepted=False))
    assert notice.status_code == 422 and notice.json["error"]["code"] == "notice_not_accepted"
    point = post(reg, "/applications/drafts", dict(tj, commitment_mode=False, review_point="44010001"))
    assert point.status_code == 422 and point.json["error"]["code"] == "review_point_unknown"
    a = post(reg, "/applications/drafts", dict(tj, commitment_mode=False), **{"Idempotency-Key": "d1"})
    b = post(reg, "/applications/drafts", dict(tj, commitment_mode=False), **{"Idempotency-Key": "d1"})
    assert a.status_code == b.status_code == 201 and a.json["id"] == b.json["id"]
    twice = post(reg, "/applications/drafts", dict(tj, commitment_mode=False))
    assert twice.status_code == 409 and twice.json["error"]["code"] == "application_exists"
    app = post(reg, f"/applications/{a.json['id']}/confirm").json  # automatic: no proofs needed
    assert app["state"] == "approved"
    withdrawn = post(reg, f"/applications/{app['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json["state"] == "withdrawn"


def test_exempt_subjects_need_a_basis_and_a_proof(reg, verification):
    reg.register_candidate()
    reg.verify()
    body = dict(JJ_FORM, subjects=["JJ202"], exempt_subjects=[{"code": "JJ202", "basis": "x"}])
    assert post(reg, "/applications/drafts", body).json["error"]["code"] == "exemption_unknown"
    body = dict(body, exempt_subjects=[{"code": "JJ201", "basis": "已取得高级经济师资格"}])
    app = post(reg, "/applications/drafts", body)
    assert app.status_code == 201, app.json
    app = app.json
    assert app["amount_fen"] == 5000 and app["exempt_subjects"][0]["name"] == "经济基础知识（中级）"
    assert app["needs_proofs"] is True  # even in commitment mode an exemption needs its proof
    post(reg, f"/applications/{app['id']}/commitment-letter", {"agreed": True})
    assert post(reg, f"/applications/{app['id']}/confirm").json["error"]["code"] == "proofs_required"


def test_drafts_respect_the_application_window(reg, verification):
    with reg.rt.engine.begin() as conn:
        conn.execute(orm.windows.update().where(orm.windows.c.kind == "application").values(
            ends_at=datetime.now(UTC) - timedelta(days=1)))
    r = post(reg, "/applications/drafts", dict(JJ_FORM, commitment_mode=False))
    assert r.status_code == 422 and r.json["error"]["code"] == "window_closed"
    assert "北京时间" in r.json["error"]["message"]


def test_confirmation_waits_for_the_photo_identity_locked(reg, verification):
    """Seed 000: the photo must pass review first; registration projects identity's events."""
    reg.deliver("identity.photo.uploaded", {
        "candidate_id": "cand-nophoto", "photo_id": "p1", "status": "current", "sha256": "1" * 64,
        "size": 12000, "uploaded_at": datetime.now(UTC).isoformat()})
    app = post(reg, "/applications/drafts", dict(JJ_FORM, commitment_mode=False),
               sub="cand-nophoto").json
    assert upload(reg, app["id"], PDF, sub="cand-nophoto").status_code == 201
    r = post(reg, f"/applications/{app['id']}/confirm", sub="cand-nophoto")
    assert r.status_code == 422 and r.json["error"]["code"] == "photo_not_approved"
    assert "照片" in r.json["error"]["message"]
    locked = reg.lock_photo("cand-nophoto", photo_id="p1")
    reg.deliver("identity.photo.locked", {  # a stale lock of an older photo changes nothing
        "candidate_id": "cand-nophoto", "photo_id": "p0", "sha256": "2" * 64, "locked_by": "x",
        "locked_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()})
    assert locked
    r = post(reg, f"/applications/{app['id']}/confirm", sub="cand-nophoto")
    assert r.status_code == 200 and r.json["state"] != "draft", r.json


def test_on_site_review_needs_a_review_point_and_its_reviewer(reg, verification, tokens):
    admin = reg.admin()
    r = reg.client.put(f"{API}/exams/JJ/settings", headers=admin, json={"review_mode": "on_site"})
    assert r.status_code == 200 and r.json["review_mode"] == "on_site"
    body = dict(JJ_FORM, commitment_mode=False)
    missing = post(reg, "/applications/drafts", dict(body, review_point=None))
    assert missing.status_code == 422 and missing.json["error"]["code"] == "review_point_required"
    app = post(reg, "/applications/drafts", body).json
    upload(reg, app["id"], PDF)
    app = post(reg, f"/applications/{app['id']}/confirm").json
    assert app["state"] == "under_review" and "审核点现场审核" in app["next_step"] + \
        app["history"][-1]["note"]
    other_point = tokens.headers(sub="r1", roles=("reviewer",),
                                 scope={"province": "44", "review_point": "44030001"})
    here = tokens.headers(sub="r2", roles=("reviewer",),
                          scope={"province": "44", "review_point": "44010001"})
    assert reg.client.get(f"{API}/reviews", headers=other_point).json == []
    assert reg.client.post(f"{API}/applications/{app['id']}/decision", headers=other_point,
                           json={"outcome": "approve"}).status_code == 404
    ok = reg.client.post(f"{API}/applications/{app['id']}/decision", headers=here,
                         json={"outcome": "approve"})
    assert ok.status_code == 200 and ok.json["state"] == "approved"
    (reviewed,) = reg.emitted("registration.application.reviewed")
    assert reviewed["data"]["mode"] == "on_site"


def test_the_demo_construction_exam_runs_the_full_configuration_out_of_the_box(reg, verification):
    detail = reg.client.get(f"{API}/sittings/2026-JZ", headers=reg.headers()).json
    assert detail["exam_name"] == "二级建造师执业资格考试"
    assert detail["settings"] == {"review_mode": "online", "commitment_offered": True,
                                  "admit_card_mode": "allocation", "rolling_years": 2,
                                  "notice_days": 7, "post_exam_check": True}
    assert [s["exemptable"] for s in detail["levels"][0]["subjects"]] == [True, True, False]
    reg.register_candidate()
    reg.verify()
    form = {"sitting_id": "2026-JZ", "province": "50", "city": "500103",
            "review_point": "50010301", "level": "01", "specialty": "01",
            "subjects": ["JZ101", "JZ102", "JZ103"], "commitment_mode": True,
            "notice_accepted": True}
    app = post(reg, "/applications/drafts", form).json
    assert app["application_number"] == "202650JZ000001" and app["amount_fen"] == 15000
    post(reg, f"/applications/{app['id']}/commitment-letter", {"agreed": True})
    app = post(reg, f"/applications/{app['id']}/confirm").json
    assert app["state"] == "approved"
    reg.pay(app)
    app = reg.get(app["id"])
    assert app["state"] == "paid" and app["next_action"] == "wait_admit_card"

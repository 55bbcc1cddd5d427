"""The manual-review queue through the API: scope, claim, decide, dispute with a proof, deadlines."""
from __future__ import annotations

from datetime import timedelta

from tests.service.verification.conftest import OLD, WANG, pdf_bytes


def manual_item(svc, rv, candidate_id="cand-1"):
    svc.deliver(svc.registered(candidate_id, name="钱进", education=OLD))
    [item] = [i for i in rv.queue() if i["candidate_id"] == candidate_id]
    return item


def test_a_manual_check_opens_an_item_in_the_candidates_province(svc, rv):
    item = manual_item(svc, rv)
    assert item["cause"] == "manual_check" and item["status"] == "waiting"
    assert item["province"] == "50" and item["province_source"] == "document"
    assert item["deadline"] and not item["overdue"]
    assert item["summary"] == "2002 年以前的学历需人工核验"
    # another province's reviewer neither lists nor opens it
    other = rv.reviewer("rev44", scope={"province": "44"})
    assert rv.queue(headers=other) == []
    resp = svc.client.get(f"/api/verification/review/items/{item['id']}", headers=other)
    assert resp.status_code == 404
    # admins see every queue
    assert len(rv.queue(headers=rv.reviewer("adm", scope={}, roles=("exam_admin",)))) == 1
    [check] = svc.my_checks(kind="education")
    assert check["status"] == "manual_check" and check["review_status"] == "waiting"
    assert check["review_status_label"] == "待审核" and check["can_upload_proof"]


def test_a_second_claim_of_a_claimed_item_is_refused(svc, rv):
    item = manual_item(svc, rv)
    assert rv.post(item["id"], "claim").status_code == 200
    assert rv.post(item["id"], "claim").status_code == 200  # same reviewer: idempotent
    resp = rv.post(item["id"], "claim", rv.reviewer("rev2"))
    assert resp.status_code == 409
    err = resp.get_json()["error"]
    assert err["code"] == "already_claimed" and err["current"]["claimed_by"] == "rev1"
    resp = rv.decide(item["id"], "passed", "proof_consistent", headers=rv.reviewer("rev2"))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "claimed_by_other"


def test_reviewer_rejects_with_a_reason_then_the_candidates_proof_leads_to_a_pass(svc, rv):
    item = manual_item(svc, rv)
    rv.post(item["id"], "claim")
    detail = svc.client.get(f"/api/verification/review/items/{item['id']}",
                            headers=rv.reviewer()).get_json()
    assert detail["candidate"]["name"] == "钱进"
    assert detail["candidate"]["document_number_masked"] == "5001**********123X"
    assert detail["check"]["claim"]["school"] == "重庆建筑大学"
    resp = rv.decide(item["id"], "failed", "proof_unreadable", "未见毕业证书")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "decided" and body["outcome"] == "failed"
    assert body["reason"] == "证明材料模糊或不完整，无法核实。未见毕业证书"
    # filed straight into the candidate's queue (the context is written before the item)
    assert [t["action"] for t in body["trail"]] == ["opened", "claimed", "decided"]
    # the verdict is announced as the education check's final outcome
    first = svc.emitted()[-1]
    assert first["outcome"] == "failed" and first["reason"] == body["reason"]
    [check] = svc.my_checks(kind="education")
    assert check["status"] == "failed" and check["decision"] == "failed"
    assert check["decision_reason"] == body["reason"] and check["can_upload_proof"]
    # deciding again: 409 with the item as it stands
    again = rv.decide(item["id"], "passed", "proof_consistent")
    assert again.status_code == 409
    err = again.get_json()["error"]
    assert err["code"] == "already_decided" and err["current"]["outcome"] == "failed"

    # the candidate disputes with a proof: a new item, a second decision that passes
    up = rv.upload(pdf_bytes(), "毕业证书.pdf")
    assert up.status_code == 201, up.get_json()
    proof = up.get_json()
    assert proof["content_type"] == "application/pdf" and proof["item_status"] == "waiting"
    [dispute] = [i for i in rv.queue() if i["cause"] == "dispute"]
    assert dispute["id"] != item["id"]
    rv.post(dispute["id"], "claim", rv.reviewer("rev2"))
    seen = svc.client.get(f"/api/verification/review/proofs/{proof['id']}",
                          headers=rv.reviewer("rev2"))
    assert seen.status_code == 200 and seen.data.startswith(b"%PDF-")
    assert seen.headers["Content-Type"] == "application/pdf"
    assert "sandbox" in seen.headers["Content-Security-Policy"]
    resp = rv.decide(dispute["id"], "passed", "proof_consistent", headers=rv.reviewer("rev2"))
    assert resp.status_code == 200, resp.get_json()
    events = svc.emitted()
    assert [e["outcome"] for e in events] == ["manual_check", "failed", "passed"]
    assert events[-1]["reason"] == "证明材料与填写的学历信息一致，核验通过"
    assert events[-1]["education_level"] == "本科" and events[-1]["major"] == "工业与民用建筑"
    [check] = svc.my_checks(kind="education")
    assert check["status"] == "passed" and check["decision"] == "passed"
    assert check["decision_reason"].startswith("证明材料与填写的学历信息一致")
    assert not check["can_upload_proof"] and check["proofs"] == 1


def test_reason_template_must_fit_the_decision(svc, rv):
    item = manual_item(svc, rv)
    rv.post(item["id"], "claim")
    resp = rv.decide(item["id"], "passed", "not_genuine")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "reason_template_invalid"
    resp = rv.decide(item["id"], "maybe", "not_genuine")
    assert resp.status_code == 422 and "outcome" in resp.get_json()["error"]["fields"]
    assert rv.decide(manual_item(svc, rv, "cand-9")["id"], "passed",
                     "proof_consistent").status_code == 409  # not claimed


def test_more_proof_requested_then_uploaded_puts_the_item_back(svc, rv):
    item = manual_item(svc, rv)
    rv.post(item["id"], "claim")
    resp = rv.post(item["id"], "proof-request", json={"reason_code": "need_certificate",
                                                      "note": "请上传正反面"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "proof_requested"
    [check] = svc.my_checks(kind="education")
    assert check["proof_requested"] and check["proof_request_reason"] == (
        "请上传毕业证书扫描件（PDF 或 JPEG）。请上传正反面")
    assert rv.post(item["id"], "claim", rv.reviewer("rev2")).status_code == 409
    assert rv.queue() == []
    from tests.service.verification.conftest import jpeg_bytes
    assert rv.upload(jpeg_bytes(), "scan.jpeg").status_code == 201
    [back] = rv.queue()
    assert back["id"] == item["id"] and back["status"] == "waiting" and back["deadline"]
    assert svc.my_checks(kind="education")[0]["proof_requested"] is False


def test_a_rejection_needs_a_second_reviewer_when_configured(make_settings, bus, tokens,
                                                            restore_clock):
    from services.verification.bootstrap import bootstrap
    from services.verification.web import create_app
    from tests.service.verification.conftest import UNREACHABLE, Reviewing, Verification
    rt = bootstrap(make_settings("verification", extra={"registry_latency_ms": 0,
                                                        "review_second_reviewer": "1",
                                                        "identity_url": UNREACHABLE}),
                   transport=bus)
    svc = Verification(rt, create_app(rt, verifier=tokens.verifier).test_client(), tokens)
    rv = Reviewing(svc)
    item = manual_item(svc, rv)
    rv.post(item["id"], "claim")
    body = rv.decide(item["id"], "failed", "not_genuine").get_json()
    assert body["status"] == "awaiting_second" and body["first_decision"]["by"] == "rev1"
    assert [e["outcome"] for e in svc.emitted()] == ["manual_check"]  # not final yet
    resp = rv.post(item["id"], "claim")
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "second_reviewer_required"
    assert rv.post(item["id"], "claim", rv.reviewer("rev2")).status_code == 200
    body = rv.decide(item["id"], "passed", "archive_confirmed",
                     headers=rv.reviewer("rev2")).get_json()
    assert body["status"] == "decided" and body["outcome"] == "passed"
    assert body["trail"][-1]["action"] == "rejection_overturned"
    assert [e["outcome"] for e in svc.emitted()] == ["manual_check", "passed"]


def test_overdue_items_are_flagged_and_escalated(svc, rv, restore_clock):
    item = manual_item(svc, rv)
    _every, job = svc.rt.jobs["escalate_overdue_reviews"]
    assert job(svc.rt) == {"escalated": 0}
    restore_clock(timedelta(days=12))  # past 2 working days whatever the calendar says
    assert job(svc.rt) == {"escalated": 1}
    assert job(svc.rt) == {"escalated": 0}  # once
    [flagged] = rv.queue("overdue")
    assert flagged["id"] == item["id"] and flagged["overdue"] and flagged["escalated_at"]
    detail = svc.client.get(f"/api/verification/review/items/{item['id']}",
                            headers=rv.reviewer()).get_json()
    assert detail["trail"][-1]["action"] == "escalated"
    counts = svc.client.get("/api/verification/review/counts", headers=rv.reviewer()).get_json()
    assert counts["overdue"] == 1 and counts["waiting"] == 1
    [event] = svc.emitted("verification.review.escalated")  # once, through the outbox
    assert event["item_id"] == item["id"] and event["province"] == "50"
    assert event["status"] == "waiting" and event["claimed_by"] is None


def submitted(svc, province: str, version: int = 1, **extra) -> None:
    """registration's ``application.submitted`` for cand-1, through verification's consumer."""
    import uuid

    from services.common import clock
    from services.common.events import new_event, validate_data
    data = validate_data("registration.application.submitted", {
        "application_id": str(uuid.uuid4()), "application_number": f"2026{province}0001",
        "candidate_id": "cand-1", "sitting_id": "2026-JJ", "exam_code": "JJ", "province": province,
        "level": "02", "specialty": "01", "subjects": ["JJ201"],
        "submitted_at": clock.now().isoformat(), **extra}, version=version)
    event = new_event(source="/baokao/registration", type="registration.application.submitted",
                      data=data, subject="cand-1", version=version, correlationid="c",
                      causationid=None)
    [sub] = [s for s in svc.rt.subscriptions() if s.handler == "candidate_context"]
    sub.callback(event.to_json().encode())


def test_an_application_files_the_item_under_its_province(svc, rv):
    item = manual_item(svc, rv)
    submitted(svc, "44")
    assert rv.queue() == []
    [moved] = rv.queue(headers=rv.reviewer("rev44", scope={"province": "44"}))
    assert moved["id"] == item["id"] and moved["province_source"] == "application"


def test_an_applications_review_point_files_the_item_in_that_points_queue(svc, rv):
    """registration.application.submitted v2 carries the review point the candidate chose."""
    item = manual_item(svc, rv)
    submitted(svc, "50", version=2, review_point="50010301")
    mine = rv.reviewer("rev-p1", scope={"province": "50", "review_point": "50010301"})
    other = rv.reviewer("rev-p2", scope={"province": "50", "review_point": "50010302"})
    assert [i["id"] for i in rv.queue(headers=mine)] == [item["id"]]
    assert rv.queue(headers=other) == []  # another point of the province does not see it


def test_a_changed_claim_cancels_the_open_item(svc, rv):
    item = manual_item(svc, rv)
    rv.post(item["id"], "claim")
    svc.deliver(svc.profile_changed(education=WANG, changed=("education", "name"), name="王小明"))
    resp = rv.decide(item["id"], "passed", "proof_consistent")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "item_cancelled"
    assert svc.my_checks(kind="education")[0]["status"] == "passed"
    assert svc.my_checks(kind="education")[0]["review_status"] is None


def test_reviewers_only(svc, rv):
    item = manual_item(svc, rv)
    cand = svc.tokens.headers(sub="cand-1")
    assert svc.client.get("/api/verification/review/items", headers=cand).status_code == 403
    assert rv.post(item["id"], "claim", cand).status_code == 403
    auditor = rv.reviewer("aud", scope={}, roles=("auditor",))
    assert len(rv.queue(headers=auditor)) == 1
    assert rv.post(item["id"], "claim", auditor).status_code == 403
    templates = svc.client.get("/api/verification/review/templates", headers=auditor).get_json()
    assert {t["outcome"] for t in templates} == {"passed", "failed", "proof"}


def test_an_on_site_check_has_an_appointment_and_its_outcome_is_recorded_there(svc, rv):
    item = manual_item(svc, rv)
    rv.post(item["id"], "claim")
    slot = {"review_point": "50010301", "place": "渝中区人事考试中心（审核点一）",
            "starts_at": "2030-03-05T09:00:00", "ends_at": "2030-03-05T11:00:00"}
    resp = rv.post(item["id"], "on-site", json=slot)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "on_site_scheduled" and body["review_point"] == "50010301"
    assert body["appointment"]["starts_at"] == "2030-03-05T09:00:00+08:00"
    assert body["deadline"].startswith("2030-03-06T16:00:00")  # 24:00 Beijing, next working day
    event = svc.emitted()[-1]
    assert event["outcome"] == "on_site_check" and "2030年03月05日 09:00—11:00" in event["reason"]
    [check] = svc.my_checks(kind="education")
    assert check["status"] == "on_site_check" and check["appointment"]["place"].startswith("渝中区")
    assert rv.queue("on_site")[0]["id"] == item["id"]
    # on the day, a reviewer of that review point records the outcome on the item
    point = rv.reviewer("rev-point", scope={"province": "50", "review_point": "50010301"})
    assert rv.post(item["id"], "claim", point).status_code == 200
    resp = rv.decide(item["id"], "passed", "onsite_confirmed", headers=point)
    assert resp.status_code == 200 and svc.emitted()[-1]["outcome"] == "passed"
    assert [t["action"] for t in resp.get_json()["trail"]][-3:] == [
        "on_site_scheduled", "claimed", "decided"]
    past = {**slot, "starts_at": "2020-01-01T09:00:00", "ends_at": "2020-01-01T10:00:00"}
    other = manual_item(svc, rv, "cand-7")
    rv.post(other["id"], "claim")
    assert rv.post(other["id"], "on-site", json=past).get_json()["error"]["code"] == "slot_in_past"


def test_an_on_site_slot_takes_only_as_many_candidates_as_its_capacity(svc, rv):
    slot = {"review_point": "50010301", "place": "渝中区人事考试中心（审核点一）",
            "starts_at": "2030-03-05T09:00:00", "ends_at": "2030-03-05T11:00:00"}
    later = {**slot, "starts_at": "2030-03-05T14:00:00", "ends_at": "2030-03-05T16:00:00"}
    items = [manual_item(svc, rv, f"cand-{n}") for n in range(3)]
    for item in items:
        rv.post(item["id"], "claim")
    assert rv.post(items[0]["id"], "on-site", json=slot).status_code == 200
    assert rv.post(items[1]["id"], "on-site", json=slot).status_code == 200
    full = rv.post(items[2]["id"], "on-site", json=slot)  # capacity 2 in these tests
    assert full.status_code == 409
    err = full.get_json()["error"]
    assert err["code"] == "slot_full" and "已约满（2/2）" in err["message"]
    assert rv.queue("on_site") and len(rv.queue("on_site")) == 2  # nothing half-written
    # moving one appointment to the afternoon frees its morning seat
    assert rv.post(items[1]["id"], "claim").status_code == 200
    assert rv.post(items[1]["id"], "on-site", json=later).status_code == 200
    assert rv.post(items[2]["id"], "on-site", json=slot).status_code == 200
    seats = svc.client.get("/api/verification/review/on-site/slots?review_point=50010301",
                           headers=rv.reviewer()).get_json()
    assert [(s["starts_at"][11:16], s["booked"], s["free"]) for s in seats] == [
        ("01:00", 2, 0), ("06:00", 1, 1)]  # UTC: 09:00 and 14:00 Beijing time

"""The review dashboard: the queue with its figures, and a reviewer deciding through forms."""
from __future__ import annotations

from tests.service.verification.conftest import OLD, jpeg_bytes


def test_queue_page_shows_counts_chart_and_registry_health(svc, rv):
    svc.deliver(svc.registered())  # one online lookup: registry health has a call
    svc.deliver(svc.registered("cand-2", name="钱进", education=OLD))
    _every, job = svc.rt.jobs["record_registry_calls"]
    assert job(svc.rt) == {"recorded": 1}
    page = svc.client.get("/ops/verification/review", headers=rv.reviewer())
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "人工核验队列" in html and "待审核 <strong>1</strong>" in html
    assert "<svg" in html and "<script" not in html
    assert "核验接口状况" in html and "<tr><td>学信网</td><td>1</td><td>0" in html
    assert "cand-2" in html
    other = svc.client.get("/ops/verification/review", headers=rv.reviewer(
        "r44", scope={"province": "44"})).get_data(as_text=True)
    assert "cand-2" not in other
    assert svc.client.get("/ops/verification/review",
                          headers=svc.tokens.headers()).status_code == 403


def test_reviewer_claims_and_rejects_with_a_reason_through_the_forms(svc, rv):
    svc.deliver(svc.registered(name="钱进", education=OLD))
    assert rv.upload(jpeg_bytes(), "证书.jpg").status_code == 201
    [item] = rv.queue()
    url = f"/ops/verification/review/{item['id']}"
    page = svc.client.get(url, headers=rv.reviewer()).get_data(as_text=True)
    assert "钱进" in page and "证书.jpg" in page and "领取" in page
    resp = svc.client.post(url + "/claim", data={"csrf_token": "t"}, headers=rv.reviewer())
    assert resp.status_code == 302
    taken = svc.client.post(url + "/claim", data={"csrf_token": "t"},
                            headers=rv.reviewer("rev2"))
    assert taken.status_code == 409 and "已由 rev1 领取" in taken.get_data(as_text=True)
    [proof] = svc.client.get(f"/api/verification/review/items/{item['id']}",
                             headers=rv.reviewer()).get_json()["proofs"]
    img = svc.client.get(f"{url}/proofs/{proof['id']}", headers=rv.reviewer())
    assert img.status_code == 200 and img.mimetype == "image/jpeg"
    bad = svc.client.post(url + "/decision", headers=rv.reviewer(), data={
        "csrf_token": "t", "outcome": "failed", "reason_code": "proof_consistent", "note": ""})
    assert bad.status_code == 422 and "理由模板" in bad.get_data(as_text=True)
    resp = svc.client.post(url + "/decision", headers=rv.reviewer(), data={
        "csrf_token": "t", "outcome": "failed", "reason_code": "not_genuine", "note": "证书编号不符"})
    assert resp.status_code == 302
    page = svc.client.get(url, headers=rv.reviewer()).get_data(as_text=True)
    assert "经核实，证书信息不真实。证书编号不符" in page and "作出决定" in page
    again = svc.client.post(url + "/decision", headers=rv.reviewer(), data={
        "csrf_token": "t", "outcome": "passed", "reason_code": "proof_consistent"})
    assert again.status_code == 409
    assert svc.my_checks(kind="education")[0]["decision_reason"] == "经核实，证书信息不真实。证书编号不符"
    html = svc.client.get("/ops/verification/review?view=decided",
                          headers=rv.reviewer()).get_data(as_text=True)
    assert "不通过 1" in html and "<rect" in html


def test_reviewer_books_an_on_site_check_through_the_form(svc, rv):
    svc.deliver(svc.registered(name="钱进", education=OLD))
    [item] = rv.queue()
    url = f"/ops/verification/review/{item['id']}"
    svc.client.post(url + "/claim", data={"csrf_token": "t"}, headers=rv.reviewer())
    resp = svc.client.post(url + "/on-site", headers=rv.reviewer(), data={
        "csrf_token": "t", "review_point": "50010301", "place": "渝中区人事考试中心",
        "starts_at": "2030-03-05T09:00", "ends_at": "2030-03-05T11:00"})
    assert resp.status_code == 302
    page = svc.client.get(url, headers=rv.reviewer()).get_data(as_text=True)
    assert "现场核验预约：渝中区人事考试中心" in page and "2030-03-05 09:00—11:00" in page
    assert "每时段最多 2 人" in page and "<td>1/2</td>" in page

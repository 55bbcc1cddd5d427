"""The eligibility dashboard: look-ups, admins editing the table and the integrity records."""
from __future__ import annotations

ADMIN = ("exam_admin",)


def test_lookups_on_the_page(svc):
    h = svc.staff(("reviewer",))
    page = svc.client.get("/ops/verification/eligibility?exam=JZ1&major=计算机软件"
                          "&exam_year=2026&study_mode=全日制&graduation_date=2018-07-01"
                          "&work=2016-03-01..", headers=h).get_data(as_text=True)
    assert "<strong>本专业</strong>" in page and "计算机科学与技术" in page
    assert "<strong>8 年</strong>" in page
    assert "保存为新版本" not in page  # reviewers read only
    bad = svc.client.get("/ops/verification/eligibility?exam_year=1&study_mode=x&work=y",
                         headers=h).get_data(as_text=True)
    assert "工作年限计算：" in bad


def test_an_admin_adds_and_removes_a_major_as_versions(svc):
    h = svc.staff(ADMIN)
    resp = svc.client.post("/ops/verification/eligibility/majors", headers=h, data={
        "csrf_token": "t", "expected_version": "1", "table_index": "0", "current": "测绘工程",
        "relation": "own", "names_1993_1998": "测量工程、工程测量", "names_before_1993": ""})
    assert resp.status_code == 302
    rel = svc.client.get("/api/verification/majors/relation?exam=JZ1&major=测量工程",
                         headers=h).get_json()
    assert rel["relation"] == "own" and rel["table_version"] == 2
    stale = svc.client.post("/ops/verification/eligibility/majors", headers=h, data={
        "csrf_token": "t", "expected_version": "1", "table_index": "0", "current": "测绘工程",
        "action": "remove"})
    assert stale.status_code == 409 and "已被他人更新" in stale.get_data(as_text=True)
    svc.client.post("/ops/verification/eligibility/majors", headers=h, data={
        "csrf_token": "t", "expected_version": "2", "table_index": "0", "current": "测绘工程",
        "action": "remove"})
    rel = svc.client.get("/api/verification/majors/relation?exam=JZ1&major=测量工程",
                         headers=h).get_json()
    assert rel["relation"] == "other" and rel["table_version"] == 3
    assert "删除专业“测绘工程”" in svc.client.get("/ops/verification/eligibility",
                                                headers=h).get_data(as_text=True)


def test_integrity_records_through_the_forms(svc):
    h = svc.staff(ADMIN)
    bad = svc.client.post("/ops/verification/eligibility/integrity", headers=h, data={
        "csrf_token": "t", "candidate_id": "cand-1", "listed_from": "2026-01-01"})
    assert bad.status_code == 422 and "诚信记录" in bad.get_data(as_text=True)
    resp = svc.client.post("/ops/verification/eligibility/integrity", headers=h, data={
        "csrf_token": "t", "candidate_id": "cand-1", "name": "王小明",
        "listed_from": "2026-01-01", "reason": "替考"})
    assert resp.status_code == 302
    [record] = svc.client.get("/api/verification/integrity", headers=h).get_json()
    assert record["listed_until"] is None and record["added_by"] == "ops1"
    resp = svc.client.post(f"/ops/verification/eligibility/integrity/{record['id']}/removal",
                           headers=h, data={"csrf_token": "t", "reason": "处理决定已撤销"})
    assert resp.status_code == 302
    page = svc.client.get("/ops/verification/eligibility", headers=h).get_data(as_text=True)
    assert "已移除（ops1：处理决定已撤销）" in page
    assert svc.client.post("/ops/verification/eligibility/integrity", headers=svc.staff(
        ("reviewer",)), data={"csrf_token": "t"}).status_code == 403

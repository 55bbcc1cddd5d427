"""Eligibility data over HTTP: major relation, the versioned table, work years, integrity."""
from __future__ import annotations

import json

from services.verification.adapters.majors import DATA_FILE


def get(svc, url, headers=None):
    return svc.client.get(url, headers=headers or svc.tokens.headers())


def test_major_relation_across_renames_and_unknown_majors(svc):
    body = get(svc, "/api/verification/majors/relation?exam=JZ1&level=01&major=工业与民用建筑工程"
               ).get_json()
    assert body["relation"] == "own" and body["matched"] == "土木工程"
    assert body["table_version"] == 1 and body["manual_check"] is False
    body = get(svc, "/api/verification/majors/relation?exam=JZ1&major=汉语言文学").get_json()
    assert body["relation"] == "other" and body["relation_label"] == "其他专业"
    assert body["manual_check"] is True
    resp = get(svc, "/api/verification/majors/relation?exam=JZ1")
    assert resp.status_code == 422 and "major" in resp.get_json()["error"]["fields"]
    assert svc.client.get("/api/verification/majors/relation?exam=JZ1&major=x").status_code == 401


def test_admins_edit_the_table_as_new_versions(svc):
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    data["tables"][0]["entries"].append({"current": "测绘工程", "relation": "own",
                                         "names_1993_1998": ["测量工程"],
                                         "names_before_1993": ["工程测量"]})
    admin = svc.tokens.headers(sub="a1", roles=("exam_admin",), username="examadmin")
    resp = svc.client.put("/api/verification/majors/table", headers=admin,
                          json={"data": data, "note": "补录测绘工程", "expected_version": 1})
    assert resp.status_code == 201 and resp.get_json()["table_version"] == 2
    body = get(svc, "/api/verification/majors/relation?exam=JZ2&major=工程测量").get_json()
    assert body["relation"] == "own" and body["table_version"] == 2
    stale = svc.client.put("/api/verification/majors/table", headers=admin,
                           json={"data": data, "expected_version": 1})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "major_table_version_conflict"
    bad = svc.client.put("/api/verification/majors/table", headers=admin,
                         json={"data": {"tables": []}})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "major_table_invalid"
    reviewer = svc.tokens.headers(sub="r", roles=("reviewer",))
    assert svc.client.put("/api/verification/majors/table", headers=reviewer,
                          json={"data": data}).status_code == 403
    versions = get(svc, "/api/verification/majors/table/versions", reviewer).get_json()
    assert [v["version"] for v in versions] == [2, 1] and versions[0]["created_by"] == "examadmin"


def test_work_years_over_http(svc):
    body = get(svc, "/api/verification/work-years?exam_year=2026&study_mode=全日制"
                    "&graduation_date=2018-07-01&work=2016-03-01..").get_json()
    assert body["years"] == 8 and body["cutoff"] == "2026-12-31"
    assert body["counted"] == [{"start": "2018-07-01", "end": "2026-12-31"}]
    body = get(svc, "/api/verification/work-years?exam_year=2026&study_mode=非全日制"
                    "&work=2016-01-01..&off_work_study=2020-01-01..2020-12-31").get_json()
    assert body["years"] == 10
    resp = get(svc, "/api/verification/work-years?exam_year=2026&study_mode=函授&work=x")
    assert resp.status_code == 422
    assert set(resp.get_json()["error"]["fields"]) == {"study_mode", "work"}


def test_integrity_records_added_queried_and_removed(svc):
    admin = svc.tokens.headers(sub="a1", roles=("exam_admin",), username="examadmin")
    resp = svc.client.post("/api/verification/integrity", headers=admin, json={
        "candidate_id": "cand-1", "name": "王小明", "listed_from": "2025-06-01",
        "listed_until": "2027-05-31", "reason": "2025 年考试中使用通讯工具作弊"})
    assert resp.status_code == 201
    record = resp.get_json()
    on = get(svc, "/api/verification/integrity/cand-1?on=2026-11-01").get_json()
    assert on["listed"] is True and on["periods"] == [{"listed_from": "2025-06-01",
                                                       "listed_until": "2027-05-31"}]
    assert get(svc, "/api/verification/integrity/cand-1?on=2027-06-01").get_json()["listed"] is False
    assert get(svc, "/api/verification/integrity/cand-2?on=2026-11-01",
               svc.tokens.headers(sub="cand-1")).status_code == 403
    assert get(svc, "/api/verification/integrity/cand-2", admin).get_json()["listed"] is False
    url = f"/api/verification/integrity/records/{record['id']}/removal"
    resp = svc.client.post(url, headers=admin, json={"reason": "复核撤销处理决定"})
    assert resp.status_code == 200 and resp.get_json()["removed_by"] == "examadmin"
    assert get(svc, "/api/verification/integrity/cand-1?on=2026-11-01").get_json()["listed"] is False
    again = svc.client.post(url, headers=admin, json={"reason": "重复"})
    assert again.status_code == 409
    bad = svc.client.post("/api/verification/integrity", headers=admin, json={
        "candidate_id": "c", "listed_from": "2026-01-01", "listed_until": "2025-01-01",
        "reason": "测试"})
    assert bad.status_code == 422
    assert svc.client.post("/api/verification/integrity", headers=svc.tokens.headers(sub="r",
                           roles=("reviewer",)), json={}).status_code == 403
    from sqlalchemy import select
    log = svc.rt.tables.audit_log
    with svc.rt.engine.connect() as conn:
        actions = conn.execute(select(log.c.action).where(log.c.target == "cand-1")).scalars().all()
    assert actions == ["integrity.added", "integrity.removed"]

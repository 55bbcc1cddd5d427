"""The HTTP API: who may see and do what, and bad input answered with field errors."""
from __future__ import annotations

from tests.service.verification.conftest import WANG

RECORD = {"certificate_number": "106111201905000777", "name": "欧阳娜娜", "level": "本科",
          "school": "重庆大学", "major": "建筑学", "graduation_date": "2019-06-30",
          "study_mode": "全日制"}


def test_me_checks_needs_a_token(svc):
    resp = svc.client.get("/api/verification/me/checks")
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "login_required"


def test_a_candidate_sees_only_their_own_checks(svc):
    svc.deliver(svc.registered("cand-1"))
    svc.deliver(svc.registered("cand-2", name="李华", education={**WANG, "certificate_number": "x1"}))
    assert [c["status"] for c in svc.my_checks("cand-1", kind="education")] == ["passed"]
    assert [c["status"] for c in svc.my_checks("cand-2", kind="education")] == ["failed"]
    assert svc.my_checks("cand-3") == []


def test_candidates_may_not_use_the_registry(svc):
    h = svc.tokens.headers(sub="cand-1", roles=("candidate",))
    assert svc.client.get("/api/verification/registry/education", headers=h).status_code == 403
    resp = svc.client.post("/api/verification/registry/education", headers=h, json=RECORD)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "role_required"
    assert svc.client.get("/api/verification/registry/education").status_code == 401


def test_staff_add_and_list_records(svc):
    for role in ("reviewer", "exam_admin", "platform_admin"):
        listed = svc.client.get("/api/verification/registry/education",
                                headers=svc.staff((role,)))
        assert listed.status_code == 200
    resp = svc.client.post("/api/verification/registry/education",
                           headers=svc.staff(("reviewer",)), json=RECORD)
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["certificate_number"] == RECORD["certificate_number"]
    assert body["source"] == "staff" and body["added_by"] == "ops1" and body["created_at"]
    listed = svc.client.get("/api/verification/registry/education?q=欧阳娜娜",
                            headers=svc.staff()).get_json()
    assert [r["certificate_number"] for r in listed] == [RECORD["certificate_number"]]
    assert svc.client.get("/api/verification/registry/education",
                          headers=svc.staff(("auditor",))).status_code == 403


def test_a_duplicate_number_is_a_conflict(svc):
    resp = svc.client.post("/api/verification/registry/education", headers=svc.staff(),
                           json={**RECORD, "certificate_number": WANG["certificate_number"]})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "registry_record_exists"


def test_bad_input_is_422_with_field_errors(svc):
    bad = {"certificate_number": "12AB", "name": "王<script>", "level": "无",
           "school": "", "graduation_date": "2099-01-01", "study_mode": "函授", "extra": 1}
    resp = svc.client.post("/api/verification/registry/education", headers=svc.staff(),
                           json=bad)
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["fields"]
    assert set(fields) == {"certificate_number", "name", "level", "school", "major",
                           "graduation_date", "study_mode", "extra"}
    assert fields["certificate_number"] == ["学历证书编号应为 18 位数字"]
    assert fields["major"] == ["此项为必填项"]


def test_malformed_bodies_and_queries_are_never_500(svc):
    url = "/api/verification/registry/education"
    for body, ctype in [("not json", "application/json"), ("[1,2]", "application/json"),
                        ('{"graduation_date": 5}', "application/json")]:
        resp = svc.client.post(url, headers=svc.staff(), data=body, content_type=ctype)
        assert resp.status_code in (400, 422), body
    assert svc.client.get(url + "?limit=abc", headers=svc.staff()).status_code == 422
    assert svc.client.get(url + "?limit=0", headers=svc.staff()).status_code == 422


def test_demo_records_are_seeded_once(svc, make_settings, bus):
    from services.verification.bootstrap import bootstrap
    listed = svc.client.get("/api/verification/registry/education", headers=svc.staff()).get_json()
    numbers = {r["certificate_number"]: r for r in listed}
    assert numbers["106111201205000123"]["name"] == "王小明"
    assert numbers["105581201405001357"] == {
        "certificate_number": "105581201405001357", "name": "李华", "level": "本科",
        "school": "中山大学", "major": "工程管理", "graduation_date": "2014-06-30",
        "study_mode": "全日制", "source": "seed", "added_by": None,
        "created_at": numbers["105581201405001357"]["created_at"]}
    assert len(listed) >= 12
    again = bootstrap(make_settings("verification", extra={"registry_latency_ms": 0}),
                      transport=bus)  # the same database: seeding is idempotent
    assert again.services["education_registry"].count() == len(listed)


def test_openapi_lists_the_routes(svc):
    paths = svc.client.get("/api/verification/openapi.json").get_json()["paths"]
    assert {"/api/verification/me/checks", "/api/verification/registry/education"} <= set(paths)

"""The ops dashboard: checks with counts and filters, registry records, the outage switch."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.service.verification.conftest import WANG

FORM = {"certificate_number": "106111202005000888", "name": "陈晨", "level": "大专",
        "school": "重庆电子工程职业学院", "major": "软件技术", "graduation_date": "2020-06-30",
        "study_mode": "全日制", "csrf_token": "t"}


def test_checks_page_lists_filters_and_counts(svc):
    svc.deliver(svc.registered("cand-1"))
    svc.deliver(svc.registered("cand-2", name="李华", education={**WANG, "certificate_number": "9"}))
    page = svc.client.get("/ops/verification/", headers=svc.staff(("auditor",)))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "核验通过 <strong>1</strong>" in html
    assert "核验未通过 <strong>1</strong>" in html and "cand-2" in html
    failed = svc.client.get("/ops/verification/?status=failed",
                            headers=svc.staff(("reviewer",))).get_data(as_text=True)
    assert "cand-2" in failed and "cand-1" not in failed
    assert svc.client.get("/ops/verification/?status=bogus",
                          headers=svc.staff()).status_code == 200


def test_dashboard_refuses_candidates_and_anonymous(svc):
    assert svc.client.get("/ops/verification/").status_code == 401
    cand = svc.tokens.headers(sub="cand-1", roles=("candidate",))
    assert svc.client.get("/ops/verification/registry", headers=cand).status_code == 403
    assert svc.client.post("/ops/verification/registry", data=FORM,
                           headers=cand).status_code == 403
    assert svc.client.post("/ops/verification/registry/outage", data={"outage": "on"},
                           headers=svc.staff(("auditor",))).status_code == 403


def test_registry_page_has_csrf_field_and_adds_records(svc):
    page = svc.client.get("/ops/verification/registry",
                          headers={**svc.staff(), "X-Baokao-CSRF": "tok-123"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "王小明" in html and "李华" in html
    assert 'name="csrf_token" value="tok-123"' in html
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title == "模拟学信网 · 报考 Baokao 管理后台"
    assert html.count("<h2>模拟学位网（学位库）</h2>") == 1  # each registry's section once
    resp = svc.client.post("/ops/verification/registry", data=FORM, headers=svc.staff())
    assert resp.status_code == 302 and "added=106111202005000888" in resp.headers["Location"]
    listed = svc.client.get("/api/verification/registry/education?q=陈晨",
                            headers=svc.staff()).get_json()
    assert listed[0]["level"] == "大专"
    audit = svc.rt.tables.audit_log
    with svc.rt.engine.connect() as conn:
        actions = conn.execute(select(audit.c.action, audit.c.actor)).all()
    assert ("registry.education.added", "ops1") in actions


def test_registry_form_errors_are_shown_not_500(svc):
    resp = svc.client.post("/ops/verification/registry",
                           data={**FORM, "graduation_date": "昨天"}, headers=svc.staff())
    assert resp.status_code == 422
    assert "日期格式应为 YYYY-MM-DD" in resp.get_data(as_text=True)
    dup = svc.client.post("/ops/verification/registry",
                          data={**FORM, "certificate_number": WANG["certificate_number"]},
                          headers=svc.staff())
    assert dup.status_code == 409 and "已有该学历证书编号" in dup.get_data(as_text=True)


def test_auditors_see_the_registry_without_forms(svc):
    html = svc.client.get("/ops/verification/registry",
                          headers=svc.staff(("auditor",))).get_data(as_text=True)
    assert "王小明" in html and "添加学历记录" not in html and "模拟服务中断" not in html


def test_outage_switch_is_shown_and_audited(svc):
    svc.set_outage(True)
    html = svc.client.get("/ops/verification/registry", headers=svc.staff()).get_data(
        as_text=True)
    assert "中断" in html and "恢复服务" in html
    svc.deliver(svc.registered())
    index = svc.client.get("/ops/verification/", headers=svc.staff()).get_data(as_text=True)
    # education waits for CHSI, identity for the identity service (not running in this test)
    assert "核验中 <strong>2</strong>" in index and "处于“中断”状态" in index
    svc.set_outage(False)
    audit = svc.rt.tables.audit_log
    with svc.rt.engine.connect() as conn:
        actions = conn.execute(select(audit.c.action)).scalars().all()
    assert actions == ["registry.outage.on", "registry.outage.off"]

"""The registration dashboard: funnel, backlog, seats, review queue, catalog editing, score
charts and import reports, score reviews and the after-exam pages (forms, roles, no scripts)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from services.registration.adapters import orm
from services.registration.adapters.verification import StaticVerification
from tests.service.registration.test_after_exam import card, draw, import_and_publish, to_admit_card

OPS = "/ops/registration"


@pytest.fixture(autouse=True)
def _full_configuration(full_jj):
    """These tests use 经济 configured like the demo's 二级建造师 (see conftest.FULL)."""


def page(reg, path, headers) -> str:
    r = reg.client.get(OPS + path, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    html = r.get_data(as_text=True)
    assert "<script" not in html and "style=" not in html  # CSP: script-src/style-src 'self'
    return html


def test_index_shows_funnel_backlog_and_seats(reg):
    reg.register_candidate()
    reg.verify()
    reg.apply()
    reg.apply({"sitting_id": "2026-JJ", "province": "44", "city": "440100", "level": "01",
               "specialty": "01", "subjects": ["JJ101"]}, sub="c2")
    html = page(reg, "/", reg.admin())
    assert "报名漏斗" in html and "<svg" in html and "待审核积压" in html and "考位使用" in html
    assert "考试机构网上审核" in html  # the JJ application waits for a reviewer
    assert "2026-TJ · 重庆市" in html


def test_review_queue_page_is_scoped_and_decides(reg, tokens):
    app = reg.apply({"sitting_id": "2026-JJ", "province": "44", "city": "440100", "level": "01",
                     "specialty": "01", "subjects": ["JJ101"]}, sub="c2").json
    cq = tokens.headers(sub="r1", roles=("reviewer",), scope={"province": "50"})
    gd = tokens.headers(sub="r2", roles=("reviewer",), scope={"province": "44"})
    assert app["application_number"] not in page(reg, "/reviews", cq)
    assert app["application_number"] in page(reg, "/reviews", gd)
    empty = reg.client.post(f"{OPS}/reviews/{app['id']}", headers=gd, data={"outcome": "return"})
    assert empty.status_code == 422 and "原因" in empty.get_data(as_text=True)
    r = reg.client.post(f"{OPS}/reviews/{app['id']}", headers=gd,
                        data={"outcome": "return", "reason": "照片不清晰"})
    assert r.status_code == 303
    assert reg.get(app["id"], sub="c2")["review_reason"] == "照片不清晰"
    auditor = tokens.headers(sub="a", roles=("auditor",))
    assert reg.client.post(f"{OPS}/reviews/{app['id']}", headers=auditor,
                           data={"outcome": "approve"}).status_code == 403


def test_catalog_page_edits_windows_fees_settings_and_cancels(reg, tokens):
    admin = reg.admin()
    html = page(reg, "/sittings/2026-TJ/catalog", admin)
    assert "每科报名费" in html and "准考证打印" in html
    r = reg.client.post(f"{OPS}/sittings/2026-TJ/catalog/window", headers=admin, data={
        "province": "50", "kind": "application", "start": "2026-02-28T09:00",
        "end": "2026-03-08T17:00"})
    assert r.status_code == 303
    refused = reg.apply()
    assert refused.status_code == 422 and "2026年02月28日 09:00 至 2026年03月08日 17:00" in \
        refused.json["error"]["message"]
    bad = reg.client.post(f"{OPS}/sittings/2026-TJ/catalog/window", headers=admin, data={
        "province": "50", "kind": "application", "start": "2026-03-08T17:00",
        "end": "2026-02-28T09:00"})
    assert bad.status_code == 422 and "结束时间应晚于开始时间" in bad.get_data(as_text=True)
    fee = reg.client.post(f"{OPS}/sittings/2026-TJ/catalog/fee", headers=admin,
                          data={"province": "44", "fee_yuan": "45.5"})
    assert fee.status_code == 303
    with reg.rt.engine.connect() as conn:
        assert conn.execute(select(orm.sitting_provinces.c.fee_per_subject_fen).where(
            orm.sitting_provinces.c.sitting_id == "2026-TJ",
            orm.sitting_provinces.c.province_code == "44")).scalar() == 4550
    assert reg.client.post(f"{OPS}/sittings/2026-TJ/catalog/fee", headers=admin,
                           data={"province": "44", "fee_yuan": "4.555"}).status_code == 422
    s = reg.client.post(f"{OPS}/sittings/2026-TJ/catalog/settings", headers=admin, data={
        "review_mode": "on_site", "admit_card_mode": "on_payment", "rolling_years": "1",
        "notice_days": "3"})
    assert s.status_code == 303
    detail = reg.client.get("/api/registration/sittings/2026-TJ", headers=reg.headers()).json
    assert detail["settings"]["review_mode"] == "on_site" and detail["settings"]["notice_days"] == 3
    auditor = tokens.headers(sub="a", roles=("auditor",))
    assert "保存报名费" not in page(reg, "/sittings/2026-TJ/catalog", auditor)
    assert reg.client.post(f"{OPS}/sittings/2026-TJ/catalog/fee", headers=auditor,
                           data={"province": "44", "fee_yuan": "1"}).status_code == 403
    c = reg.client.post(f"{OPS}/sittings/2026-TJ/catalog/cancel", headers=admin,
                        data={"reason": "报名人数不足"})
    assert c.status_code == 303
    with reg.rt.engine.connect() as conn:
        assert conn.execute(select(orm.sittings.c.status).where(
            orm.sittings.c.id == "2026-TJ")).scalar() == "cancelled"


def test_scores_page_chart_reports_pass_marks_and_review_answers(reg):
    reg.rt.services["verification"] = StaticVerification()
    app = to_admit_card(reg, "c1")
    draw(reg)
    n = card(reg, app, "c1")
    admin = reg.admin()
    bad = reg.client.post(f"{OPS}/sittings/2026-JJ/scores/import", headers=admin,
                          data={"file": (io.BytesIO(b"admit_card_number,subject_code,score\nX,JJ201,5\n"),
                                         "s.csv")}, content_type="multipart/form-data")
    assert bad.status_code == 422
    pm = reg.client.post(f"{OPS}/sittings/2026-JJ/scores/pass-mark", headers=admin,
                         data={"subject_code": "JJ201", "pass_mark": "72"})
    assert pm.status_code == 303
    import_and_publish(reg, [(n, "JJ201", "71.5"), (n, "JJ202", "88")])
    html = page(reg, "/sittings/2026-JJ/scores", admin)
    assert "各科成绩分布" in html and "<svg" in html and "合格标准 72/100" in html
    assert "未导入：第 2 行" in html and "已导入 2 行" in html  # both import reports kept
    with reg.rt.engine.connect() as conn:  # the report's time as staff read it: Beijing time
        at = conn.execute(select(orm.score_imports.c.at).order_by(
            orm.score_imports.c.at.desc())).scalars().first()
    from services.common.web.ops import beijing
    assert f"<td>{beijing(at, '%Y-%m-%d %H:%M:%S')}</td>" in html
    assert beijing(at) != (at.replace(tzinfo=None)).strftime("%Y-%m-%d %H:%M")
    reg.client.post(f"/api/registration/applications/{app['id']}/score-reviews",
                    headers=reg.headers("c1"), json={"subject_code": "JJ201", "reason": "漏评"})
    (req,) = reg.client.get("/api/registration/score-reviews", headers=admin).json
    assert "漏评" in page(reg, "/sittings/2026-JJ/scores", admin)
    r = reg.client.post(f"{OPS}/sittings/2026-JJ/score-reviews/{req['id']}", headers=admin,
                        data={"outcome": "corrected", "new_score": "73", "answer": "已更正"})
    assert r.status_code == 303
    assert reg.get(app["id"], sub="c1")["qualification"]["stage"] == "public_notice"
    assert "已更正为 73" in page(reg, "/sittings/2026-JJ/scores", admin)


def test_after_exam_page_records_and_decides_objections(reg, tokens):
    reg.rt.services["verification"] = StaticVerification()
    app = to_admit_card(reg, "c1")
    draw(reg)
    n = card(reg, app, "c1")
    import_and_publish(reg, [(n, "JJ201", "90"), (n, "JJ202", "90")])
    admin = reg.admin()
    assert app["application_number"] in page(reg, "/sittings/2026-JJ/after-exam", admin)
    r = reg.client.post(f"{OPS}/sittings/2026-JJ/after-exam/objection", headers=admin,
                        data={"application_id": app["id"], "content": "学历存疑"})
    assert r.status_code == 303
    html = page(reg, "/sittings/2026-JJ/after-exam", admin)
    assert "学历存疑" in html and "待处理" in html
    reviewer = tokens.headers(sub="r", roles=("reviewer",), scope={"province": "44"})
    assert reg.client.post(f"{OPS}/sittings/2026-JJ/after-exam/end",
                           headers=reviewer).status_code == 403
    with reg.rt.engine.connect() as conn:
        oid = conn.execute(select(orm.objections.c.id)).scalar()
    reg.client.post(f"{OPS}/sittings/2026-JJ/after-exam/decide", headers=admin,
                    data={"objection_id": oid, "outcome": "dismissed", "decision": "学历核验无误"})
    reg.client.post(f"{OPS}/sittings/2026-JJ/after-exam/end", headers=admin)
    assert reg.get(app["id"], sub="c1")["qualification"]["stage"] == "qualified"
    assert len(reg.emitted("registration.candidate.qualified")) == 1

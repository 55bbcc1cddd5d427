"""The walking skeleton of the candidate journey, end to end through the API and events."""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.common.runtime import WorkerHandle
from services.registration.adapters import orm
from tests.service.registration.conftest import APPLY, DEMO_ID


def test_catalog_lists_open_sittings_and_their_details(reg):
    r = reg.client.get("/api/registration/exams", headers=reg.headers())
    assert r.status_code == 200
    codes = {s["exam_code"]: s for s in r.json}
    assert set(codes) == {"TJ", "JJ", "JZ"}  # 二级建造师: the full seed-004 configuration
    tj = codes["TJ"]
    assert tj["exam_name"] == "统计专业技术资格考试" and tj["year"] == 2026
    assert {p["name"] for p in tj["provinces"]} == {"重庆市", "广东省"}
    assert tj["provinces"][0]["application_window"]["start"]

    d = reg.client.get("/api/registration/sittings/2026-TJ", headers=reg.headers()).json
    assert [lv["name"] for lv in d["levels"]] == ["统计专业初级", "统计专业中级", "高级统计师"]
    senior = d["levels"][2]
    assert senior["specialties"] == [{"code": "01", "name": "高级统计"}]
    assert senior["subjects"][0]["name"] == "高级统计实务与案例分析"
    assert senior["subjects"][0]["fee_fen"] == 5000
    cq = next(p for p in d["provinces"] if p["code"] == "50")
    assert [c["name"] for c in cq["cities"]] == ["渝中区", "江北区", "沙坪坝区"]
    assert cq["cities"][0]["review_points"][0]["name"] == "渝中区人事考试审核点"
    assert set(cq["windows"]) == {"application", "payment", "admit_card", "scores"}
    exam_date = datetime.fromisoformat(d["exam_date"]).date()
    assert exam_date - datetime.now(UTC).date() in (timedelta(days=60), timedelta(days=61))


def test_demo_seed_is_idempotent(reg, make_settings, bus):
    from services.registration.bootstrap import bootstrap
    again = bootstrap(make_settings("registration"), transport=bus)
    with again.engine.connect() as conn:
        assert len(conn.execute(select(orm.sittings)).all()) == 3
    again.engine.dispose()


def test_whole_skeleton_journey(reg):
    reg.register_candidate()
    r = reg.apply()
    assert r.status_code == 201, r.json
    app = r.json
    assert app["state"] == "under_review" and app["next_action"] == "wait_review"
    assert app["application_number"] == "202650TJ000001"
    assert app["amount_fen"] == 10000 and app["level_name"] == "统计专业中级"
    assert [s["name"] for s in app["subjects"]] == ["统计基础理论及相关知识（中级）", "统计工作实务（中级）"]
    submitted = reg.emitted("registration.application.submitted")
    assert len(submitted) == 1 and submitted[0]["data"]["application_number"] == "202650TJ000001"
    assert not reg.emitted("registration.payment.requested")

    reg.verify()
    app = reg.get(app["id"])
    assert app["state"] == "approved" and app["next_action"] == "pay"
    assert app["state_label"] == "审核通过，待缴费" and "缴费" in app["next_step"]
    reviewed = reg.emitted("registration.application.reviewed")
    assert [e["data"]["outcome"] for e in reviewed] == ["approved"]
    (requested,) = reg.emitted("registration.payment.requested")
    assert requested["data"]["amount_fen"] == 10000
    assert requested["data"]["fee_per_subject_fen"] == 5000 and requested["data"]["subject_count"] == 2
    assert datetime.fromisoformat(requested["data"]["payment_deadline"]) == \
        datetime.fromisoformat(app["payment_deadline"])
    sitting = reg.client.get("/api/registration/sittings/2026-TJ", headers=reg.headers()).json
    cq = next(p for p in sitting["provinces"] if p["code"] == "50")
    assert datetime.fromisoformat(cq["windows"]["payment"]["end"]) == \
        datetime.fromisoformat(app["payment_deadline"])

    reg.pay(app)
    app = reg.get(app["id"])
    assert app["state"] == "admit_card_issued"
    card = app["admit_card"]
    assert card["site"] == "渝中区第一考点" and card["room"] == "第 01 考场" and card["seat"] == 1
    assert card["number"] == "26TJ50010300101"
    assert app["next_action"] == "wait_admit_card"  # printing opens 7 days before the exam
    (issued,) = reg.emitted("registration.admit_card.issued")
    assert issued["data"]["admit_card_number"] == card["number"]

    pdf = reg.client.get(f"/api/registration/applications/{app['id']}/admit-card.pdf",
                         headers=reg.headers())
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    check = reg.client.get(f"/api/registration/admit-cards/{card['number']}")  # public: the QR code
    assert check.status_code == 200 and check.json["holder_name_masked"] == "王*明"
    assert check.json["seat"] == 1 and check.json["valid"] is True
    assert reg.client.get("/api/registration/admit-cards/XX").status_code == 404

    csv = f"admit_card_number,subject_code,score\n{card['number']},TJ201,72.5\n{card['number']},TJ202,60\n"
    r = reg.client.post("/api/registration/sittings/2026-TJ/scores/import", data=csv.encode(),
                        headers={**reg.admin(), "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json == {"rows": 2, "accepted": 2}
    assert reg.get(app["id"])["scores"] is None  # not published yet

    r = reg.client.post("/api/registration/sittings/2026-TJ/scores/publish", headers=reg.admin())
    assert r.status_code == 200 and r.json["published"] == 1 and r.json["qualified"] == 1
    app = reg.get(app["id"])
    assert app["state"] == "scores_published" and app["next_action"] == "view_scores"
    assert app["qualified"] is True
    assert [(s["score"], s["passed"]) for s in app["scores"]] == [("72.5", True), ("60", True)]
    (published,) = reg.emitted("registration.scores.published")
    assert published["data"]["scores"][0]["score"] == "72.5"
    (qualified,) = reg.emitted("registration.candidate.qualified")
    q = qualified["data"]
    assert q["holder_name"] == "王小明" and q["document_number_masked"] == "5001**********2311"
    assert q["issuing_authority"] == "重庆市人事考试中心" and q["sitting_year"] == 2026
    assert q["exam_code"] == "TJ" and q["level"] == "中级" and q["specialty"] == "中级统计"
    assert q["exam_name"] == "统计专业技术资格"  # the certificate reads 统计专业技术资格（中级）

    again = reg.client.post("/api/registration/sittings/2026-TJ/scores/publish", headers=reg.admin())
    assert again.json["published"] == 0
    assert len(reg.emitted("registration.candidate.qualified")) == 1
    assert len(reg.emitted("registration.scores.published")) == 1
    history = [h["state"] for h in app["history"]]
    assert history == ["submitted", "under_review", "approved", "paid", "admit_card_issued",
                       "scores_published"]


def test_events_flow_over_the_bus(reg, bus):
    """Relay and consumers really run: the event published on the bus reaches our handler."""
    handle = WorkerHandle(reg.rt).start()
    try:
        reg.register_candidate()
        reg.verify()
        assert bus.wait_idle(10)
        app = reg.apply().json
        assert app["state"] == "approved"
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while datetime.now(UTC) < deadline and not any(
                m.type == "registration.payment.requested" for m in bus.published):
            bus.wait_idle(0.2)
        assert any(m.type == "registration.payment.requested" for m in bus.published)
    finally:
        handle.stop()


def test_candidate_with_verified_education_is_approved_at_once(reg):
    reg.register_candidate()
    reg.verify()
    app = reg.apply().json
    assert app["state"] == "approved"
    assert len(reg.emitted("registration.payment.requested")) == 1


def test_failed_or_too_low_education_returns_with_a_reason(reg):
    reg.register_candidate(sub="c-fail")
    reg.verify(sub="c-fail", outcome="failed", level=None, reason="学信网未查到该学历证书编号")
    app = reg.apply(sub="c-fail").json
    assert app["state"] == "returned" and app["next_action"] == "modify"  # seed 002: modify, resubmit
    assert "学信网未查到" in app["next_step"]
    reg.register_candidate(sub="c-low", level="中专")
    reg.verify(sub="c-low", level="中专")
    low = reg.apply(sub="c-low").json
    assert low["state"] == "returned" and "大专" in low["review_reason"]
    outcomes = [e["data"]["outcome"] for e in reg.emitted("registration.application.reviewed")]
    assert outcomes == ["returned", "returned"]
    assert not reg.emitted("registration.payment.requested")


def test_stale_verification_is_ignored(reg):
    reg.register_candidate()
    now = datetime.now(UTC)
    reg.verify(outcome="manual_check", level=None, checked_at=now)
    reg.verify(outcome="failed", level=None, checked_at=now - timedelta(minutes=5))  # older
    app = reg.apply().json
    assert app["state"] == "under_review" and "人工核验" in app["history"][-1]["note"]
    reg.verify(outcome="passed", checked_at=now + timedelta(minutes=5))
    assert reg.get(app["id"])["state"] == "approved"


def test_same_idempotency_key_gives_one_application(reg):
    reg.register_candidate()
    a = reg.apply(**{"Idempotency-Key": "k-1"})
    b = reg.apply(**{"Idempotency-Key": "k-1"})
    assert a.status_code == b.status_code == 201
    assert a.json["id"] == b.json["id"]
    mine = reg.client.get("/api/registration/me/applications", headers=reg.headers()).json
    assert len(mine) == 1
    assert len(reg.emitted("registration.application.submitted")) == 1
    other = reg.apply(dict(APPLY, city="500105"), **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"


def test_second_application_for_the_same_sitting_is_refused(reg):
    assert reg.apply().status_code == 201
    r = reg.apply()
    assert r.status_code == 409 and r.json["error"]["code"] == "application_exists"
    other_exam = reg.apply({"sitting_id": "2026-JJ", "province": "44", "city": "440100",
                            "level": "01", "specialty": "02", "subjects": ["JJ101"]})
    assert other_exam.status_code == 201
    assert other_exam.json["application_number"] == "202644JJ000001"


def test_withdraw_before_payment_then_apply_again(reg):
    app = reg.apply().json
    r = reg.client.post(f"/api/registration/applications/{app['id']}/withdraw",
                        headers=reg.headers())
    assert r.status_code == 200 and r.json["state"] == "withdrawn"
    again = reg.apply()
    assert again.status_code == 201 and again.json["application_number"] == "202650TJ000002"


def test_withdraw_after_payment_is_refused(reg):
    reg.register_candidate()
    reg.verify()
    app = reg.apply().json
    reg.pay(app)
    r = reg.client.post(f"/api/registration/applications/{app['id']}/withdraw",
                        headers=reg.headers())
    assert r.status_code == 409 and r.json["error"]["code"] == "withdraw_after_payment"
    assert "缴费" in r.json["error"]["message"]


def test_window_closed_names_the_dates(reg):
    with reg.rt.engine.begin() as conn:
        conn.execute(orm.windows.update().where(orm.windows.c.kind == "application").values(
            starts_at=datetime(2026, 2, 28, 1, 0, tzinfo=UTC),
            ends_at=datetime(2026, 3, 8, 9, 0, tzinfo=UTC)))
    r = reg.apply()
    assert r.status_code == 422
    err = r.json["error"]
    assert err["code"] == "window_closed"
    assert "2026年02月28日 09:00 至 2026年03月08日 17:00" in err["message"]
    assert "已经结束" in err["message"]


def test_redelivered_events_have_one_effect(reg):
    reg.register_candidate()
    vid = reg.verify()
    reg.verify(event_id=vid)
    app = reg.apply().json
    pid = reg.pay(app)
    reg.pay(app, event_id=pid)                 # the same event again
    reg.pay(app, order_number="ORD-1")         # the same order, a new event (notification + query)
    assert len(reg.emitted("registration.admit_card.issued")) == 1
    with reg.rt.engine.connect() as conn:
        assert len(conn.execute(select(orm.admit_cards)).all()) == 1
    assert reg.get(app["id"])["state"] == "admit_card_issued"


def test_refund_of_the_paid_order_frees_the_seat(reg):
    reg.register_candidate()
    reg.verify()
    app = reg.apply().json
    reg.pay(app)
    refund = {"order_number": "ORD-DUP", "application_id": app["id"], "candidate_id": DEMO_ID,
              "amount_fen": 10000, "refund_number": "R-1", "refunded_fen": 10000,
              "reason": "重复缴费原路退回", "refunded_at": datetime.now(UTC).isoformat()}
    reg.deliver("payment.order.refunded", refund)
    assert reg.get(app["id"])["state"] == "admit_card_issued"  # a duplicate order's refund
    reg.deliver("payment.order.refunded", dict(refund, order_number="ORD-1", refund_number="R-2",
                                               reason="考试取消"))
    view = reg.get(app["id"])
    assert view["state"] == "refunded" and view["admit_card"] is None


def test_score_import_refuses_bad_files_row_by_row(reg):
    reg.register_candidate()
    reg.verify()
    app = reg.apply().json
    reg.pay(app)
    number = reg.get(app["id"])["admit_card"]["number"]
    bad = (f"admit_card_number,subject_code,score\n{number},TJ201,101\n{number},TJ202,-3\n"
           f"NOPE,TJ201,50\n{number},TJ101,50\n{number},TJ201,abc\n{number},TJ202,59.55\n")
    r = reg.client.post("/api/registration/sittings/2026-TJ/scores/import", headers=reg.admin(),
                        data={"file": (io.BytesIO(bad.encode()), "scores.csv")},
                        content_type="multipart/form-data")
    assert r.status_code == 422, r.json
    rows = {x["row"]: x["errors"] for x in r.json["error"]["rows"]}
    assert set(rows) == {2, 3, 4, 5, 6, 7}
    assert "满分" in rows[2][0] and "-1" in rows[3][0] and "不属于本次考试" in rows[4][0]
    assert "未报考" in rows[5][0] and "不是数字" in rows[6][0] and "一位小数" in rows[7][0]
    with reg.rt.engine.connect() as conn:
        assert conn.execute(select(orm.scores)).all() == []
    header = reg.client.post("/api/registration/sittings/2026-TJ/scores/import", headers={
        **reg.admin(), "Content-Type": "text/csv"}, data=b"a,b\n")
    assert header.status_code == 422 and header.json["error"]["rows"][0]["row"] == 1
    empty = reg.client.post("/api/registration/sittings/2026-TJ/scores/import", headers=reg.admin())
    assert empty.status_code == 400

    gbk = f"admit_card_number,subject_code,score\n{number},TJ201,-1\n{number},TJ202,80\n"
    ok = reg.client.post("/api/registration/sittings/2026-TJ/scores/import", headers=reg.admin(),
                         data={"file": (io.BytesIO(gbk.encode("gb18030")), "成绩.csv")},
                         content_type="multipart/form-data")
    assert ok.status_code == 200 and ok.json == {"rows": 2, "accepted": 2}
    reg.client.post("/api/registration/sittings/2026-TJ/scores/publish", headers=reg.admin())
    view = reg.get(app["id"])
    assert view["qualified"] is False
    assert view["scores"][0]["status_code"] == -1 and view["scores"][0]["passed"] is False
    assert not reg.emitted("registration.candidate.qualified")
    late = reg.client.post("/api/registration/sittings/2026-TJ/scores/import", headers={
        **reg.admin(), "Content-Type": "text/csv"}, data=gbk.encode())
    assert late.status_code == 422 and "已发布" in late.json["error"]["rows"][0]["errors"][0]


def test_auth_and_ownership(reg):
    assert reg.client.get("/api/registration/exams").status_code == 200  # public catalog
    assert reg.client.get("/api/registration/me/applications").status_code == 401
    assert reg.client.get("/api/registration/sittings/2026-TJ").status_code == 401
    app = reg.apply().json
    assert reg.client.get(f"/api/registration/applications/{app['id']}",
                          headers=reg.headers("someone-else")).status_code == 404
    assert reg.client.get(f"/api/registration/applications/{app['id']}/admit-card.pdf",
                          headers=reg.headers("someone-else")).status_code == 404
    assert reg.client.post(f"/api/registration/applications/{app['id']}/withdraw",
                           headers=reg.headers("someone-else")).status_code == 404
    r = reg.client.get(f"/api/registration/applications/{app['id']}/admit-card.pdf",
                       headers=reg.headers())
    assert r.status_code == 404 and r.json["error"]["code"] == "admit_card_not_issued"
    assert reg.client.post("/api/registration/sittings/2026-TJ/scores/publish",
                           headers=reg.headers()).status_code == 403
    assert reg.client.post("/api/registration/applications", json=APPLY,
                           headers=reg.admin()).status_code == 403
    assert reg.client.get("/api/registration/sittings/nope", headers=reg.headers()).status_code == 404
    assert reg.client.post("/api/registration/sittings/nope/scores/publish",
                           headers=reg.admin()).status_code == 404


def test_bad_input_is_refused_never_500(reg):
    h = reg.headers()
    url = "/api/registration/applications"
    assert reg.client.post(url, data="{not json", headers={**h, "Content-Type": "application/json"}
                           ).status_code == 400
    assert reg.client.post(url, json=[1, 2], headers=h).status_code == 400
    cases = [
        {},
        dict(APPLY, subjects=[]),
        dict(APPLY, subjects="TJ201"),
        dict(APPLY, extra=1),
        dict(APPLY, sitting_id=None),
        dict(APPLY, level="99"),
        dict(APPLY, subjects=["TJ101"]),
        dict(APPLY, subjects=["TJ201", "TJ201"]),
        dict(APPLY, specialty="09"),
        dict(APPLY, city="440100"),
        dict(APPLY, province="11"),
        dict(APPLY, sitting_id="2030-XX"),
    ]
    for body in cases:
        r = reg.client.post(url, json=body, headers=h)
        assert r.status_code in (400, 404, 422), (body, r.status_code, r.json)
        assert r.json["error"]["message"]


def test_ops_dashboard(reg, tokens):
    reg.apply()
    admin = reg.admin()
    page = reg.client.get("/ops/registration/", headers=admin)
    assert page.status_code == 200 and "资格审核中" in page.get_data(as_text=True)
    auditor = tokens.headers(sub="aud", roles=("auditor",))
    assert reg.client.get("/ops/registration/", headers=auditor).status_code == 200
    scores_page = reg.client.get("/ops/registration/sittings/2026-TJ/scores", headers=auditor)
    assert scores_page.status_code == 200 and "上传并导入" not in scores_page.get_data(as_text=True)
    assert reg.client.post("/ops/registration/sittings/2026-TJ/scores/publish",
                           headers=auditor).status_code == 403
    assert reg.client.get("/ops/registration/", headers=reg.headers()).status_code == 403
    form = reg.client.get("/ops/registration/sittings/2026-TJ/scores",
                          headers={**admin, "X-Baokao-CSRF": "tok-123"}).get_data(as_text=True)
    assert 'name="csrf_token" value="tok-123"' in form and 'enctype="multipart/form-data"' in form
    bad = reg.client.post("/ops/registration/sittings/2026-TJ/scores/import", headers=admin,
                          data={"file": (io.BytesIO(b"admit_card_number,subject_code,score\nX,TJ201,50\n"),
                                         "s.csv"), "csrf_token": "tok-123"},
                          content_type="multipart/form-data")
    assert bad.status_code == 422 and "不属于本次考试" in bad.get_data(as_text=True)
    pub = reg.client.post("/ops/registration/sittings/2026-TJ/scores/publish", headers=admin)
    assert pub.status_code == 200 and "发布完成" in pub.get_data(as_text=True)


def test_openapi_document_lists_the_routes(reg):
    doc = reg.client.get("/api/registration/openapi.json").json
    assert "/api/registration/applications/{application_id}/withdraw" in doc["paths"]
    assert doc["paths"]["/api/registration/sittings/{sitting_id}/scores/import"]["post"]["x-roles"] == \
        ["exam_admin"]


def test_concurrent_applications_get_distinct_numbers(reg):
    from concurrent.futures import ThreadPoolExecutor

    def one(i):
        return reg.apply(sub=f"c-{i}").status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(one, range(8)))
    with reg.rt.engine.connect() as conn:
        numbers = [r.application_number for r in conn.execute(select(orm.applications)).all()]
    assert len(numbers) == len(set(numbers)) == codes.count(201)
    assert codes == [201] * 8

"""After the exam: pass marks, score reviews, returning candidates, post-exam check, public
notice and objections, and cancelling a sitting with refunds through events."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from services.registration.adapters import orm
from services.registration.adapters.verification import StaticVerification

API = "/api/registration"


@pytest.fixture
def verification(reg) -> StaticVerification:
    fake = StaticVerification(relations={"土木工程": "related"})
    reg.rt.services["verification"] = fake
    return fake


@pytest.fixture(autouse=True)
def _full_configuration(full_jj):
    """These tests use 经济 configured like the demo's 二级建造师 (see conftest.FULL)."""


def to_admit_card(reg, sub, sitting="2026-JJ", subjects=("JJ201", "JJ202"), draft=None):
    """Apply (quick path, or a confirmed draft), approve online, pay, draw the seats."""
    reg.register_candidate(sub=sub)
    reg.verify(sub=sub)
    if draft is None:
        r = reg.apply({"sitting_id": sitting, "province": "44", "city": "440100", "level": "02",
                       "specialty": "01", "subjects": list(subjects)}, sub=sub)
        assert r.status_code == 201, r.json
        app = r.json
        r = reg.client.post(f"{API}/applications/{app['id']}/decision", headers=reg.admin(),
                            json={"outcome": "approve"})
        assert r.status_code == 200, r.json
        app = r.json
    else:
        app = draft
    reg.pay(dict(app, candidate_id=sub), order_number=f"O-{sub}-{sitting}")
    return app


def draw(reg, sitting="2026-JJ"):
    r = reg.client.post(f"{API}/sittings/{sitting}/seats/allocate", headers=reg.admin(),
                        json={"province": "44"})
    assert r.status_code == 200, r.json


def import_and_publish(reg, rows, sitting="2026-JJ"):
    csv = "admit_card_number,subject_code,score\n" + "".join(f"{n},{c},{s}\n" for n, c, s in rows)
    r = reg.client.post(f"{API}/sittings/{sitting}/scores/import", data=csv.encode(),
                        headers={**reg.admin(), "Content-Type": "text/csv"})
    assert r.status_code == 200, r.json
    r = reg.client.post(f"{API}/sittings/{sitting}/scores/publish", headers=reg.admin())
    assert r.status_code == 200, r.json
    return r.json


def card(reg, app, sub):
    return reg.get(app["id"], sub=sub)["admit_card"]["number"]


def test_commitment_candidate_goes_through_check_notice_and_objection(reg, verification):
    reg.register_candidate(sub="c1")
    reg.verify(sub="c1")
    reg.lock_photo("c1")
    form = {"sitting_id": "2026-JJ", "province": "44", "city": "440100", "level": "02",
            "specialty": "01", "subjects": ["JJ201", "JJ202"], "commitment_mode": True,
            "notice_accepted": True}
    h = reg.headers("c1")
    app = reg.client.post(f"{API}/applications/drafts", json=form, headers=h).json
    reg.client.post(f"{API}/applications/{app['id']}/commitment-letter", json={"agreed": True},
                    headers=h)
    app = reg.client.post(f"{API}/applications/{app['id']}/confirm", headers=h).json
    assert app["state"] == "approved" and app["warnings"] == []  # related major: no warning
    to_admit_card(reg, "c1", draft=app)
    other = to_admit_card(reg, "c2")
    draw(reg)
    n1, n2 = card(reg, app, "c1"), card(reg, other, "c2")

    r = reg.client.put(f"{API}/sittings/2026-JJ/subjects/JJ202/pass-mark", headers=reg.admin(),
                       json={"pass_mark": 70})
    assert r.status_code == 200 and r.json["pass_mark"] == 70
    bad = reg.client.put(f"{API}/sittings/2026-JJ/subjects/JJ202/pass-mark", headers=reg.admin(),
                         json={"pass_mark": 101})
    assert bad.status_code == 422
    report = import_and_publish(reg, [(n1, "JJ201", "75"), (n1, "JJ202", "70"),
                                      (n2, "JJ201", "80"), (n2, "JJ202", "65")])
    assert report == {"published": 2, "qualified": 1, "incomplete": 0}
    late = reg.client.put(f"{API}/sittings/2026-JJ/subjects/JJ202/pass-mark", headers=reg.admin(),
                          json={"pass_mark": 60})
    assert late.status_code == 409 and late.json["error"]["code"] == "scores_published"
    assert not reg.emitted("registration.candidate.qualified")
    view = reg.get(app["id"], sub="c1")
    assert view["qualification"]["stage"] == "post_exam_check" and view["qualified"] is True
    assert reg.get(other["id"], sub="c2")["scores"][1]["passed"] is False  # 65 < 70

    reviewer = reg.tokens.headers(sub="rev", roles=("reviewer",), scope={"province": "44"})
    queue = reg.client.get(f"{API}/sittings/2026-JJ/post-exam-checks", headers=reviewer).json
    assert [q["id"] for q in queue] == [app["id"]]
    verification.down = True
    r = reg.client.post(f"{API}/sittings/2026-JJ/post-exam-checks/run", headers=reviewer)
    assert r.json["unavailable"] is True and r.json["checked"] == 0
    verification.down = False
    r = reg.client.post(f"{API}/sittings/2026-JJ/post-exam-checks/run", headers=reviewer)
    assert r.json == {"checked": 1, "passed": 1, "flagged": 0, "unavailable": False}
    view = reg.get(app["id"], sub="c1")
    assert view["qualification"]["stage"] == "public_notice"
    ends = datetime.fromisoformat(view["qualification"]["notice_ends_at"])
    assert timedelta(days=6, hours=23) < ends - datetime.now(UTC) <= timedelta(days=7)
    (started,) = reg.emitted("registration.notice.started")
    assert started["data"]["application_id"] == app["id"]
    public = reg.client.get(f"{API}/sittings/2026-JJ/public-notice").json  # no login: it's public
    assert public[0]["name_masked"] == "王*明" and public[0]["application_number"].endswith("****")

    objection = reg.client.post(f"{API}/applications/{app['id']}/objections", headers=reg.admin(),
                                json={"content": "举报其工作年限不足"})
    assert objection.status_code == 201
    ended = reg.client.post(f"{API}/sittings/2026-JJ/notice/end", headers=reg.admin())
    assert ended.json == {"qualified": 0}  # an objection is pending
    decided = reg.client.post(f"{API}/objections/{objection.json['id']}/decision",
                              headers=reg.admin(),
                              json={"outcome": "dismissed", "decision": "经核查工作年限符合要求"})
    assert decided.status_code == 200
    again = reg.client.post(f"{API}/objections/{objection.json['id']}/decision",
                            headers=reg.admin(), json={"outcome": "upheld", "decision": "x"})
    assert again.status_code == 409
    assert reg.client.post(f"{API}/sittings/2026-JJ/notice/end",
                           headers=reg.admin()).json == {"qualified": 1}
    (qualified,) = reg.emitted("registration.candidate.qualified")
    assert qualified["data"]["exam_name"] == "经济专业技术资格" and qualified["data"]["level"] == "中级"
    assert reg.get(app["id"], sub="c1")["qualification"]["stage"] == "qualified"


def test_upheld_objection_and_flagged_check_block_qualification(reg, verification):
    a = to_admit_card(reg, "c1")
    b = to_admit_card(reg, "c2")
    draw(reg)
    with reg.rt.engine.begin() as conn:  # c2 chose commitment mode (set directly for brevity)
        conn.execute(update(orm.applications).where(orm.applications.c.id == b["id"])
                     .values(commitment_mode=True))
    verification.listed = {"c2"}
    na, nb = card(reg, a, "c1"), card(reg, b, "c2")
    import_and_publish(reg, [(na, "JJ201", "90"), (na, "JJ202", "90"),
                             (nb, "JJ201", "90"), (nb, "JJ202", "90")])
    r = reg.client.post(f"{API}/sittings/2026-JJ/post-exam-checks/run", headers=reg.admin())
    assert r.json["flagged"] == 1
    assert "诚信档案" in reg.get(b["id"], sub="c2")["qualification"]["note"]
    no_note = reg.client.post(f"{API}/applications/{b['id']}/post-exam-check", headers=reg.admin(),
                              json={"outcome": "reject"})
    assert no_note.status_code == 422
    reg.client.post(f"{API}/applications/{b['id']}/post-exam-check", headers=reg.admin(),
                    json={"outcome": "reject", "note": "不实承诺，资格无效"})
    assert reg.get(b["id"], sub="c2")["qualification"]["stage"] == "rejected"
    o = reg.client.post(f"{API}/applications/{a['id']}/objections", headers=reg.admin(),
                        json={"content": "替考嫌疑"}).json
    reg.client.post(f"{API}/objections/{o['id']}/decision", headers=reg.admin(),
                    json={"outcome": "upheld", "decision": "核实为替考"})
    assert reg.client.post(f"{API}/sittings/2026-JJ/notice/end",
                           headers=reg.admin()).json == {"qualified": 0}
    assert reg.get(a["id"], sub="c1")["qualification"]["stage"] == "rejected"
    assert not reg.emitted("registration.candidate.qualified")


def test_score_review_within_30_days_and_a_correction_that_passes(reg, verification):
    app = to_admit_card(reg, "c1")
    draw(reg)
    n = card(reg, app, "c1")
    import_and_publish(reg, [(n, "JJ201", "58"), (n, "JJ202", "61")])
    h = reg.headers("c1")
    url = f"{API}/applications/{app['id']}/score-reviews"
    r = reg.client.post(url, headers=h, json={"subject_code": "JJ201", "reason": "主观题疑似漏评"})
    assert r.status_code == 201 and r.json["status"] == "pending" and r.json["old_score"] == "58"
    twice = reg.client.post(url, headers=h, json={"subject_code": "JJ201", "reason": "再次"})
    assert twice.status_code == 409
    with reg.rt.engine.begin() as conn:
        conn.execute(update(orm.scores).where(orm.scores.c.subject_code == "JJ202").values(
            published_at=datetime.now(UTC) - timedelta(days=31)))
    late = reg.client.post(url, headers=h, json={"subject_code": "JJ202", "reason": "x"})
    assert late.status_code == 422 and late.json["error"]["code"] == "window_closed"
    assert "成绩复核申请时间为" in late.json["error"]["message"]

    queue = reg.client.get(f"{API}/score-reviews?sitting_id=2026-JJ", headers=reg.admin()).json
    assert [q["application_number"] for q in queue] == [app["application_number"]]
    bad = reg.client.post(f"{API}/score-reviews/{queue[0]['id']}/answer", headers=reg.admin(),
                          json={"outcome": "corrected", "new_score": "abc", "answer": "x"})
    assert bad.status_code == 422
    ok = reg.client.post(f"{API}/score-reviews/{queue[0]['id']}/answer", headers=reg.admin(),
                         json={"outcome": "corrected", "new_score": "62",
                               "answer": "经复核，第 3 题漏评 4 分，已更正"})
    assert ok.status_code == 200 and ok.json["status"] == "corrected"
    mine = reg.client.get(url, headers=h).json
    assert mine[0]["new_score"] == "62" and "漏评" in mine[0]["answer"]
    (answered,) = reg.emitted("registration.score_review.answered")
    assert answered["data"]["old_score"] == "58" and answered["data"]["new_score"] == "62"
    view = reg.get(app["id"], sub="c1")
    assert view["scores"][0]["score"] == "62" and view["scores"][0]["passed"] is True
    assert view["qualification"]["stage"] == "public_notice"  # not commitment mode: no check


def test_returning_candidate_carries_passed_subjects_within_the_rolling_period(reg, verification):
    admin = reg.admin()
    r = reg.client.post(f"{API}/sittings/2026-JJ/copy", headers=admin,
                        json={"year": 2025, "exam_date": "2025-10-18"})
    assert r.status_code == 201 and r.json["sitting_id"] == "2025-JJ"
    now = datetime.now(UTC)
    for kind in ("application", "payment"):  # replay last year's windows as if open
        w = reg.client.put(f"{API}/sittings/2025-JJ/windows/44/{kind}", headers=admin,
                           json={"start": (now - timedelta(days=1)).isoformat(),
                                 "end": (now + timedelta(days=1)).isoformat()})
        assert w.status_code == 200, w.json
    first = to_admit_card(reg, "c1", sitting="2025-JJ")
    draw(reg, "2025-JJ")
    n = card(reg, first, "c1")
    import_and_publish(reg, [(n, "JJ201", "66"), (n, "JJ202", "40")], sitting="2025-JJ")

    me = reg.client.get(f"{API}/sittings/2026-JJ/me", headers=reg.headers("c1")).json
    assert me["archive_number"] == first["application_number"] and me["rolling_years"] == 2
    assert me["carried"] == [{"subject_code": "JJ201", "year": 2025, "score": "66"}]
    body = {"sitting_id": "2026-JJ", "province": "44", "city": "440100", "level": "02",
            "specialty": "01", "subjects": ["JJ201", "JJ202"]}
    again = reg.apply(body, sub="c1")
    assert again.status_code == 422 and again.json["error"]["code"] == "subject_already_passed"
    second = to_admit_card(reg, "c1", subjects=("JJ202",))
    assert second["archive_number"] == first["application_number"]
    draw(reg)
    import_and_publish(reg, [(card(reg, second, "c1"), "JJ202", "71")])
    view = reg.get(second["id"], sub="c1")
    assert view["qualified"] is True and view["qualification"]["stage"] == "public_notice"

    # non-rolling: nothing carries over
    reg.client.put(f"{API}/exams/JJ/settings", headers=admin, json={"rolling_years": 1})
    assert reg.client.get(f"{API}/sittings/2026-JJ/me", headers=reg.headers("c1")).json[
        "carried"] == []


def test_cancelling_a_position_tells_applicants_and_requests_refunds(reg, verification):
    paid = to_admit_card(reg, "c1", sitting="2026-JJ")
    waiting = reg.apply({"sitting_id": "2026-JJ", "province": "44", "city": "440300",
                         "level": "02", "specialty": "01", "subjects": ["JJ202"]}, sub="c2").json
    other_level = reg.apply({"sitting_id": "2026-JJ", "province": "44", "city": "440300",
                             "level": "01", "specialty": "01", "subjects": ["JJ101"]},
                            sub="c3").json
    positions = reg.client.get(f"{API}/sittings/2026-JJ/positions", headers=reg.admin()).json
    assert {(p["level"], p["n"]) for p in positions} == {("02", 2), ("01", 1)}
    no_reason = reg.client.post(f"{API}/sittings/2026-JJ/cancel", headers=reg.admin(),
                                json={"level": "02", "reason": " "})
    assert no_reason.status_code == 422
    r = reg.client.post(f"{API}/sittings/2026-JJ/cancel", headers=reg.admin(),
                        json={"province": "44", "level": "02", "specialty": "01",
                              "reason": "报名人数不足开考人数"})
    assert r.status_code == 200 and r.json == {"applications": 2, "refunds": 1}
    view = reg.get(paid["id"], sub="c1")
    assert view["state"] == "cancelled" and "退回" in view["next_step"]
    assert reg.get(waiting["id"], sub="c2")["state"] == "cancelled"
    assert reg.get(other_level["id"], sub="c3")["state"] == "under_review"
    told = reg.emitted("registration.application.cancelled")
    assert {e["data"]["candidate_id"]: e["data"]["refund"] for e in told} == {"c1": True,
                                                                              "c2": False}
    (refund,) = reg.emitted("registration.refund.requested")
    assert refund["data"]["order_number"] == "O-c1-2026-JJ" and refund["data"]["amount_fen"] == 10000
    reg.deliver("payment.order.refunded", {
        "order_number": "O-c1-2026-JJ", "application_id": paid["id"], "candidate_id": "c1",
        "amount_fen": 10000, "refund_number": "R-1", "refunded_fen": 10000, "reason": "考试取消",
        "refunded_at": datetime.now(UTC).isoformat()})
    assert reg.get(paid["id"], sub="c1")["state"] == "refunded"
    assert reg.client.post(f"{API}/sittings/2026-JJ/cancel", headers=reg.headers("c1"),
                           json={"reason": "x"}).status_code == 403

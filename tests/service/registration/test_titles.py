"""Professional titles through the API (seed 003): initial title with a return and a
resubmission to the certificate, title review through forward → schedule → committee vote,
withdraw, abandon, plan windows, attachments by content and size, scopes, admin edits, ops."""
from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.service.registration.conftest import DEMO_ID

API = "/api/registration/titles"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PLAN = "plan-2026-gcjs-zj"
PROFILE = {"gender": "女", "birth_date": "1996-05-04", "phone": "13800138001",
           "employer": "重庆某建筑设计院", "employer_region": "500112",
           "work_start_date": "2019-07-01", "political_status": "群众", "education_highest": "本科"}
INITIAL = {"application_type": "initial", "unit_id": "unit-yubei", "series": "工程技术",
           "title_name": "助理工程师", "title_level": "初级", "specialty": "建筑工程", "pledge": True}
REVIEW = {"application_type": "review", "unit_id": "unit-yubei", "plan_id": PLAN,
          "series": "工程技术", "title_name": "工程师", "title_level": "中级",
          "specialty": "建筑工程", "pledge": True}
EDUCATION = {"items": [{"start": "2015-09-01", "end": "2019-06-30", "school": "重庆大学",
                        "education": "本科", "degree": "学士", "major": "土木工程"}]}
WORK = {"items": [{"start": "2019-07-01", "employer": "重庆某建筑设计院", "position": "设计员",
                   "duties": "结构设计"}]}


class People:
    def __init__(self, reg):
        self.reg = reg

    def me(self, sub=DEMO_ID):
        return self.reg.tokens.headers(sub=sub, roles=("candidate",), name="罗洁")

    def unit(self, unit_id="unit-yubei"):
        return self.reg.tokens.headers(sub=f"clerk-{unit_id}", roles=("title_unit",),
                                       username="unitclerk", name="郑受理",
                                       scope={"unit_id": unit_id} if unit_id else {})

    def admin(self):
        return self.reg.tokens.headers(sub="title-admin", roles=("title_admin",),
                                       username="titleadmin", name="冯职称")

    def committee(self):
        return self.reg.tokens.headers(sub="committee-1", roles=("title_committee",),
                                       username="committee", name="陈评审")


@pytest.fixture
def p(reg) -> People:
    reg.register_candidate(name="罗洁", masked="5001**********2345")
    return People(reg)


def call(reg, method, path, headers, body=None):
    return reg.client.open(API + path, method=method, json=body, headers=headers)


def upload(reg, p, app_id, content, label="学历学位证书", name="学历.pdf"):
    return reg.client.post(f"{API}/applications/{app_id}/attachments", headers=p.me(),
                           data={"file": (io.BytesIO(content), name), "label": label},
                           content_type="multipart/form-data")


def filled(reg, p, body, *, basic=None, probation=True, attach=True) -> dict:
    """A draft with every section the type requires."""
    assert call(reg, "PUT", "/profile", p.me(), PROFILE).status_code == 200
    r = call(reg, "POST", "/applications", p.me(), body)
    assert r.status_code == 201, r.json
    app = r.json
    if basic:
        assert call(reg, "PUT", f"/applications/{app['id']}/sections/basic", p.me(),
                    basic).status_code == 200
    for section, value in (("education", EDUCATION), ("work_history", WORK)):
        r = call(reg, "PUT", f"/applications/{app['id']}/sections/{section}", p.me(), value)
        assert r.status_code == 200, r.json
    if probation:
        r = call(reg, "PUT", f"/applications/{app['id']}/sections/probation_summary", p.me(),
                 {"text": "见习期内参与三个住宅项目的结构设计。"})
        assert r.status_code == 200, r.json
    if attach:
        assert upload(reg, p, app["id"], PDF).status_code == 201
    return call(reg, "GET", f"/applications/{app['id']}", p.me()).json


def beijing_today() -> date:
    """Rules on meeting dates use the Beijing calendar; after 16:00 UTC it is already tomorrow."""
    return (datetime.now(UTC) + timedelta(hours=8)).date()


def certificate_issued(reg, app_id, number="ZC2026ZJ000001", event_id=None, **extra):
    return reg.deliver("certificates.certificate.issued", {
        "certificate_number": number, "qualification_id": app_id, "candidate_id": DEMO_ID,
        "title": "助理工程师（初级）", "issued_on": beijing_today().isoformat(),
        "verification_url": f"https://example.test/verify/{number}", **extra}, event_id)


def test_initial_title_from_profile_to_certificate_with_a_return(reg, p):
    profile = call(reg, "GET", "/profile", p.me()).json
    assert profile["name"] == "罗洁"  # the verified identity's name
    units = reg.client.get(f"{API}/units", query_string={"q": "渝北"}).json
    assert [u["id"] for u in units] == ["unit-yubei"]
    assert {"name": "学历学位证书", "required": True} in units[0]["attachment_rules"]

    refused = call(reg, "POST", "/applications", p.me(), {**INITIAL, "pledge": False})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "title_pledge_required"

    assert call(reg, "PUT", "/profile", p.me(), PROFILE).status_code == 200
    created = call(reg, "POST", "/applications", p.me(), INITIAL)
    assert created.status_code == 201, created.json
    app = created.json
    assert app["state"] == "draft" and app["state_label"] == "待填报"
    assert app["sections"]["basic"]["employer"] == "重庆某建筑设计院"  # copied from the profile
    assert app["completeness"]["education"] == {"label": "学历学位", "required": True,
                                                "complete": False,
                                                "missing": ["至少填写一条学历学位"]}
    assert "submit" in app["actions"] and "withdraw" not in app["actions"]
    twin = call(reg, "POST", "/applications", p.me(), INITIAL)
    assert twin.status_code == 409 and twin.json["error"]["code"] == "title_application_exists"

    early = call(reg, "POST", f"/applications/{app['id']}/submit", p.me())
    assert early.status_code == 422 and early.json["error"]["code"] == "title_section_incomplete"
    assert "学历学位" in early.json["error"]["message"]

    for section, value in (("education", EDUCATION), ("work_history", WORK),
                           ("probation_summary", {"text": "见习期表现良好。"})):
        assert call(reg, "PUT", f"/applications/{app['id']}/sections/{section}", p.me(),
                    value).status_code == 200
    wrong = upload(reg, p, app["id"], PNG, name="学历.pdf")
    assert wrong.status_code == 422 and wrong.json["error"]["code"] == "title_attachment_type"
    big = upload(reg, p, app["id"], PDF + b"0" * (10 * 1024 * 1024))
    assert big.status_code == 422
    assert big.json["error"]["code"] == "title_attachment_too_large"
    ok = upload(reg, p, app["id"], PDF)
    assert ok.status_code == 201 and ok.json["label"] == "学历学位证书"
    got = reg.client.get(f"{API}/applications/{app['id']}/attachments/{ok.json['id']}",
                         headers=p.me())
    assert got.status_code == 200 and got.data == PDF

    submitted = call(reg, "POST", f"/applications/{app['id']}/submit", p.me())
    assert submitted.status_code == 200 and submitted.json["state"] == "submitted", submitted.json
    assert submitted.json["pending_holder"] == "渝北区人力资源和社会保障局"
    assert submitted.json["deadline_at"] and "withdraw" in submitted.json["actions"]
    (event,) = reg.emitted("registration.title_application.submitted")
    assert event["data"]["application_number"] == app["application_number"]

    # other units cannot see or act on it; the unit's queue has it with its deadline
    other = call(reg, "POST", f"/applications/{app['id']}/return", p.unit("unit-jiangbei"),
                 {"reason": "x"})
    assert other.status_code == 403 and other.json["error"]["code"] == "forbidden_scope"
    assert call(reg, "GET", "/queue", p.unit("unit-jiangbei")).json == []
    (item,) = call(reg, "GET", "/queue", p.unit()).json
    assert item["id"] == app["id"] and item["holder_name"] == "罗洁" and item["overdue"] is False

    # the unit opens it: the professional can no longer withdraw, only ask for a return
    assert call(reg, "GET", f"/applications/{app['id']}", p.unit()).status_code == 200
    late = call(reg, "POST", f"/applications/{app['id']}/withdraw", p.me())
    assert late.status_code == 409 and late.json["error"]["code"] == "title_review_started"

    no_reason = call(reg, "POST", f"/applications/{app['id']}/return", p.unit(), {"reason": "  "})
    assert no_reason.status_code == 422
    returned = call(reg, "POST", f"/applications/{app['id']}/return", p.unit(),
                    {"reason": "请完善见习工作小结"})
    assert returned.status_code == 200 and returned.json["state"] == "returned"
    assert returned.json["return_reasons"][0]["actor"] == "郑*"
    assert "请完善见习工作小结" in returned.json["return_reasons"][0]["reason"]
    assert reg.emitted("registration.title_application.returned")[0]["data"]["reason"] == \
        "请完善见习工作小结"

    # modify as the reason asks (the probation summary is required for 职称初定), resubmit
    cleared = call(reg, "PUT", f"/applications/{app['id']}/sections/probation_summary", p.me(),
                   {"text": ""})
    assert cleared.json["completeness"]["probation_summary"]["complete"] is False
    again = call(reg, "POST", f"/applications/{app['id']}/submit", p.me())
    assert again.status_code == 422 and "见习期工作小结" in again.json["error"]["message"]
    assert call(reg, "PUT", f"/applications/{app['id']}/sections/probation_summary", p.me(),
                {"text": "见习期内参与三个住宅项目的结构设计。"}).status_code == 200
    resubmitted = call(reg, "POST", f"/applications/{app['id']}/submit", p.me())
    assert resubmitted.status_code == 200 and resubmitted.json["state"] == "submitted"
    assert len(reg.emitted("registration.title_application.submitted")) == 2

    wrong_role = call(reg, "POST", f"/applications/{app['id']}/approve", p.admin(), {})
    assert wrong_role.status_code == 403
    forward = call(reg, "POST", f"/applications/{app['id']}/forward", p.unit(), {})
    assert forward.status_code == 409 and forward.json["error"]["code"] == "title_wrong_type"
    approved = call(reg, "POST", f"/applications/{app['id']}/approve", p.unit(),
                    {"note": "符合初定条件"})
    assert approved.status_code == 200, approved.json
    assert approved.json["state"] == "decided" and approved.json["approved"] is True
    assert approved.json["state_label"] == "审核通过，待发放证书"
    (decided,) = reg.emitted("registration.title_application.decided")
    d = decided["data"]
    assert d["approved"] is True and d["holder_name"] == "罗洁"
    assert d["document_number_masked"] == "5001**********2345"
    assert (d["title_name"], d["title_level"], d["series"], d["specialty"]) == \
        ("助理工程师", "初级", "工程技术", "建筑工程")
    assert d["decided_by"] == d["issuing_authority"] == "渝北区人力资源和社会保障局"
    assert d["votes_for"] is None and d["application_type"] == "initial"

    # certificates issues the title certificate: 发放证书, 已办结 — once, however often it is told
    certificate_issued(reg, app["id"], kind="qualification")  # not a title certificate
    assert call(reg, "GET", f"/applications/{app['id']}", p.me()).json["state"] == "decided"
    event_id = certificate_issued(reg, app["id"], kind="title", application_id=app["id"])
    certificate_issued(reg, app["id"], event_id=event_id)
    certificate_issued(reg, app["id"])  # a second copy under another event id
    record = call(reg, "GET", f"/applications/{app['id']}/record", p.me()).json
    assert record["state"] == "completed" and record["state_label"] == "已办结"
    events = [e["event"] for e in record["entries"]]
    assert events == ["发放证书", "评审通过", "提交申报书", "退回", "提交申报书", "填写申报书"]
    assert record["entries"][1]["actor"] == "郑*"
    assert record["entries"][3]["pending_holder"] == "罗洁"  # returned: back with the professional
    assert record["entries"][2]["pending_holder"] == "渝北区人力资源和社会保障局"
    mine = call(reg, "GET", "/applications", p.me()).json
    assert mine[0]["certificate_number"] == "ZC2026ZJ000001"

    pdf = reg.client.get(f"{API}/applications/{app['id']}/form.pdf", headers=p.me())
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_exam_certificates_are_not_title_certificates(reg, p):
    certificate_issued(reg, str(uuid.uuid4()))  # an exam qualification's id: nothing happens


def test_title_review_forward_schedule_and_committee_vote(reg, p):
    plans = reg.client.get(f"{API}/plans").json
    assert [x["id"] for x in plans] == [PLAN] and plans[0]["fee_fen"] == 42000
    not_in_plan = call(reg, "POST", "/applications", p.me(), {**REVIEW, "title_name": "高级工程师",
                                                              "title_level": "副高级"})
    assert not_in_plan.status_code == 422
    assert not_in_plan.json["error"]["code"] == "title_not_in_plan"
    # the performance archive feeds the achievements section
    item = call(reg, "POST", "/archive/items", p.me(), {
        "kind": "project", "title": "渝北某安置房项目结构设计", "date": "2023-05-01",
        "role": "主要设计人"})
    assert item.status_code == 201
    app = filled(reg, p, REVIEW, probation=False,
                 basic={"committee_group": "建筑组", "category": "正常晋升"})
    assert app["completeness"]["achievements"]["complete"] is False
    synced = call(reg, "POST", f"/applications/{app['id']}/sync-archive", p.me())
    assert synced.json["sections"]["achievements"][0]["archive_id"] == item.json["id"]
    assert synced.json["completeness"]["achievements"]["complete"] is True
    assert synced.json["completeness"]["probation_summary"]["required"] is False

    submitted = call(reg, "POST", f"/applications/{app['id']}/submit", p.me())
    assert submitted.status_code == 200, submitted.json
    approve = call(reg, "POST", f"/applications/{app['id']}/approve", p.unit(), {})
    assert approve.status_code == 409 and approve.json["error"]["code"] == "title_wrong_type"
    early = call(reg, "POST", f"/applications/{app['id']}/schedule", p.admin(),
                 {"meeting_on": beijing_today().isoformat()})
    assert early.status_code == 409 and early.json["error"]["code"] == "title_wrong_state"
    forwarded = call(reg, "POST", f"/applications/{app['id']}/forward", p.unit(),
                     {"note": "材料齐全"})
    assert forwarded.status_code == 200 and forwarded.json["state"] == "forwarded"
    assert forwarded.json["pending_holder"] == "重庆市人力资源和社会保障局"
    assert reg.emitted("registration.title_application.forwarded")[0]["data"]["forwarded_by"] \
        == "渝北区人力资源和社会保障局"
    assert call(reg, "GET", "/queue", p.unit()).json == []
    (item,) = call(reg, "GET", "/queue", p.admin()).json
    assert item["state"] == "forwarded"

    past = call(reg, "POST", f"/applications/{app['id']}/schedule", p.admin(),
                {"meeting_on": (beijing_today() - timedelta(days=3)).isoformat()})
    assert past.status_code == 422
    scheduled = call(reg, "POST", f"/applications/{app['id']}/schedule", p.admin(),
                     {"meeting_on": beijing_today().isoformat()})
    assert scheduled.status_code == 200 and scheduled.json["state"] == "scheduled"
    assert scheduled.json["pending_holder"] == "重庆市工程技术中级职称评审委员会"
    (item,) = call(reg, "GET", "/queue", p.committee()).json
    assert item["meeting_on"]

    no_quorum = call(reg, "POST", f"/applications/{app['id']}/decide", p.committee(),
                     {"votes_for": 5, "votes_against": 0, "votes_abstain": 0})
    assert no_quorum.status_code == 422
    assert no_quorum.json["error"]["code"] == "title_quorum_not_met"
    decided = call(reg, "POST", f"/applications/{app['id']}/decide", p.committee(),
                   {"votes_for": 9, "votes_against": 3, "votes_abstain": 1, "note": "同意通过"})
    assert decided.status_code == 200, decided.json
    assert decided.json["approved"] is True and decided.json["votes_for"] == 9
    (event,) = reg.emitted("registration.title_application.decided")
    d = event["data"]
    assert (d["votes_for"], d["votes_against"], d["votes_abstain"]) == (9, 3, 1)
    assert d["decided_by"] == "重庆市工程技术中级职称评审委员会"
    assert d["issuing_authority"] == "重庆市人力资源和社会保障局"
    assert d["application_type"] == "review" and d["title_name"] == "工程师"
    record = call(reg, "GET", f"/applications/{app['id']}/record", p.me()).json
    assert [e["event"] for e in record["entries"]][:3] == ["评审通过", "安排评审", "转报"]
    assert "赞成 9 票" in record["entries"][0]["note"]
    again = call(reg, "POST", f"/applications/{app['id']}/decide", p.committee(),
                 {"votes_for": 9, "votes_against": 3, "votes_abstain": 1})
    assert again.status_code == 409 and again.json["error"]["code"] == "title_wrong_state"


def test_committee_vote_below_two_thirds_is_not_approved(reg, p):
    app = filled(reg, p, REVIEW, probation=False,
                 basic={"committee_group": "建筑组", "category": "正常晋升"})
    call(reg, "POST", "/archive/items", p.me(), {"kind": "paper", "title": "论文一篇"})
    call(reg, "POST", f"/applications/{app['id']}/sync-archive", p.me())
    assert call(reg, "POST", f"/applications/{app['id']}/submit", p.me()).status_code == 200
    call(reg, "POST", f"/applications/{app['id']}/forward", p.unit(), {})
    # the reviewing authority may give it back too
    back = call(reg, "POST", f"/applications/{app['id']}/return", p.admin(), {"reason": "论文待核实"})
    assert back.status_code == 200 and back.json["return_reasons"][0]["actor_unit"] == \
        "重庆市人力资源和社会保障局"
    assert call(reg, "POST", f"/applications/{app['id']}/submit", p.me()).status_code == 200
    call(reg, "POST", f"/applications/{app['id']}/forward", p.unit(), {})
    call(reg, "POST", f"/applications/{app['id']}/schedule", p.admin(),
         {"meeting_on": beijing_today().isoformat()})
    decided = call(reg, "POST", f"/applications/{app['id']}/decide", p.committee(),
                   {"votes_for": 8, "votes_against": 4, "votes_abstain": 1})
    assert decided.status_code == 200 and decided.json["approved"] is False
    assert decided.json["state_label"] == "未通过（已办结）"
    (event,) = reg.emitted("registration.title_application.decided")
    assert event["data"]["approved"] is False


def test_withdraw_before_review_then_resubmit(reg, p):
    app = filled(reg, p, INITIAL)
    assert call(reg, "POST", f"/applications/{app['id']}/submit", p.me()).status_code == 200
    withdrawn = call(reg, "POST", f"/applications/{app['id']}/withdraw", p.me())
    assert withdrawn.status_code == 200 and withdrawn.json["state"] == "withdrawn"
    assert "edit" in withdrawn.json["actions"]
    (event,) = reg.emitted("registration.title_application.withdrawn")
    assert event["data"]["application_id"] == app["id"]
    assert call(reg, "GET", "/queue", p.unit()).json == []
    twice = call(reg, "POST", f"/applications/{app['id']}/withdraw", p.me())
    assert twice.status_code == 409 and twice.json["error"]["code"] == "title_wrong_state"
    assert call(reg, "POST", f"/applications/{app['id']}/submit", p.me()).json["state"] == \
        "submitted"


def test_abandon_hides_the_application_and_only_before_submission(reg, p):
    app = filled(reg, p, INITIAL)
    assert call(reg, "POST", f"/applications/{app['id']}/submit", p.me()).status_code == 200
    busy = call(reg, "DELETE", f"/applications/{app['id']}", p.me())
    assert busy.status_code == 409 and busy.json["error"]["code"] == "title_wrong_state"
    call(reg, "POST", f"/applications/{app['id']}/withdraw", p.me())
    assert call(reg, "DELETE", f"/applications/{app['id']}", p.me()).status_code == 204
    assert call(reg, "GET", "/applications", p.me()).json == []
    assert call(reg, "GET", f"/applications/{app['id']}", p.me()).status_code == 404
    # abandoning frees the slot: a new 职称初定 may start
    assert call(reg, "POST", "/applications", p.me(), INITIAL).status_code == 201


def test_review_plan_window_is_enforced(reg, p):
    now = datetime.now(UTC)
    closed = call(reg, "PUT", f"/plans/{PLAN}", p.admin(), {
        "starts_at": (now - timedelta(days=30)).isoformat(),
        "ends_at": (now - timedelta(days=1)).isoformat()})
    assert closed.status_code == 200, closed.json
    assert reg.client.get(f"{API}/plans").json == []
    refused = call(reg, "POST", "/applications", p.me(), REVIEW)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "title_plan_closed"
    assert "已经截止" in refused.json["error"]["message"]

    call(reg, "PUT", f"/plans/{PLAN}", p.admin(), {"ends_at": (now + timedelta(days=1)).isoformat()})
    app = filled(reg, p, REVIEW, probation=False,
                 basic={"committee_group": "建筑组", "category": "正常晋升"})
    call(reg, "POST", "/archive/items", p.me(), {"kind": "award", "title": "优秀设计奖"})
    call(reg, "POST", f"/applications/{app['id']}/sync-archive", p.me())
    call(reg, "PUT", f"/plans/{PLAN}", p.admin(), {"ends_at": (now - timedelta(hours=1)).isoformat()})
    late = call(reg, "POST", f"/applications/{app['id']}/submit", p.me())
    assert late.status_code == 422 and late.json["error"]["code"] == "title_plan_closed"
    bad_window = call(reg, "PUT", f"/plans/{PLAN}", p.admin(),
                      {"ends_at": (now - timedelta(days=60)).isoformat()})
    assert bad_window.status_code == 422


def test_scopes_and_roles(reg, p):
    app = filled(reg, p, INITIAL)
    call(reg, "POST", f"/applications/{app['id']}/submit", p.me())
    unscoped = call(reg, "GET", "/queue", p.unit(None))
    assert unscoped.status_code == 403 and unscoped.json["error"]["code"] == "forbidden_scope"
    peek = call(reg, "GET", f"/applications/{app['id']}", p.unit("unit-jiangbei"))
    assert peek.status_code == 403 and peek.json["error"]["code"] == "forbidden_scope"
    assert call(reg, "GET", f"/applications/{app['id']}", p.me("someone-else")).status_code == 404
    assert call(reg, "GET", "/queue", p.me()).status_code == 403
    # committee cannot see applications not yet before it
    assert call(reg, "GET", f"/applications/{app['id']}", p.committee()).status_code == 403
    # a draft is nobody's business but the professional's
    draft = call(reg, "POST", "/applications", p.me("cand-2"), {**INITIAL, "unit_id": "unit-yubei"})
    assert call(reg, "GET", f"/applications/{draft.json['id']}", p.unit()).status_code == 403


def test_admin_edits_units_and_plans(reg, p):
    unit = {"id": "unit-wanzhou", "name": "万州区人力资源和社会保障局", "kind": "district",
            "region_code": "500101", "jurisdiction": "万州区辖区内单位人员", "accepts": ["initial"],
            "attachment_rules": [{"name": "学历学位证书", "required": True}]}
    assert call(reg, "POST", "/units", p.me(), unit).status_code == 403
    created = call(reg, "POST", "/units", p.admin(), unit)
    assert created.status_code == 201 and created.json["id"] == "unit-wanzhou"
    assert call(reg, "POST", "/units", p.admin(), unit).json["error"]["code"] == "title_unit_exists"
    changed = call(reg, "PUT", "/units/unit-wanzhou", p.admin(), {**unit, "contact_phone": "023-1"})
    assert changed.json["contact_phone"] == "023-1"
    assert [u["id"] for u in reg.client.get(f"{API}/units", query_string={
        "region": "500101"}).json if u["region_code"]] == ["unit-wanzhou"]
    no_review = call(reg, "POST", "/applications", p.me(), {**REVIEW, "unit_id": "unit-wanzhou"})
    assert no_review.json["error"]["code"] == "title_unit_not_accepting"

    now = datetime.now(UTC)
    plan = {"name": "2026年度实验技术高级职称评审", "year": 2026, "committee": "重庆市实验技术高级职称评审委员会",
            "committee_size": 9, "authority": "重庆市人力资源和社会保障局",
            "issuing_authority": "重庆市人力资源和社会保障局", "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=10)).isoformat(), "fee_fen": 42000,
            "titles": [{"series": "实验技术", "title_name": "高级实验师", "title_level": "副高级"}],
            "specialties": [{"series": "实验技术", "specialty": "实验技术"}]}
    made = call(reg, "POST", "/plans", p.admin(), plan)
    assert made.status_code == 201, made.json
    assert len(reg.client.get(f"{API}/plans").json) == 2
    backwards = call(reg, "POST", "/plans", p.admin(), {**plan, "ends_at": now.isoformat(),
                                                         "starts_at": (now + timedelta(days=1)).isoformat()})
    assert backwards.status_code == 422


def test_sections_keep_what_was_saved_and_refuse_after_submission(reg, p):
    app = filled(reg, p, {**INITIAL, "application_type": "confirmation", "title_level": "中级",
                          "title_name": "工程师"}, probation=False)
    incomplete = call(reg, "POST", f"/applications/{app['id']}/submit", p.me())
    assert incomplete.json["error"]["code"] == "title_section_incomplete"
    assert "基本信息" in incomplete.json["error"]["message"]
    basic = {"original_series": "工程技术", "original_title": "工程师", "original_specialty": "建筑",
             "original_obtained_on": "2022-06-01", "valid_scope": "全市"}
    saved = call(reg, "PUT", f"/applications/{app['id']}/sections/basic", p.me(), basic)
    assert saved.json["sections"]["basic"]["employer"] == "重庆某建筑设计院"  # kept
    assert saved.json["sections"]["basic"]["original_obtained_on"] == "2022-06-01"
    assert saved.json["completeness"]["basic"]["complete"] is True
    assert call(reg, "POST", f"/applications/{app['id']}/submit", p.me()).status_code == 200
    locked = call(reg, "PUT", f"/applications/{app['id']}/sections/education", p.me(), EDUCATION)
    assert locked.status_code == 409 and locked.json["error"]["code"] == "title_wrong_state"
    assert upload(reg, p, app["id"], PDF).json["error"]["code"] == "title_wrong_state"


def test_ops_pages_for_the_three_authorities(reg, p):
    app = filled(reg, p, INITIAL)
    call(reg, "POST", f"/applications/{app['id']}/submit", p.me())
    page = reg.client.get("/ops/registration/titles/", headers=p.unit())
    assert page.status_code == 200 and app["application_number"] in page.text
    assert "办理范围：受理单位 " in page.text and "unit-yubei" not in page.text  # by name
    assert reg.client.get("/ops/registration/titles/", headers=p.me()).status_code == 403
    detail = reg.client.get(f"/ops/registration/titles/applications/{app['id']}",
                            headers=p.unit())
    assert detail.status_code == 200 and "退回给个人" in detail.text and "罗洁" in detail.text
    blank = reg.client.post(f"/ops/registration/titles/applications/{app['id']}/reject",
                            headers=p.unit(), data={"reason": ""})
    assert blank.status_code == 422 and "原因" in blank.text
    done = reg.client.post(f"/ops/registration/titles/applications/{app['id']}/approve",
                           headers=p.unit(), data={"note": "同意"})
    assert done.status_code == 303
    assert reg.emitted("registration.title_application.decided")
    assert reg.client.get("/ops/registration/titles/", headers=p.committee()).status_code == 200
    plans = reg.client.get("/ops/registration/titles/plans", headers=p.admin())
    assert plans.status_code == 200 and "2026年度工程技术系列中级职称评审" in plans.text
    assert reg.client.get("/ops/registration/titles/plans", headers=p.unit()).status_code == 403


# -- personal data: encrypted at rest, the phone masked for the authorities ---------------------
PHONE, ADDRESS = "13800138001", "重庆市渝北区龙溪街道金龙路 88 号"


def test_phone_and_address_are_encrypted_at_rest(reg, p):
    from pathlib import Path

    from sqlalchemy import text
    app = filled(reg, p, INITIAL, basic={"address": ADDRESS})
    assert call(reg, "PUT", "/profile", p.me(), {**PROFILE, "address": ADDRESS}).status_code == 200
    assert call(reg, "POST", f"/applications/{app['id']}/submit", p.me()).status_code == 200
    with reg.rt.engine.connect() as conn:  # raw SQL: what the table really holds
        profile = conn.execute(text("SELECT data FROM title_profiles")).scalar_one()
        basic = conn.execute(text("SELECT basic FROM title_applications WHERE id = :i"),
                             {"i": app["id"]}).scalar_one()
    for stored in (profile, basic):
        fields = json.loads(stored)
        assert "phone" not in fields and "address" not in fields and PHONE not in stored
        assert fields["_pii"].startswith("r1:")  # one AES-GCM ciphertext, with its key id
        assert fields["employer"] == "重庆某建筑设计院"  # the rest stays plain JSON
    db = Path(reg.rt.settings.database_url.removeprefix("sqlite:///"))
    street = ("金龙路".encode(), json.dumps("金龙路").strip('"').encode())  # UTF-8 or escaped
    for f in db.parent.glob(db.name + "*"):  # the database and any journal / WAL beside it
        raw = f.read_bytes()
        assert PHONE.encode() not in raw and not any(s in raw for s in street), f.name
    mine = call(reg, "GET", f"/applications/{app['id']}", p.me()).json["sections"]["basic"]
    assert mine["phone"] == PHONE and mine["address"] == ADDRESS  # decrypted for the owner
    profile = call(reg, "GET", "/profile", p.me()).json
    assert profile["phone"] == PHONE and profile["address"] == ADDRESS


def test_authorities_see_the_phone_masked_the_owner_in_full(reg, p):
    from services.common.web.ops import BEIJING
    from services.registration.service_layer.titles import applications, documents
    app = filled(reg, p, INITIAL)
    assert app["sections"]["basic"]["phone"] == PHONE  # the owner's own view
    call(reg, "POST", f"/applications/{app['id']}/submit", p.me())
    staff = call(reg, "GET", f"/applications/{app['id']}", p.unit()).json["sections"]["basic"]
    assert staff["phone"] == "138****8001" and staff["name"] == "罗洁"
    queue = call(reg, "GET", "/queue", p.unit())
    assert queue.status_code == 200 and PHONE not in queue.get_data(as_text=True)
    detail = reg.client.get(f"/ops/registration/titles/applications/{app['id']}",
                            headers=p.unit())
    assert "138****8001" in detail.text and PHONE not in detail.text
    submitted = datetime.fromisoformat(call(reg, "GET", f"/applications/{app['id']}/record",
                                            p.unit()).json["entries"][0]["at"])
    assert f"{submitted.astimezone(BEIJING):%Y-%m-%d %H:%M}" in detail.text  # Beijing time
    assert "UTC" not in detail.text and "时间均为北京时间" in detail.text
    record = call(reg, "GET", f"/applications/{app['id']}/record", p.unit())
    assert PHONE not in record.get_data(as_text=True)
    approved = call(reg, "POST", f"/applications/{app['id']}/approve", p.unit(), {"note": "同意"})
    assert approved.json["sections"]["basic"]["phone"] == "138****8001"
    for pdf_owner in (p.me(), p.unit()):
        r = reg.client.get(f"{API}/applications/{app['id']}/form.pdf", headers=pdf_owner)
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
    with reg.rt.uow() as uow:  # what the PDF prints: masked unless the owner downloads it
        application = applications.get(uow, app["id"])
        printed = {owner: dict(documents.form(uow.session, application, "http://x",
                                              owner=owner).lines)["联系电话"]
                   for owner in (True, False)}
    assert printed == {True: PHONE, False: "138****8001"}
    assert all(PHONE not in str(e) for e in reg.emitted())  # nor in any event


def test_title_admin_publishes_a_plan_and_moves_its_window_in_the_dashboard(reg, p):
    form = {"name": "2026年度卫生技术中级职称评审", "year": "2026", "committee": "重庆市卫生技术中级评审委员会",
            "committee_size": "9", "authority": "重庆市卫生健康委员会",
            "issuing_authority": "重庆市人力资源和社会保障局", "starts_at": "2026-11-01T09:00",
            "ends_at": "2030-12-31T18:00", "fee_yuan": "420",
            "titles": "卫生技术|主治医师|中级\n卫生技术|主管护师｜中级",
            "specialties": "卫生技术|内科学|\n卫生技术|护理学|临床护理",
            "attachment_rules": "学历学位证书|必填\n执业证书|必填\n继续教育证明|"}
    bad = reg.client.post("/ops/registration/titles/plans", headers=p.admin(),
                          data={**form, "titles": "卫生技术|主治医师|特级"})
    assert bad.status_code == 422 and "申报计划填写有误" in bad.text
    assert "重庆市卫生技术中级评审委员会" in bad.text  # the form keeps what was typed
    assert reg.client.post("/ops/registration/titles/plans", headers=p.unit(),
                           data=form).status_code == 403
    done = reg.client.post("/ops/registration/titles/plans", headers=p.admin(), data=form)
    assert done.status_code == 303, done.text[:500]
    [plan] = [x for x in reg.client.get(f"{API}/plans").json if x["name"] == form["name"]]
    assert plan["fee_fen"] == 42000 and plan["committee_size"] == 9
    assert [t["title_name"] for t in plan["titles"]] == ["主治医师", "主管护师"]
    assert plan["starts_at"].startswith("2026-11-01T01:00")  # 09:00 Beijing time
    assert [r["required"] for r in plan["attachment_rules"]] == [True, True, False]
    moved = reg.client.post(f"/ops/registration/titles/plans/{plan['id']}/window",
                            headers=p.admin(), data={"ends_at": "2031-01-15T18:00"})
    assert moved.status_code == 303
    again = reg.client.get(f"{API}/plans/{plan['id']}").json
    assert again["ends_at"].startswith("2031-01-15T10:00")
    backwards = reg.client.post(f"/ops/registration/titles/plans/{plan['id']}/window",
                                headers=p.admin(), data={"ends_at": "2020-01-01T00:00"})
    assert backwards.status_code == 422

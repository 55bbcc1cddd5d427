"""The title application's state machine and the authorities' rules, as plain Python."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.errors import Conflict, Invalid
from services.registration.domain.catalog import BEIJING
from services.registration.domain.titles import rules
from services.registration.domain.titles.application import (
    ABANDONED,
    COMPLETED,
    DECIDED,
    FORWARDED,
    RETURNED,
    SCHEDULED,
    SUBMITTED,
    TRANSITIONS,
    WITHDRAWN,
    TitleApplication,
    application_number,
)
from services.registration.domain.titles.sections import completeness, incomplete

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Beijing
LATER = NOW + timedelta(days=1)


def make(kind="initial", plan_id=None) -> TitleApplication:
    return TitleApplication(candidate_id="c1", number="202611230001", application_type=kind,
                            unit_id="unit-yubei", unit_name="渝北区人社局", plan_id=plan_id,
                            plan_name="计划" if plan_id else None, series="工程技术",
                            title_name="工程师", title_level="中级", specialty="建筑工程",
                            basic={"name": "罗洁"}, holder="罗洁", holder_deadline=None,
                            actor="罗洁", now=NOW)


def submit(a: TitleApplication, at=NOW) -> None:
    a.submit(at, actor="罗洁", incomplete=[], unit_deadline=rules.deadline(at, rules.UNIT_DAYS))


def decide(a: TitleApplication, approved=True, votes=None) -> None:
    a.decide(LATER, actor="郑*", by="渝北区人社局", approved=approved, note=None,
             holder_name="罗洁", document_number_masked="5001**2345",
             issuing_authority="渝北区人社局", today=LATER.date(), votes=votes)


def test_initial_title_submit_return_resubmit_decide_issue():
    a = make()
    assert a.state == "draft" and a.records[0]["event"] == "填写申报书"
    submit(a)
    assert a.state == SUBMITTED and a.pending_role == "unit" and a.pending_holder == "渝北区人社局"
    assert [e.type for e in a.events] == ["registration.title_application.submitted"]
    a.opened(LATER)
    a.return_(LATER, actor="郑*", actor_unit="渝北区人社局", reason="请完善见习工作小结",
              deadline_at=rules.deadline(LATER, rules.PROFESSIONAL_DAYS))
    assert a.state == RETURNED and a.pending_holder == "罗洁"
    assert a.return_reasons()[0]["reason"] == "退回给个人，原因：请完善见习工作小结"
    a.save_section("probation_summary", "已完善", LATER)
    submit(a, LATER)
    assert a.review_started_at is None  # a fresh submission may be withdrawn again
    decide(a)
    assert a.state == DECIDED and a.approved and a.live_key is None
    decided = a.events[-1]
    assert decided.type == "registration.title_application.decided"
    assert decided.data["approved"] is True and decided.data["votes_for"] is None
    assert a.certificate_issued(LATER, number="ZC1") is True
    assert a.state == COMPLETED and a.records[-1]["event"] == "发放证书"
    assert a.certificate_issued(LATER, number="ZC1") is False  # idempotent
    assert [r["event"] for r in a.records] == ["填写申报书", "提交申报书", "退回", "提交申报书",
                                               "评审通过", "发放证书"]


def test_withdraw_only_before_the_unit_opens_it():
    a = make()
    with pytest.raises(Conflict) as exc:
        a.withdraw(NOW, actor="罗洁")
    assert exc.value.code == "title_wrong_state"
    submit(a)
    a.withdraw(NOW, actor="罗洁")
    assert a.state == WITHDRAWN and "edit" in a.actions()
    submit(a)
    assert a.opened(LATER) is True and a.opened(LATER) is False
    with pytest.raises(Conflict) as exc:
        a.withdraw(LATER, actor="罗洁")
    assert exc.value.code == "title_review_started"


def test_editing_and_abandoning_follow_the_state():
    a = make()
    submit(a)
    with pytest.raises(Conflict) as exc:
        a.save_section("education", [], LATER)
    assert exc.value.code == "title_wrong_state" and "退回" in exc.value.message
    with pytest.raises(Conflict):
        a.abandon(LATER, actor="罗洁")
    b = make()
    b.abandon(NOW, actor="罗洁")
    assert b.state == ABANDONED and b.live_key is None and b.actions() == ["view", "record"]


def test_review_goes_through_forward_schedule_and_committee():
    a = make("review", plan_id="p1")
    submit(a)
    with pytest.raises(Conflict) as exc:
        decide(a)
    assert exc.value.code == "title_wrong_type"  # the unit cannot decide a 评审
    a.forward(NOW, actor="郑*", note=None, authority="市人社局",
              deadline_at=rules.deadline(NOW, rules.ADMIN_DAYS))
    assert a.state == FORWARDED and a.pending_role == "admin"
    a.schedule(NOW, actor="冯*", authority="市人社局", committee="评委会", meeting_on=date(2026, 12, 1),
               deadline_at=rules.meeting_deadline(date(2026, 12, 1)))
    assert a.state == SCHEDULED and a.pending_holder == "评委会"
    decide(a, approved=False, votes=rules.Votes(6, 4, 0))
    assert a.approved is False and a.state_label == "未通过（已办结）"
    assert a.events[-1].data["votes_against"] == 4
    with pytest.raises(Conflict):
        a.certificate_issued(LATER, number="ZC2")


def test_initial_and_confirmation_are_never_forwarded():
    a = make()
    submit(a)
    with pytest.raises(Conflict) as exc:
        a.forward(NOW, actor="郑*", note=None, authority="x", deadline_at=NOW)
    assert exc.value.code == "title_wrong_type"


def test_return_needs_a_reason_and_the_right_state():
    a = make()
    submit(a)
    with pytest.raises(Invalid) as exc:
        a.return_(NOW, actor="郑*", actor_unit="u", reason="  ", deadline_at=NOW)
    assert exc.value.code == "title_reason_required"
    decide(a)
    with pytest.raises(Conflict):
        a.return_(NOW, actor="郑*", actor_unit="u", reason="x", deadline_at=NOW)


def test_every_state_has_its_transitions():
    assert set(TRANSITIONS) == {"draft", SUBMITTED, WITHDRAWN, RETURNED, FORWARDED, SCHEDULED,
                                DECIDED, COMPLETED, ABANDONED}
    assert not TRANSITIONS[COMPLETED] and not TRANSITIONS[ABANDONED]


# -- rules -------------------------------------------------------------------------------------------
def test_deadlines_count_working_days_and_close_at_six_in_beijing():
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=BEIJING)
    assert rules.add_working_days(friday.date(), 1) == date(2026, 11, 30)  # the next Monday
    due = rules.deadline(friday, rules.UNIT_DAYS)
    assert due == datetime(2026, 12, 11, 18, 0, tzinfo=BEIJING)
    assert rules.meeting_deadline(date(2026, 12, 1)) == datetime(2026, 12, 8, 18, 0, tzinfo=BEIJING)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(1, 60))
def test_working_days_land_on_weekdays_after_start(start, days):
    end = rules.add_working_days(start, days)
    assert end > start and end.weekday() < 5
    assert (end - start).days <= days + 2 * (days // 5 + 2)


def test_two_thirds_of_those_present_must_vote_for():
    assert rules.Votes(10, 5, 0).passes()  # exactly 2/3
    assert not rules.Votes(9, 5, 0).passes()
    assert not rules.Votes(8, 2, 3).passes()  # abstentions count as present
    assert not rules.Votes(0, 0, 0).passes()


@given(st.integers(0, 100), st.integers(0, 100), st.integers(0, 100))
def test_vote_rule_is_integer_two_thirds(f, a, b):
    present = f + a + b
    assert rules.Votes(f, a, b).passes() == (present > 0 and f / present >= 2 / 3 - 1e-12)


def test_quorum_is_two_thirds_of_the_committee_rounded_up():
    assert rules.quorum(15) == 10 and rules.quorum(9) == 6 and rules.quorum(10) == 7
    rules.check_votes(rules.Votes(10, 0, 0), 15)
    with pytest.raises(Invalid) as exc:
        rules.check_votes(rules.Votes(6, 2, 1), 15)
    assert exc.value.code == "title_quorum_not_met"
    with pytest.raises(Invalid):
        rules.check_votes(rules.Votes(16, 0, 0), 15)


def test_plan_window_names_its_dates():
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=1)
    rules.check_window(start, end, NOW, "计划")
    with pytest.raises(Invalid) as exc:
        rules.check_window(start, end, end + timedelta(seconds=1), "计划")
    assert exc.value.code == "title_plan_closed" and "已经截止" in exc.value.message
    with pytest.raises(Invalid) as exc:
        rules.check_window(start, end, start - timedelta(seconds=1), "计划")
    assert "尚未开始" in exc.value.message


def test_attachments_are_pdfs_by_content_under_ten_megabytes():
    pdf = b"%PDF-1.7\n...\n%%EOF\n"
    rules.check_attachment(pdf)
    for content, code in ((b"\x89PNG\r\n\x1a\n", "title_attachment_type"),
                          (b"%PDF-1.4 truncated", "title_attachment_type"),
                          (b"\xff\xd8\xff\xe0jpeg\xff\xd9", "title_attachment_type"),
                          (b"", "title_attachment_required"),
                          (pdf + b"0" * rules.MAX_ATTACHMENT, "title_attachment_too_large")):
        with pytest.raises(Invalid) as exc:
            rules.check_attachment(content)
        assert exc.value.code == code


def test_staff_names_are_masked():
    assert rules.mask_name("郑小明") == "郑*" and rules.mask_name("") == "*"


def test_application_number_is_date_and_sequence():
    assert application_number(date(2026, 11, 23), 7) == "202611230007"


def test_completeness_per_type():
    full = {"name": "罗洁", "gender": "女", "birth_date": "1996-05-04", "phone": "1",
            "employer": "院", "work_start_date": "2019-07-01"}
    lists = {"education": [{"school": "重大"}], "work_history": [{"employer": "院"}],
             "achievements": []}
    rules_ = [{"name": "学历学位证书", "required": True}, {"name": "其他", "required": False}]
    report = completeness(application_type="initial", basic=full, lists=lists,
                          probation_summary=None, attachment_labels={"学历学位证书"},
                          attachment_rules=rules_)
    assert incomplete(report) == ["见习期工作小结"]
    assert report["achievements"] == {"missing": ["至少填写一条主要工作成绩及业绩材料"],
                                      "required": False, "complete": True,
                                      "label": "主要工作成绩及业绩材料"}
    review = completeness(application_type="review", basic=full, lists=lists,
                          probation_summary=None, attachment_labels=set(), attachment_rules=rules_)
    assert incomplete(review) == ["基本信息", "主要工作成绩及业绩材料", "附件材料"]
    assert review["basic"]["missing"] == ["评审委员会专业组", "申请类别"]
    assert review["attachments"]["missing"] == ["学历学位证书"]
    confirmation = completeness(application_type="confirmation", basic=full,
                                lists={"work_history": [{"x": 1}]}, probation_summary=None,
                                attachment_labels={"学历学位证书"}, attachment_rules=rules_)
    assert incomplete(confirmation) == ["基本信息"]

"""The application state machine as plain Python."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import Conflict
from services.registration.domain import application as a
from services.registration.domain.application import Application, application_number

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def make(**kw) -> Application:
    args = dict(candidate_id="c1", sitting_id="2026-TJ", exam_code="TJ", exam_name="统计专业技术资格考试",
                province="50", city="500103", level="02", specialty="01", subjects=["TJ201", "TJ202"],
                number="202650TJ000001", fee_per_subject_fen=5000, amount_fen=10000,
                review_mode="automatic", now=NOW)
    args.update(kw)
    return Application(**args)


def types(app: Application) -> list[str]:
    return [e.type for e in app.events]


def test_application_number_format():
    assert application_number(2026, "50", "TJ", 1) == "202650TJ000001"
    assert application_number(2026, "44", "JJ", 123456) == "202644JJ123456"


def test_submission_records_submitted_and_is_live():
    app = make()
    assert app.state == a.SUBMITTED and app.live_key == "c1:2026-TJ"
    assert types(app) == ["registration.application.submitted"]
    assert app.history[0]["state"] == "submitted"


def test_happy_path_records_each_fact():
    app = make()
    app.await_review(NOW, "等待学历核验结果")
    app.await_review(NOW, "等待学历核验结果")  # the same wait is one line of history
    app.approve(NOW, payment_deadline=NOW + timedelta(days=30), description="报名费")
    assert app.paid(NOW, order_number="O1", amount_fen=10000) is True
    app.admit_card_issued(NOW, number="26TJ50010300101", exam_name="x", site="s", room="r", seat=1)
    app.scores_published(NOW, exam_name="x", scores=[{"passed": True}, {"passed": True}])
    assert app.state == a.SCORES_PUBLISHED and app.qualified
    assert types(app) == ["registration.application.submitted", "registration.application.reviewed",
                          "registration.payment.requested", "registration.admit_card.issued",
                          "registration.scores.published"]
    assert [h["state"] for h in app.history] == ["submitted", "under_review", "approved", "paid",
                                                 "admit_card_issued", "scores_published"]


def test_one_failed_subject_means_not_qualified():
    app = make()
    app.approve(NOW, payment_deadline=NOW, description="d")
    app.paid(NOW, order_number="O1", amount_fen=10000)
    app.admit_card_issued(NOW, number="n", exam_name="x", site="s", room="r", seat=1)
    app.scores_published(NOW, exam_name="x", scores=[{"passed": True}, {"passed": False}])
    assert not app.qualified


def test_returned_carries_the_reason_and_can_go_back_to_review():
    app = make()
    app.return_(NOW, "学历核验未通过")
    assert app.state == a.RETURNED and app.review_reason == "学历核验未通过"
    reviewed = app.events[-1]
    assert reviewed.data["outcome"] == "returned" and reviewed.data["reason"] == "学历核验未通过"
    app.await_review(NOW, "考生修改后重新提交")
    assert app.state == a.UNDER_REVIEW


@pytest.mark.parametrize("state", sorted(a.BEFORE_PAYMENT))
def test_withdraw_before_payment_ends_the_application(state):
    app = make()
    app.state = state
    app.withdraw(NOW)
    assert app.state == a.WITHDRAWN and app.live_key is None


@pytest.mark.parametrize("state", [a.PAID, a.ADMIT_CARD_ISSUED, a.SCORES_PUBLISHED])
def test_withdraw_after_payment_is_refused(state):
    app = make()
    app.state = state
    with pytest.raises(Conflict) as exc:
        app.withdraw(NOW)
    assert exc.value.code == "withdraw_after_payment"


def test_withdraw_twice_says_it_has_ended():
    app = make()
    app.withdraw(NOW)
    with pytest.raises(Conflict) as exc:
        app.withdraw(NOW)
    assert exc.value.code == "already_ended"


def test_every_transition_not_in_the_table_is_refused():
    for state, allowed in a.TRANSITIONS.items():
        for to in set(a.TRANSITIONS) - allowed:
            app = make()
            app.state = state
            with pytest.raises(Conflict):
                app._move(to, NOW, "x")


def test_payment_is_accepted_once_and_only_when_approved():
    app = make()
    assert app.paid(NOW, order_number="O1", amount_fen=10000) is False  # not approved yet
    assert app.state == a.SUBMITTED and "待对账后退费" in app.history[-1]["note"]
    app.approve(NOW, payment_deadline=NOW, description="d")
    assert app.paid(NOW, order_number="O1", amount_fen=9000) is True
    assert "待对账" in app.history[-1]["note"]
    assert app.paid(NOW, order_number="O1", amount_fen=9000) is False  # repeat
    assert app.paid(NOW, order_number="O2", amount_fen=10000) is False  # a duplicate order
    assert app.order_number == "O1" and app.state == a.PAID


def test_refund_of_a_duplicate_order_does_not_cancel():
    app = make()
    app.approve(NOW, payment_deadline=NOW, description="d")
    app.paid(NOW, order_number="O1", amount_fen=10000)
    assert app.refunded(NOW, order_number="O2", reason="重复缴费") is False
    assert app.state == a.PAID
    assert app.refunded(NOW, order_number="O1", reason="考试取消") is True
    assert app.state == a.REFUNDED and app.live_key is None


def test_payment_requested_carries_fee_arithmetic():
    app = make(subjects=["A", "B", "C"], amount_fen=15000)
    app.approve(NOW, payment_deadline=NOW, description="d")
    requested = app.events[-1].data
    assert requested["subject_count"] == 3 and requested["amount_fen"] == 15000
    assert requested["fee_per_subject_fen"] == 5000


def test_unpaid_approved_application_expires_and_ends():
    app = make()
    deadline = NOW + timedelta(days=30)
    app.approve(NOW, payment_deadline=deadline, description="报名费")
    assert app.expire(deadline + timedelta(minutes=1), payment_deadline=deadline) is True
    assert app.state == a.EXPIRED and app.live_key is None
    assert a.STATE_LABELS[a.EXPIRED] == "已过期（未在缴费截止前缴费）"
    assert types(app)[-1] == "registration.application.expired"
    assert app.expire(NOW, payment_deadline=deadline) is False  # once only
    assert app.paid(NOW, order_number="LATE", amount_fen=10000) is False  # seed 004
    assert app.state == a.EXPIRED and "待对账后退费" in app.history[-1]["note"]
    with pytest.raises(Conflict):
        app.check_editable()


@pytest.mark.parametrize("state", ["submitted", "returned", "paid"])
def test_only_an_approved_application_expires(state):
    app = make()
    if state == "returned":
        app.return_(NOW, "学历不符")
    if state == "paid":
        app.approve(NOW, payment_deadline=NOW, description="d")
        app.paid(NOW, order_number="O1", amount_fen=10000)
    assert app.expire(NOW, payment_deadline=NOW) is False and app.state == state

"""What the message centre says about events a candidate should hear about."""
from __future__ import annotations

from services.identity.domain.messages import describe


def test_a_failed_identity_check_says_how_to_correct_the_name():
    title, body, link = describe("verification.identity.verified", {
        "outcome": "failed", "reason": "姓名与证件号码不一致"})
    assert title == "身份核验未通过" and "更正姓名" in body and link == "/account/name"
    assert describe("verification.identity.verified", {"outcome": "passed"})[0] == "身份核验通过"
    assert describe("verification.identity.verified", {"outcome": "manual_check"}) is None
    assert describe("identity.photo.locked", {}) is None


def test_cancelled_exams_and_refunds_reach_the_candidate():
    title, body, _ = describe("registration.application.cancelled", {
        "exam_name": "经济专业技术资格考试", "application_number": "202650JJ000001",
        "reason": "受台风影响，本考区考试取消", "refund": True})
    assert title == "考试已取消" and "台风" in body and "原路退回" in body
    title, body, _ = describe("payment.order.refunded", {
        "order_number": "BK1", "refunded_fen": 10000, "reason": "考试取消"})
    assert title == "退费已完成" and "100.00 元" in body

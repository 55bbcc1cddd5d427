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

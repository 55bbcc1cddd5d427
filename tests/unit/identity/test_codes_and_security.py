"""Rules for one-time codes, security answers, the captcha threshold and the photo standard."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.errors import Conflict, Invalid
from services.identity.domain import codes, photos, security

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
gaps = st.lists(st.integers(min_value=0, max_value=86_400 * 2), max_size=30)


@given(gaps)
def test_sending_is_allowed_exactly_when_both_limits_hold(seconds_ago):
    sent = [NOW - timedelta(seconds=s) for s in seconds_ago]
    recent = [t for t in sent if NOW - t < timedelta(seconds=60)]
    today = [t for t in sent if NOW - t < timedelta(days=1)]
    allowed = not recent and len(today) < codes.DAILY_LIMIT
    try:
        codes.check_can_send(sent, NOW)
        assert allowed
    except codes.RateLimited as exc:
        assert not allowed
        assert 1 <= exc.retry_after <= 86_400 + 1
        assert exc.status == 429


@given(st.integers(min_value=0, max_value=59))
def test_retry_after_says_when_the_minute_is_over(seconds_ago):
    with pytest.raises(codes.RateLimited) as exc:
        codes.check_can_send([NOW - timedelta(seconds=seconds_ago)], NOW)
    assert exc.value.retry_after == 60 - seconds_ago + 1


@given(st.integers(min_value=0, max_value=10), st.integers(min_value=-600, max_value=600),
       st.booleans())
def test_a_code_can_be_tried_only_while_fresh_unused_and_under_five_attempts(attempts, ttl_s, used):
    expires = NOW + timedelta(seconds=ttl_s)
    ok = not used and ttl_s > 0 and attempts < codes.MAX_ATTEMPTS
    try:
        codes.check_attempt(expires_at=expires, attempts=attempts, used=used, now=NOW)
        assert ok
    except Invalid as exc:
        assert not ok and exc.code in ("code_used", "code_expired", "code_attempts_exceeded")


@given(st.integers(min_value=0, max_value=10 ** 6))
def test_codes_are_six_digits(_):
    c = codes.new_code()
    assert len(c) == 6 and c.isdigit()


@given(st.text(alphabet="abcdefghij重庆 ", min_size=1, max_size=20))
def test_answers_ignore_case_width_and_spaces(answer):
    wide = "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in answer)
    assert security.normalise_answer(answer.upper()) == security.normalise_answer(wide)
    assert " " not in security.normalise_answer(answer)


def test_security_question_must_be_from_the_list():
    with pytest.raises(Invalid) as exc:
        security.validate_question("您最喜欢的颜色？", "蓝色")
    assert exc.value.code == "security_question_unknown"
    with pytest.raises(Invalid):
        security.validate_question(security.SECURITY_QUESTIONS[0], " a ")


@given(st.integers(0, 20), st.integers(0, 30))
def test_captcha_after_three_failures_per_login_or_ten_per_ip(by_login, by_ip):
    assert security.captcha_needed(by_login, by_ip) == (by_login >= 3 or by_ip >= 10)


@given(st.integers(100, 600), st.integers(100, 800), st.integers(1000, 60_000))
def test_photo_standard_names_the_rule(width, height, size):
    kw = dict(fmt="JPEG", width=width, height=height, size=size, max_bytes=20480, mode="RGB",
              background_white=True)
    if (width, height) == (295, 413) and size <= 20480:
        photos.check_standard(**kw)
        return
    with pytest.raises(Invalid) as exc:
        photos.check_standard(**kw)
    assert exc.value.code in ("photo_dimensions", "photo_too_large")


def test_a_locked_photo_changes_only_by_request():
    assert photos.next_status_on_upload(None) == "current"
    assert photos.next_status_on_upload("locked") == "change_requested"
    with pytest.raises(Conflict):
        photos.check_reviewable("locked")

"""The check aggregate: verdicts announce themselves, outages wait, stale claims change nothing."""
from datetime import UTC, datetime, timedelta

import pytest

from services.verification.domain.model import FINAL, STATUS_LABELS, STATUSES, Check
from services.verification.domain.rules import Outcome

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CLAIM = {"level": "本科", "school": "重庆大学", "major": "土木工程", "graduation_date": "2012-06-30",
         "certificate_number": "106111201205000123", "study_mode": "全日制"}


def new_check() -> Check:
    c = Check(candidate_id="cand-1", kind="education", now=T0)
    assert c.refresh(name="王小明", claim=CLAIM, certificate_number=CLAIM["certificate_number"],
                     as_of=T0)
    c.restart(T0)
    return c


def test_every_status_has_a_chinese_label():
    assert set(STATUS_LABELS) == set(STATUSES)


def test_a_verdict_records_the_verified_event():
    c = new_check()
    c.decide(Outcome("passed", "matched", "学历信息与学信网记录一致"), T0,
             facts={"level": "本科", "major": "土木工程", "graduation_date": None})
    assert c.status == "passed" and c.decided_at == T0
    [event] = c.events
    assert event.type == "verification.education.verified"
    assert event.data["outcome"] == "passed" and event.data["check_id"] == c.id


def test_checking_is_not_a_verdict():
    with pytest.raises(ValueError):
        new_check().decide(Outcome("checking", "x", "y"), T0)


def test_outage_keeps_checking_and_backs_off():
    c = new_check()
    c.registry_unavailable(T0, "timeout")
    first = c.next_attempt_at - T0
    c.registry_unavailable(T0, "timeout")
    assert c.status == "checking" and c.attempts == 2 and c.events == []
    assert c.next_attempt_at - T0 > first
    assert not c.due(T0) and c.due(c.next_attempt_at)


def test_older_claim_is_ignored_newer_one_taken():
    c = new_check()
    older = {**CLAIM, "level": "大专"}
    assert not c.refresh(name=None, claim=older, certificate_number="x",
                         as_of=T0 - timedelta(minutes=1))
    assert c.claim == CLAIM
    assert not c.refresh(name="王小明", claim=CLAIM, certificate_number=CLAIM["certificate_number"],
                         as_of=T0 + timedelta(minutes=1))  # the same claim again: nothing new
    assert c.refresh(name=None, claim=older, certificate_number="x",
                     as_of=T0 + timedelta(minutes=2))
    assert c.claim == older


def test_a_check_without_a_name_waits_for_it():
    c = Check(candidate_id="cand-1", kind="education", now=T0)
    c.refresh(name=None, claim=CLAIM, certificate_number="n", as_of=T0)
    c.restart(T0)
    assert not c.ready and c.next_attempt_at is None and c.reason_code == "awaiting_name"
    # The registration event arrives late (older timestamp) but still brings the name.
    assert c.refresh(name="王小明", claim=CLAIM, certificate_number="n",
                     as_of=T0 - timedelta(seconds=5))
    assert c.ready and c.claim_at == T0


def test_final_statuses():
    assert FINAL == {"passed", "failed", "manual_check", "on_site_check"}

"""Identity's events in, a check and its verified event out (same transaction, per contract)."""
from __future__ import annotations

import time
from datetime import timedelta

from services.common import clock
from tests.service.verification.conftest import UNREACHABLE, WANG


def test_registered_candidate_is_checked_and_the_outcome_announced(svc):
    svc.deliver(svc.registered())
    [event] = svc.emitted()
    assert event["candidate_id"] == "cand-1" and event["outcome"] == "passed"
    assert event["education_level"] == "本科" and event["major"] == "土木工程"
    assert event["graduation_date"] == "2012-06-30"
    [check] = svc.my_checks(kind="education")
    assert check["kind"] == "education" and check["status"] == "passed"
    assert check["status_label"] == "核验通过" and check["updated_at"]
    assert check["reason"] == "学历信息与学信网记录一致"


def test_redelivered_event_makes_one_check_and_one_event(svc):
    event = svc.registered()
    for _ in range(3):
        svc.deliver(event)
    assert len(svc.emitted()) == 1
    assert len(svc.my_checks(kind="education")) == 1


def test_unknown_certificate_fails_with_a_reason(svc):
    svc.deliver(svc.registered(education={**WANG, "certificate_number": "106111201205999999"}))
    [event] = svc.emitted()
    assert event["outcome"] == "failed"
    assert event["reason"] == "学信网未查到该学历证书编号，请核对或上传学历证明"
    assert svc.my_checks(kind="education")[0]["status_label"] == "核验未通过"


def test_name_mismatch_fails_naming_the_name(svc):
    svc.deliver(svc.registered(name="王晓明"))
    [event] = svc.emitted()
    assert event["outcome"] == "failed" and "姓名" in event["reason"]


def test_no_education_passes_even_during_an_outage(svc):
    svc.set_outage(True)
    svc.deliver(svc.registered(education={"level": "无"}))
    [event] = svc.emitted()
    assert (event["outcome"], event["reason"]) == ("passed", "未填写学历，无需核验")
    assert event["education_level"] == "无"


def test_education_before_2002_needs_a_manual_check(svc):
    svc.deliver(svc.registered(name="钱进", education={
        **WANG, "certificate_number": "106111200105000456", "graduation_date": "2001-07-01"}))
    [event] = svc.emitted()
    assert (event["outcome"], event["reason"]) == ("manual_check", "2002 年以前的学历需人工核验")
    assert svc.my_checks(kind="education")[0]["status_label"] == "需人工核验"


def test_outage_never_fails_the_candidate_and_the_job_passes_them_later(svc):
    svc.set_outage(True)
    svc.deliver(svc.registered())
    [check] = svc.my_checks(kind="education")
    assert check["status"] == "checking" and check["status_label"] == "核验中"
    assert "自动重试" in check["reason"]
    assert svc.emitted() == []
    clock.shift(timedelta(minutes=1))
    # still down: waits longer (so does the identity check: identity is not running here)
    assert svc.run_retry_job() == {"decided": 0, "waiting": 2}
    assert svc.my_checks(kind="education")[0]["status"] == "checking" and svc.emitted() == []
    assert svc.run_retry_job() == {"decided": 0, "waiting": 0}  # backed off: not due yet
    svc.set_outage(False)
    clock.shift(timedelta(minutes=5))
    assert svc.run_retry_job() == {"decided": 1, "waiting": 1}
    assert svc.my_checks(kind="education")[0]["status"] == "passed"
    assert [e["outcome"] for e in svc.emitted()] == ["passed"]
    assert svc.run_retry_job() == {"decided": 0, "waiting": 0}


def test_injected_failures_keep_the_check_waiting(make_settings, bus, tokens, restore_clock):
    from services.verification.bootstrap import bootstrap
    from services.verification.web import create_app
    from tests.service.verification.conftest import Verification
    rt = bootstrap(make_settings("verification", extra={
        "registry_latency_ms": 0, "registry_failure_rate": 1.0, "identity_url": UNREACHABLE}),
        transport=bus)
    v = Verification(rt, create_app(rt, verifier=tokens.verifier).test_client(), tokens)
    v.deliver(v.registered())
    assert v.my_checks()[0]["status"] == "checking" and v.emitted() == []


def test_changed_education_is_checked_again(svc):
    svc.deliver(svc.registered(name="李华", education={**WANG, "certificate_number": "1"}))
    assert svc.emitted()[0]["outcome"] == "failed"
    clock.shift(timedelta(seconds=1))
    svc.deliver(svc.profile_changed(education={
        "level": "本科", "school": "中山大学", "major": "工程管理", "graduation_date": "2014-06-30",
        "certificate_number": "105581201405001357", "study_mode": "全日制"}))
    assert [e["outcome"] for e in svc.emitted()] == ["failed", "passed"]
    assert len(svc.my_checks(kind="education")) == 1 and svc.my_checks(kind="education")[0]["status"] == "passed"


def test_stale_or_unrelated_profile_changes_change_nothing(svc):
    svc.deliver(svc.registered())
    older = clock.now() - timedelta(hours=1)
    svc.deliver(svc.profile_changed(education={**WANG, "level": "大专"}, at=older))
    svc.deliver(svc.profile_changed(changed=("phone",)))
    assert [e["outcome"] for e in svc.emitted()] == ["passed"]


def test_a_name_change_is_checked_again(svc):
    svc.deliver(svc.registered())
    clock.shift(timedelta(seconds=1))
    svc.deliver(svc.profile_changed(changed=("name",), name="王晓明"))
    assert [e["outcome"] for e in svc.emitted()] == ["passed", "failed"]


def test_profile_change_before_registration_waits_for_the_name(svc):
    t = clock.now()
    svc.deliver(svc.profile_changed(education=WANG, at=t + timedelta(seconds=1)))
    assert svc.my_checks(kind="education")[0]["status"] == "checking" and svc.emitted() == []
    svc.deliver(svc.registered(education={**WANG, "level": "大专"}, at=t))
    [event] = svc.emitted()
    assert event["outcome"] == "passed" and event["education_level"] == "本科"


def test_added_registry_record_rechecks_a_not_found_failure(svc):
    svc.deliver(svc.registered(name="周杰伦", education={
        **WANG, "certificate_number": "106111201805009999", "graduation_date": "2018-06-30"}))
    assert svc.emitted()[0]["outcome"] == "failed"
    resp = svc.client.post("/api/verification/registry/education", headers=svc.staff(), json={
        "certificate_number": "106111201805009999", "name": "周杰伦", "level": "本科",
        "school": "重庆大学", "major": "土木工程", "graduation_date": "2018-06-30",
        "study_mode": "全日制"})
    assert resp.status_code == 201
    [check] = svc.my_checks(kind="education")
    assert (check["status"], check["reason"]) == ("checking", "正在与学信网核对，请稍候")
    assert svc.run_retry_job()["decided"] == 1
    assert [e["outcome"] for e in svc.emitted()] == ["failed", "passed"]


def test_through_the_bus_with_the_worker(svc, bus):
    from services.common.bus.base import Outgoing
    from services.common.runtime import WorkerHandle
    handle = WorkerHandle(svc.rt).start(jobs=False)
    bus.start()
    try:
        event = svc.registered()
        message = Outgoing(event.id, event.type, event.to_json().encode())
        bus.publish([message, message])  # delivered twice
        deadline = clock.now() + timedelta(seconds=10)
        while clock.now() < deadline:
            bus.wait_idle(5)
            out = [m for m in bus.published if m.type == "verification.education.verified"]
            if out:
                break
            time.sleep(0.02)
        assert len(out) == 1
        bus.wait_idle(5)
        assert len(svc.emitted()) == 1
    finally:
        handle.stop()

"""Reporting title certificates to the national platform (人社部专业技术人员职称信息平台, seed 003):
reported after issuance and after each approved correction by the worker job, kept through
outages and lost acknowledgements, compared and re-reported by the holder, re-queued by officers."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from services.certificates.adapters.national_platform import (
    NationalConfig,
    SimulatedNationalPlatform,
)
from services.certificates.service_layer import national
from services.common import clock
from services.common.events import validate_data
from tests.service.certificates.test_title_certificates import PDF, title_cert

API = "/api/certificates"
ACK = "certificates.national_report.acknowledged"


@pytest.fixture(autouse=True)
def _clock():
    yield
    clock.reset()


def platform(svc):
    return svc.rt.services["national"]


def run(svc, p=None) -> int:
    """One run of the worker's ``national_reports`` job."""
    return national.work(svc.rt, p or platform(svc))


def state(svc, number: str, sub: str = "cand-1", compare: bool = False) -> dict:
    resp = svc.client.get(f"{API}/{number}/national", headers=svc.holder(sub),
                          query_string={"compare": "true"} if compare else {})
    assert resp.status_code == 200, resp.json
    return resp.json


def acks(svc, number: str) -> list:
    return [e for e in svc.events(ACK) if e.data["certificate_number"] == number]


def test_a_title_certificate_is_reported_once_after_issuance(svc):
    svc.qualify()  # qualification certificates are not reported
    cert = title_cert(svc)
    n = cert["number"]
    assert state(svc, n)["status"]["state"] == "pending"
    assert state(svc, n)["status"]["state_label"] == "上报中"
    assert platform(svc).query(n) is None
    assert run(svc) == 1  # only the title certificate was queued
    status = state(svc, n)["status"]
    assert status["state"] == "reported" and status["state_label"] == "已上报"
    assert status["reported_version"] == 1 and status["receipt"].startswith("RSB")
    held = platform(svc).query(n)
    assert held["holder_name"] == "罗洁" and held["title_name"] == "工程师" and held["version"] == 1
    assert run(svc) == 0  # nothing due
    [event] = acks(svc, n)
    validate_data(event.type, event.data, version=event.version)
    assert event.version == 1
    assert {k: event.data[k] for k in ("version", "duplicate", "requested_by", "receipt")} == {
        "version": 1, "duplicate": False, "requested_by": "system", "receipt": status["receipt"]}
    compared = state(svc, n, compare=True)["platform"]
    assert compared["available"] and compared["mismatch"] is False
    assert compared["message"] == "人社部平台的信息与本证书一致"
    qualification = svc.mine()[-1]
    assert qualification["kind"] == "qualification"
    resp = svc.client.get(f"{API}/{qualification['number']}/national", headers=svc.holder())
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_a_title_certificate"


def test_an_outage_keeps_the_report_pending_until_the_platform_is_back(svc):
    n = title_cert(svc)["number"]
    platform(svc).switch.set(True, "演练")
    assert run(svc) == 1
    status = state(svc, n)["status"]
    assert status["state"] == "failed" and status["state_label"] == "上报失败，将自动重试"
    assert status["attempts"] == 1 and "暂停服务" in status["last_error"]
    assert state(svc, n, compare=True)["platform"]["available"] is False
    assert run(svc) == 0  # backing off: not due for 30 s
    clock.shift(timedelta(seconds=31))
    assert run(svc) == 1 and state(svc, n)["status"]["attempts"] == 2  # still down: 60 s now
    platform(svc).switch.set(False, "演练")
    clock.shift(timedelta(seconds=30))
    assert run(svc) == 0
    clock.shift(timedelta(seconds=31))
    assert run(svc) == 1
    status = state(svc, n)["status"]
    assert status["state"] == "reported" and status["attempts"] == 0 and status["last_error"] is None
    assert platform(svc).query(n)["version"] == 1
    assert len(acks(svc, n)) == 1


def test_a_lost_acknowledgement_is_answered_as_a_duplicate_and_announced_once(svc):
    n = title_cert(svc)["number"]
    lossy = SimulatedNationalPlatform(svc.rt.engine, NationalConfig(
        latency_ms=0, duplicate_ack_rate=1.0, seed=1), platform(svc).switch)
    assert run(svc, lossy) == 1
    assert state(svc, n)["status"]["state"] == "failed"
    assert platform(svc).query(n)["version"] == 1  # stored although the answer was lost
    clock.shift(timedelta(seconds=31))
    assert run(svc, lossy) == 1
    assert state(svc, n)["status"]["state"] == "reported"
    [event] = acks(svc, n)
    assert event.data["duplicate"] is True


def _correct(svc, number: str, new_name: str = "罗婕") -> None:
    asked = svc.client.post(f"{API}/{number}/corrections", headers=svc.holder(), data={
        "kind": "name", "new_value": new_name, "proofs": [(io.BytesIO(PDF), "改名证明.pdf")]},
        content_type="multipart/form-data")
    assert asked.status_code == 201, asked.json
    done = svc.client.post(f"{API}/corrections/{asked.json['id']}/approve", headers=svc.officer())
    assert done.status_code == 200, done.json


def test_an_approved_correction_is_re_reported_with_the_new_version(svc):
    n = title_cert(svc)["number"]
    run(svc)
    _correct(svc, n)
    status = state(svc, n)["status"]
    assert (status["state"], status["version"], status["reported_version"]) == ("pending", 2, 1)
    compared = state(svc, n, compare=True)["platform"]
    assert [f["label"] for f in compared["fields"] if f["differs"]] == ["姓名"]
    assert run(svc) == 1
    status = state(svc, n)["status"]
    assert (status["state"], status["reported_version"]) == ("reported", 2)
    held = platform(svc).query(n)
    assert (held["version"], held["holder_name"]) == (2, "罗婕")
    assert [e.data["version"] for e in sorted(acks(svc, n), key=lambda e: e.data["version"])] \
        == [1, 2]


def test_holder_re_reports_only_after_a_mismatch(svc):
    n = title_cert(svc)["number"]
    report = f"{API}/{n}/national/report"
    pending = svc.client.post(report, headers=svc.holder())
    assert pending.status_code == 409 and pending.json["error"]["code"] == "report_pending"
    run(svc)
    same = svc.client.post(report, headers=svc.holder())
    assert same.status_code == 422 and same.json["error"]["code"] == "nothing_differs"
    assert "无需重新上报" in same.json["error"]["message"]

    platform(svc).overwrite(n, holder_name="罗杰", specialty="结构")  # wrong at their end
    compared = state(svc, n, compare=True)["platform"]
    assert compared["mismatch"] is True and compared["message"] == "人社部平台的信息与本证书不一致"
    differing = {f["label"]: (f["ours"], f["theirs"]) for f in compared["fields"] if f["differs"]}
    assert differing == {"姓名": ("罗洁", "罗杰"), "职称专业": ("建筑", "结构")}
    assert svc.client.post(report, headers=svc.holder("cand-2")).status_code == 404
    accepted = svc.client.post(report, headers=svc.holder())
    assert accepted.status_code == 202, accepted.json
    assert accepted.json["state"] == "pending" and accepted.json["requested_by"] == "holder"
    again = svc.client.post(report, headers=svc.holder())
    assert again.json["error"]["code"] == "report_pending"
    run(svc)
    assert platform(svc).query(n)["holder_name"] == "罗洁"
    assert state(svc, n, compare=True)["platform"]["mismatch"] is False
    [_, re_report] = sorted(acks(svc, n), key=lambda e: e.data["reported_at"])
    assert re_report.data["requested_by"] == "holder" and re_report.data["version"] == 1

    platform(svc).overwrite(n, holder_name="罗杰")
    soon = svc.client.post(report, headers=svc.holder())
    assert soon.status_code == 429 and soon.json["error"]["code"] == "too_soon"
    clock.shift(timedelta(minutes=11))
    asked = svc.client.post(f"{API}/{n}/corrections", headers=svc.holder(), data={
        "kind": "name", "new_value": "罗婕", "proofs": [(io.BytesIO(PDF), "改名证明.pdf")]},
        content_type="multipart/form-data")
    assert asked.status_code == 201
    blocked = svc.client.post(report, headers=svc.holder())
    assert blocked.status_code == 409 and blocked.json["error"]["code"] == "correction_pending"


def test_holder_is_told_when_the_platform_cannot_be_queried(svc):
    n = title_cert(svc)["number"]
    run(svc)
    platform(svc).switch.set(True, "演练")
    resp = svc.client.post(f"{API}/{n}/national/report", headers=svc.holder())
    assert resp.status_code == 409 and resp.json["error"]["code"] == "national_unavailable"
    assert "暂时无法查询人社部平台" in resp.json["error"]["message"]


def test_officers_see_failures_and_re_queue_others_cannot(svc):
    n = title_cert(svc)["number"]
    q = svc.qualify()["number"]
    platform(svc).switch.set(True, "演练")
    run(svc)
    listed = svc.client.get(f"{API}/national-reports?state=failed", headers=svc.officer())
    assert listed.status_code == 200 and [r["number"] for r in listed.json] == [n]
    auditor = svc.officer("auditor-1", "auditor")
    assert svc.client.get(f"{API}/national-reports", headers=auditor).status_code == 200
    requeue = f"{API}/national-reports/{n}/requeue"
    assert svc.client.post(requeue, headers=auditor).status_code == 403
    assert svc.client.post(requeue, headers=svc.holder()).status_code == 403
    assert svc.client.get(f"{API}/national-reports", headers=svc.holder()).status_code == 403
    not_title = svc.client.post(f"{API}/national-reports/{q}/requeue", headers=svc.officer())
    assert not_title.status_code == 409 and not_title.json["error"]["code"] == "not_a_title_certificate"

    desk = svc.client.get("/ops/certificates/desk", headers=svc.officer()).get_data(as_text=True)
    assert "上报人社部平台" in desk and "上报失败 1" in desk and "暂停服务中" in desk
    assert "立即重新上报" in desk
    seen = svc.client.get("/ops/certificates/desk", headers=auditor).get_data(as_text=True)
    assert n in seen and "立即重新上报" not in seen and "模拟平台停机" not in seen
    resp = svc.client.post("/ops/certificates/national/outage", data={"outage": "off"},
                           headers=svc.officer())
    assert resp.status_code == 302 and not platform(svc).switch.is_out()
    assert run(svc) == 0  # backing off
    done = svc.client.post(requeue, headers=svc.officer())
    assert done.status_code == 202 and done.json["requested_by"] == "officer"
    assert done.json["attempts"] == 0
    assert run(svc) == 1 and state(svc, n)["status"]["state"] == "reported"
    [event] = acks(svc, n)
    assert event.data["requested_by"] == "officer"
    detail = svc.client.get(f"/ops/certificates/{n}", headers=svc.officer()).get_data(as_text=True)
    assert "已上报" in detail and "重新上报人社部" in detail


def test_a_revoked_title_is_reported_and_the_holder_cannot_re_report_it(svc):
    from tests.service.certificates.test_revocation import revoke
    n = title_cert(svc)["number"]
    run(svc)
    assert platform(svc).query(n)["status"] == "有效"
    revoke(svc, n)
    status = state(svc, n)["status"]
    assert status["state"] == "pending"  # queued in the revocation's transaction
    compared = state(svc, n, compare=True)["platform"]
    assert [(f["label"], f["ours"], f["theirs"]) for f in compared["fields"] if f["differs"]] \
        == [("证书状态", "已吊销", "有效")]
    platform(svc).switch.set(True, "演练")  # an outage only delays it
    assert run(svc) == 1 and state(svc, n)["status"]["state"] == "failed"
    platform(svc).switch.set(False, "演练")
    clock.shift(timedelta(minutes=1))
    assert run(svc) == 1
    held = platform(svc).query(n)
    assert held["status"] == "已吊销" and held["version"] == 1
    assert state(svc, n)["status"]["state"] == "reported"
    refused = svc.client.post(f"{API}/{n}/national/report", headers=svc.holder())
    assert refused.status_code == 409 and refused.json["error"]["code"] == "certificate_revoked"
    again = svc.client.post(f"{API}/national-reports/{n}/requeue", headers=svc.officer())
    assert again.status_code == 202  # an officer may push the revocation again
    assert run(svc) == 1 and platform(svc).query(n)["status"] == "已吊销"

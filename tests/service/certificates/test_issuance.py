"""A qualified candidate gets exactly one signed certificate and one issued event."""
from sqlalchemy import func, select

from services.certificates.adapters.orm import certificates
from services.certificates.domain import numbers
from services.common.events import validate_data
from tests.service.certificates.conftest import BASE, qualification, qualified_event


def count(svc) -> int:
    with svc.rt.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(certificates)).scalar()


def test_qualified_event_issues_a_certificate_and_announces_it(svc):
    cert = svc.qualify()
    assert numbers.is_well_formed(cert["number"]) and cert["number"].startswith("BK2026JJS")
    assert cert["title"] == "经济专业技术资格（中级）" and cert["status"] == "valid"
    [event] = svc.issued_events()
    validate_data(event.type, event.data, version=event.version)  # strict: the published contract
    assert event.data == {
        "certificate_number": cert["number"], "qualification_id": cert["_data"]["qualification_id"],
        "candidate_id": "cand-1", "title": "经济专业技术资格（中级）",
        "issued_on": cert["issued_on"], "verification_url": f"{BASE}/verify?number={cert['number']}"}
    assert event.subject == cert["number"] and event.source == "/baokao/certificates"


def test_redelivered_and_resent_events_have_no_second_effect(svc):
    data = qualification()
    body = qualified_event(data)
    svc.deliver(body)
    svc.deliver(body)  # the broker redelivers the same message
    svc.deliver(qualified_event(data))  # registration sends the fact again under a new id
    assert count(svc) == 1
    assert len(svc.issued_events()) == 1
    svc.rt.relay.drain()
    assert len(svc.issued_events()) == 1


def test_numbers_run_per_year_and_exam(svc):
    a = svc.qualify()["number"]
    b = svc.qualify()["number"]
    c = svc.qualify(exam_code="ZJ-01", sitting_year=2025)["number"]
    assert a[:15] == "BK2026JJS000001" and b[:15] == "BK2026JJS000002"
    assert c[:16] == "BK2025ZJ01000001"


def parked(svc):
    dead = svc.rt.tables.dead_letters
    with svc.rt.engine.connect() as conn:
        return conn.execute(select(dead)).all()


def test_an_event_breaking_the_contract_is_parked_not_retried(svc):
    import json
    body = json.loads(qualified_event(qualification()))
    del body["data"]["holder_name"]
    svc.deliver(json.dumps(body).encode())
    assert count(svc) == 0
    [row] = parked(svc)
    assert row.attempts == 1 and "PermanentFailure" in row.error


def test_an_unusable_exam_code_is_parked_at_once(svc):
    svc.deliver(qualified_event(qualification(exam_code="--")))
    assert count(svc) == 0
    [row] = parked(svc)
    assert row.attempts == 1 and "exam_code_unusable" in row.error

"""Professional-title certificates (职称证书): registration's ``title_application.decided`` with
``approved`` issues one, in its own number series, with the existing verification, corrections,
sharing and PDF; a refusal issues nothing; redeliveries and re-sends have no second effect."""
from __future__ import annotations

import io
import json
import uuid

from services.certificates.adapters.orm import certificates
from services.certificates.domain import numbers
from services.common.bus.base import Outgoing
from services.common.events import CloudEvent, validate_data
from tests.service.certificates.conftest import BASE

API = "/api/certificates"
DECIDED = "registration.title_application.decided"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def decision(**over) -> dict:
    data = dict(application_id=f"ta-{uuid.uuid4().hex[:12]}", application_number="20260623ABCD",
                candidate_id="cand-1", holder_name="罗洁", document_number_masked="500112********21",
                application_type="initial", title_name="工程师", title_level="中级",
                series="工程技术", specialty="建筑", approved=True, votes_for=None,
                votes_against=None, votes_abstain=None, decided_by="渝北区人力资源和社会保障局",
                issuing_authority="渝北区人力资源和社会保障局", decided_on="2026-06-30")
    data.update(over)
    return data


def decided_event(data: dict, event_id: str | None = None) -> bytes:
    clean = validate_data(DECIDED, data)  # strict: exactly what registration's outbox publishes
    return CloudEvent(id=event_id or str(uuid.uuid4()), source="/baokao/registration",
                      type=DECIDED, data=clean, subject=data["application_id"]).to_json().encode()


def deliver(svc, body: bytes) -> None:
    svc.bus.publish([Outgoing(str(uuid.uuid4()), DECIDED, body)])
    assert svc.bus.wait_idle(10)


def count(svc) -> int:
    from sqlalchemy import func, select
    with svc.rt.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(certificates)).scalar()


def title_cert(svc, **over) -> dict:
    """Deliver an approved decision; the holder's listing entry of the new certificate."""
    data = decision(**over)
    before = {c["number"] for c in svc.mine(data["candidate_id"])}
    deliver(svc, decided_event(data))
    [cert] = [c for c in svc.mine(data["candidate_id"]) if c["number"] not in before]
    return cert | {"_data": data}


def test_approved_title_issues_a_title_certificate_in_its_own_series(svc):
    svc.qualify()  # a qualification certificate first: the series do not share counters
    cert = title_cert(svc)
    assert cert["number"].startswith("ZC2026ZJ000001") and numbers.is_well_formed(cert["number"])
    assert cert["kind"] == "title" and cert["kind_label"] == "职称证书"
    assert cert["title"] == "工程师（中级）" and cert["specialty"] == "建筑"
    assert (cert["series"], cert["title_name"], cert["title_level"]) == ("工程技术", "工程师", "中级")
    assert cert["application_type_label"] == "职称初定"
    assert cert["issuing_authority"] == "渝北区人力资源和社会保障局"
    second = title_cert(svc, title_level="副高级", title_name="高级工程师")
    assert second["number"].startswith("ZC2026FG000001")
    third = title_cert(svc)
    assert third["number"].startswith("ZC2026ZJ000002")

    only_titles = svc.client.get(f"{API}/me?kind=title", headers=svc.holder()).json
    assert {c["number"] for c in only_titles} == {cert["number"], second["number"], third["number"]}
    qualifications = svc.client.get(f"{API}/me?kind=qualification", headers=svc.holder()).json
    assert [c["kind"] for c in qualifications] == ["qualification"]

    events = [e for e in svc.issued_events() if e.data.get("kind") == "title"]
    first = next(e for e in events if e.data["certificate_number"] == cert["number"])
    validate_data(first.type, first.data, version=first.version)
    assert first.data == {
        "certificate_number": cert["number"], "qualification_id": cert["_data"]["application_id"],
        "application_id": cert["_data"]["application_id"], "kind": "title",
        "candidate_id": "cand-1", "title": "工程师（中级）", "issued_on": cert["issued_on"],
        "verification_url": f"{BASE}/verify?number={cert['number']}"}


def test_the_signed_credential_states_the_title_and_verifies(svc):
    cert = title_cert(svc)
    doc = svc.client.get(f"{API}/{cert['number']}/credential.json", headers=svc.holder()).json
    assert doc["type"] == ["VerifiableCredential", "BaokaoProfessionalTitleCredential"]
    assert doc["issuer"]["name"] == "渝北区人力资源和社会保障局"
    subject = doc["credentialSubject"]
    assert subject["name"] == "罗洁" and "qualification" not in subject
    assert subject["professionalTitle"] == {
        "type": "BaokaoProfessionalTitle", "series": "工程技术", "title": "工程师", "level": "中级",
        "fullTitle": "工程师（中级）", "specialty": "建筑", "applicationType": "initial",
        "applicationNumber": "20260623ABCD", "decidedBy": "渝北区人力资源和社会保障局",
        "decidedOn": "2026-06-30"}
    check = svc.client.post(f"{API}/verify/credential", json=doc).json
    assert check["status"] == "valid" and check["signature_valid"] is True

    public = svc.verify(cert["number"], "罗洁")
    assert public["status"] == "valid" and public["signature_valid"] is True
    shown = public["certificate"]
    assert shown["kind"] == "title" and shown["title"] == "工程师（中级）"
    assert shown["series"] == "工程技术" and shown["decided_by"] == "渝北区人力资源和社会保障局"
    assert svc.verify(cert["number"], "张三")["status"] == "not_found"

    tampered = json.loads(json.dumps(doc))
    tampered["credentialSubject"]["professionalTitle"]["level"] = "正高级"
    assert svc.client.post(f"{API}/verify/credential", json=tampered).json["status"] == "invalid"


def test_the_pdf_is_a_sealed_title_certificate(svc):
    cert = title_cert(svc)
    resp = svc.client.get(f"{API}/{cert['number']}/certificate.pdf", headers=svc.holder())
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    from tests.service.certificates.test_pades import status_of
    status = status_of(svc, resp.data)
    assert status.intact and status.valid and status.trusted
    from pyhanko.pdf_utils.reader import PdfFileReader
    info = PdfFileReader(io.BytesIO(resp.data)).trailer["/Info"]
    assert str(info["/Subject"]) == "专业技术人员职称电子证书" and cert["number"] in str(info["/Title"])


def test_a_refusal_issues_nothing_and_repeats_have_no_second_effect(svc):
    deliver(svc, decided_event(decision(approved=False, application_type="review", votes_for=3,
                                        votes_against=5, votes_abstain=1,
                                        decided_by="工程技术系列中级职称评审委员会")))
    assert count(svc) == 0 and svc.issued_events() == []
    data = decision()
    body = decided_event(data)
    deliver(svc, body)
    deliver(svc, body)  # the broker redelivers
    deliver(svc, decided_event(data))  # registration re-sends the fact under a new event id
    assert count(svc) == 1
    assert len(svc.issued_events()) == 1


def test_corrections_and_sharing_work_for_title_certificates(svc):
    cert = title_cert(svc)
    n = cert["number"]
    asked = svc.client.post(f"{API}/{n}/corrections", headers=svc.holder(), data={
        "kind": "name", "new_value": "罗婕", "note": "已改名",
        "proofs": [(io.BytesIO(PDF), "改名证明.pdf")]}, content_type="multipart/form-data")
    assert asked.status_code == 201, asked.json
    done = svc.client.post(f"{API}/corrections/{asked.json['id']}/approve", headers=svc.officer())
    assert done.status_code == 200 and done.json["version"] == 2
    v2 = svc.client.get(f"{API}/{n}/credential.json", headers=svc.holder()).json
    assert v2["credentialSubject"]["name"] == "罗婕"
    assert v2["credentialSubject"]["professionalTitle"]["title"] == "工程师"
    assert svc.verify(n, "罗婕")["status"] == "valid"
    assert svc.verify(n, "罗洁")["status"] == "corrected"

    link = svc.client.post(f"{API}/{n}/shares", json={"pin": "k8s2j9", "label": "某设计院"},
                           headers=svc.holder())
    assert link.status_code == 201
    token = link.json["url"].rsplit("/", 1)[1]
    opened = svc.client.post(f"{API}/shared/{token}", json={"pin": "k8s2j9"})
    assert opened.status_code == 200 and opened.json["status"] == "valid"
    assert opened.json["certificate"]["kind"] == "title"
    assert svc.client.get(f"{API}/{n}/history", headers=svc.holder("cand-2")).status_code == 404


def test_a_decision_breaking_the_contract_is_parked(svc):
    body = json.loads(decided_event(decision()))
    del body["data"]["holder_name"]
    deliver(svc, json.dumps(body).encode())
    assert count(svc) == 0
    from sqlalchemy import select
    with svc.rt.engine.connect() as conn:
        [row] = conn.execute(select(svc.rt.tables.dead_letters)).all()
    assert row.event_type == DECIDED

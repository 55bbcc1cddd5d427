"""The title-application events: in the AsyncAPI catalog, strict for producers, and the
certificates fact registration reads for title certificates carries what it needs."""
from __future__ import annotations

import pytest

from services.common.asyncapi import asyncapi_document
from services.common.events import EventValidationError, validate_data
from services.common.events.registry import latest

TYPES = [f"registration.title_application.{f}"
         for f in ("submitted", "withdrawn", "returned", "forwarded", "decided")]
DECIDED = {"application_id": "a1", "application_number": "202611230001", "candidate_id": "c1",
           "holder_name": "罗洁", "document_number_masked": "5001**********2345",
           "application_type": "review", "title_name": "工程师", "title_level": "中级",
           "series": "工程技术", "specialty": "建筑工程", "approved": True, "votes_for": 9,
           "votes_against": 3, "votes_abstain": 1, "decided_by": "重庆市工程技术中级职称评审委员会",
           "issuing_authority": "重庆市人力资源和社会保障局", "decided_on": "2026-12-01"}


def test_title_events_are_published_in_the_catalog():
    doc = asyncapi_document()
    for t in TYPES:
        c = latest(t)
        assert c.producer == "registration" and c.version == 1
        assert c.key in doc["components"]["messages"]


def test_decided_carries_what_a_title_certificate_prints():
    clean = validate_data("registration.title_application.decided", DECIDED)
    assert clean["approved"] is True and clean["decided_on"] == "2026-12-01"
    unit_decided = {**DECIDED, "application_type": "initial", "votes_for": None,
                    "votes_against": None, "votes_abstain": None}
    validate_data("registration.title_application.decided", unit_decided)
    for broken in ({**DECIDED, "title_level": "高级"}, {**DECIDED, "application_type": "x"},
                   {k: v for k, v in DECIDED.items() if k != "holder_name"},
                   {**DECIDED, "votes_for": -1}, {**DECIDED, "extra": 1}):
        with pytest.raises(EventValidationError):
            validate_data("registration.title_application.decided", broken)


def test_certificate_issued_names_the_title_application():
    """Registration recognises a title certificate by ``qualification_id`` = the application
    id (and ``application_id`` / ``kind`` when the certificates contract carries them)."""
    fields = latest("certificates.certificate.issued").schema().fields
    assert {"certificate_number", "qualification_id"} <= set(fields)

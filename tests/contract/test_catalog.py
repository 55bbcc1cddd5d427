"""The event catalog is complete, consistent, and matches what the code emits and consumes."""
from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from services.common.asyncapi import asyncapi_document
from services.common.config import SERVICES
from services.common.events.registry import load_catalog
from tests.contract.asyncapi_check import validator

ROOT = Path(__file__).resolve().parents[2]


def _emitted_types(service: str) -> set[str]:
    """Event types named in a service's code: ``<service>.<entity>.<fact>`` string literals,
    whether passed to ``emit``/``record`` directly or kept in a constant or a mapping."""
    pattern = re.compile(rf"^{service}\.[a-z_]+\.[a-z_]+$")
    found = set()
    for path in (ROOT / "services" / service).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and pattern.match(node.value):
                found.add(node.value)
    return found


def test_every_contract_is_in_the_asyncapi_document():
    doc = asyncapi_document()
    assert doc["asyncapi"] == "3.0.0"
    catalog = load_catalog()
    assert catalog, "no event contracts registered"
    for c in catalog.values():
        assert c.key in doc["components"]["messages"]
        assert c.key in doc["components"]["schemas"]
        assert c.key in doc["channels"][c.type]["messages"]
    for name, op in doc["operations"].items():
        channel = op["channel"]["$ref"].split("/")[-1]
        assert channel in doc["channels"], name


@pytest.mark.parametrize("service", SERVICES)
def test_what_a_service_emits_is_a_contract_it_owns(service):
    catalog = load_catalog()
    emitted = _emitted_types(service)
    assert emitted, f"{service} emits no events"
    for event_type in emitted:
        owners = {c.producer for (t, _), c in catalog.items() if t == event_type}
        assert owners == {service}, f"{service} emits {event_type} owned by {owners or 'nobody'}"


@pytest.mark.parametrize("service", SERVICES)
def test_what_a_service_consumes_exists(service, make_settings, bus):
    runtime = importlib.import_module(f"services.{service}.bootstrap").bootstrap(
        make_settings(service), transport=bus)
    types = {t for _, (event_types, _) in runtime.handlers.items() for t in event_types}
    known = {t for t, _ in load_catalog()}
    assert types <= known, f"{service} subscribes to unknown event types {types - known}"


def test_schemas_accept_a_valid_example_and_reject_unknown_fields():
    v = validator("verification.education.verified.v1")
    good = {"candidate_id": "c1", "check_id": "k1", "outcome": "passed", "reason": None,
            "education_level": "本科", "major": "土木工程", "graduation_date": "2012-06-30",
            "checked_at": "2026-11-23T10:00:00+00:00"}
    assert not list(v.iter_errors(good))
    assert list(v.iter_errors({**good, "outcome": "maybe"}))
    assert list(v.iter_errors({**good, "surprise": 1}))
    assert list(v.iter_errors({k: x for k, x in good.items() if k != "candidate_id"}))


def test_decimals_are_described_as_the_strings_they_travel_as():
    v = validator("registration.scores.published.v1")
    event = {"application_id": "a1", "application_number": "202650JJ000001", "candidate_id": "c1",
             "exam_name": "经济", "published_at": "2026-11-23T10:00:00+00:00",
             "scores": [{"subject_code": "01", "subject_name": "经济基础", "score": "75.5",
                         "status_code": None, "passed": True}]}
    assert not list(v.iter_errors(event))
    event["scores"][0]["score"] = "seventy"
    assert list(v.iter_errors(event))

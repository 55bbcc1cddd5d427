"""Event contracts: strict for the producer, tolerant for the consumer."""
from __future__ import annotations

from datetime import date

import pytest
from marshmallow import Schema, fields

from services.common.events import REGISTRY, EventValidationError, contract, validate_data
from services.common.events.registry import latest


class ThingV1(Schema):
    thing_id = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    due = fields.Date(allow_none=True)


class ThingV2(Schema):
    thing_id = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    due = fields.Date(allow_none=True)
    colour = fields.String(load_default=None)


@pytest.fixture
def thing_contracts():
    contract("unitprobe.thing.made", producer="unitprobe", summary="v1")(ThingV1)
    contract("unitprobe.thing.made", producer="unitprobe", summary="v2", version=2)(ThingV2)
    yield
    for v in (1, 2):
        REGISTRY.pop(("unitprobe.thing.made", v), None)


def test_producer_validation_is_strict_and_serialises(thing_contracts):
    data = validate_data("unitprobe.thing.made", {"thing_id": "t1", "amount_fen": 100,
                                                  "due": date(2026, 5, 1)}, version=1)
    assert data == {"thing_id": "t1", "amount_fen": 100, "due": "2026-05-01"}
    with pytest.raises(EventValidationError) as err:
        validate_data("unitprobe.thing.made", {"thing_id": "t1", "amount_fen": 1, "extra": 1},
                      version=1)
    assert "extra" in str(err.value.messages)
    with pytest.raises(EventValidationError):
        validate_data("unitprobe.thing.made", {"thing_id": "t1"}, version=1)  # required missing
    with pytest.raises(EventValidationError):
        validate_data("unitprobe.thing.made", {"thing_id": "t1", "amount_fen": "lots"}, version=1)


def test_consumer_validation_ignores_fields_a_newer_producer_added(thing_contracts):
    loaded = validate_data("unitprobe.thing.made",
                           {"thing_id": "t1", "amount_fen": 5, "colour": "红", "future": True},
                           version=1, strict=False)
    assert loaded == {"thing_id": "t1", "amount_fen": 5}
    with pytest.raises(EventValidationError):  # but a missing required field is still an error
        validate_data("unitprobe.thing.made", {"amount_fen": 5}, version=1, strict=False)


def test_latest_version_is_used_when_none_is_given(thing_contracts):
    assert latest("unitprobe.thing.made").version == 2
    assert validate_data("unitprobe.thing.made", {"thing_id": "t", "amount_fen": 1,
                                                  "colour": "蓝"})["colour"] == "蓝"


def test_unknown_types_and_versions_are_errors(thing_contracts):
    with pytest.raises(EventValidationError, match="unknown event type"):
        validate_data("unitprobe.nothing.happened", {})
    with pytest.raises(EventValidationError, match="unknown version"):
        validate_data("unitprobe.thing.made", {}, version=9)


def test_contract_registration_rules(thing_contracts):
    with pytest.raises(RuntimeError, match="must start with its producer"):
        contract("other.thing.made", producer="unitprobe", summary="x")(ThingV1)
    with pytest.raises(RuntimeError, match="registered twice"):
        contract("unitprobe.thing.made", producer="unitprobe", summary="x")(ThingV2)
    # registering the very same schema again (a module imported twice) is harmless
    contract("unitprobe.thing.made", producer="unitprobe", summary="v1")(ThingV1)


def test_the_published_catalog_is_consistent():
    from services.common.events.registry import load_catalog
    for (type_, version), c in load_catalog().items():
        assert type_.startswith(c.producer + ".") and c.version == version and c.summary


def test_consumers_ignore_unknown_fields_inside_nested_objects_too():
    """identity's education claim and registration's scores are nested: a field a newer
    producer adds there must not park the event at an older consumer."""
    data = {"candidate_id": "c-1", "username": "wang01", "name": "王小明",
            "document_type": "resident_id", "document_number_masked": "110105********002X",
            "birth_date": "1990-01-01", "registered_at": "2026-11-23T10:00:00+00:00",
            "education": {"level": "本科", "school": "重庆大学", "major": "土木工程",
                          "graduation_date": "2012-06-30", "certificate_number": "1061",
                          "study_mode": "全日制", "added_later": "x"}}
    loaded = validate_data("identity.candidate.registered", data, version=1, strict=False)
    assert loaded["education"]["school"] == "重庆大学" and "added_later" not in loaded["education"]
    with pytest.raises(EventValidationError):  # producers still may not send unknown fields
        validate_data("identity.candidate.registered", data, version=1)

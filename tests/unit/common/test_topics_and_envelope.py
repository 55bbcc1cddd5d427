"""Topic matching and the CloudEvents envelope: the parts every message goes through."""
from __future__ import annotations

import json

import pytest

from services.common.bus.base import topic_matches
from services.common.events import CloudEvent, new_event


@pytest.mark.parametrize("pattern, key, expected", [
    ("payment.order.paid", "payment.order.paid", True),
    ("payment.order.paid", "payment.order.refunded", False),
    ("payment.*.paid", "payment.order.paid", True),
    ("payment.*", "payment.order.paid", False),  # * is exactly one word
    ("*.order.paid", "payment.order.paid", True),
    ("payment.#", "payment.order.paid", True),
    ("payment.#", "payment", True),  # # is zero or more words
    ("#", "identity.candidate.registered", True),
    ("#.paid", "payment.order.paid", True),
    ("payment.#.paid", "payment.paid", True),
    ("payment.#.paid", "payment.order.refund.paid", True),
    ("payment.#.paid", "payment.order.refunded", False),
    ("identity.#", "payment.order.paid", False),
    ("payment.order", "payment.order.paid", False),
    ("payment.order.paid.extra", "payment.order.paid", False),
])
def test_topic_matches_follows_amqp_semantics(pattern, key, expected):
    assert topic_matches(pattern, key) is expected


def _event(**kw) -> CloudEvent:
    defaults = dict(source="/baokao/payment", type="payment.order.paid",
                    data={"order_id": "o-1", "amount_fen": 12000, "name": "张三"},
                    subject="o-1", version=2, correlationid="corr-1", causationid="cause-1")
    return new_event(**{**defaults, **kw})


def test_cloud_event_round_trips_through_json():
    ev = _event()
    body = ev.to_json()
    assert "张三" in body  # UTF-8, not \\u escapes
    again = CloudEvent.from_json(body.encode())
    assert again == ev
    assert again.version == 2
    assert again.dataschema.endswith("payment.order.paid.v2")
    assert (again.correlationid, again.causationid) == ("corr-1", "cause-1")


def test_none_attributes_are_left_out_and_version_defaults_to_one():
    ev = CloudEvent(id="e1", source="/baokao/x", type="x.y.z", data={})
    raw = json.loads(ev.to_json())
    assert "subject" not in raw and "correlationid" not in raw and "dataschema" not in raw
    assert CloudEvent.from_dict(raw).version == 1
    assert CloudEvent(id="e1", source="s", type="t", data={}, dataschema="odd.vX").version == 1


def test_reader_tolerates_unknown_attributes():
    raw = json.loads(_event().to_json())
    raw["traceparent"] = "00-abc-def-01"  # an extension this code does not know
    raw["partitionkey"] = "p"
    ev = CloudEvent.from_dict(raw)
    assert ev.id == raw["id"] and not hasattr(ev, "traceparent")


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r.pop("id"), "lacks id"),
    (lambda r: r.pop("type"), "lacks type"),
    (lambda r: r.update(source=""), "lacks source"),
    (lambda r: r.update(specversion="0.3"), "unsupported specversion"),
    (lambda r: r.update(data=[1, 2]), "not an object"),
    (lambda r: r.pop("data"), "not an object"),
])
def test_reader_rejects_broken_envelopes(mutate, message):
    raw = json.loads(_event().to_json())
    mutate(raw)
    with pytest.raises(ValueError, match=message):
        CloudEvent.from_dict(raw)


def test_reader_rejects_non_objects_and_bad_json():
    with pytest.raises(ValueError):
        CloudEvent.from_json(b"[1, 2]")
    with pytest.raises(ValueError):
        CloudEvent.from_json(b"{not json")

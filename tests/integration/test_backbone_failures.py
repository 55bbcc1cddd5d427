"""Failing handlers and malformed messages: retried, parked, recorded, replayed."""
from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from services.common.bus.base import Outgoing
from tests.integration import backbone_app
from tests.integration.backbone_app import EVENT, wait_until

# fixtures
probes, probe_contract = backbone_app.probes, backbone_app.probe_contract
backbone_vhost, wiring = backbone_app.backbone_vhost, backbone_app.wiring

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.mark.parametrize("quorum", [False, True], ids=["classic", "quorum"])
def test_failing_handler_is_retried_parked_recorded_and_replayed_once(probes, quorum):
    p = probes(retry=(50, 100, 200), quorum=quorum)
    p.broken.set()
    handle = p.start()
    wait_until(handle.amqp_worker.connected.is_set, 10, what="consumer up")
    started = time.monotonic()
    [event_id] = p.emit(1)

    [row] = wait_until(p.dead_letters, 10, what="the dead-letter row")
    elapsed = time.monotonic() - started
    assert p.calls == 4  # first try + three retries
    assert elapsed >= 0.35  # it waited the 50 + 100 + 200 ms back-off
    assert (row.event_id, row.event_type, row.queue, row.attempts, row.status) == (
        event_id, EVENT, p.queue, 4, "parked")
    assert "probe handler is broken" in row.error
    assert p.effects_total() == 0

    p.broken.clear()  # the bug is fixed and deployed; ops replays from the dashboard
    p.runtime.transport.redeliver(row.queue, row.payload.encode())
    wait_until(lambda: p.effects_total() == 1, 10, what="the replayed effect")
    p.runtime.transport.redeliver(row.queue, row.payload.encode())  # a double click
    time.sleep(0.3)
    assert p.effect_counts() == Counter({event_id: 1})
    assert p.calls == 5


def test_malformed_messages_are_parked_at_once_and_the_worker_goes_on(probes):
    p = probes()
    good = json.loads(_envelope(p))
    handle = p.start()
    wait_until(handle.amqp_worker.connected.is_set, 10, what="consumer up")
    bad_schema = dict(good, id="bad-schema-1", data={"n": "not a number"})
    p.runtime.transport.publish([
        Outgoing("junk-1", EVENT, b"{this is not json"),
        Outgoing("bad-schema-1", EVENT, json.dumps(bad_schema).encode()),
    ])
    rows = wait_until(lambda: len(p.dead_letters()) == 2 and p.dead_letters(), 10,
                      what="two dead letters")
    by_type = {r.event_type: r for r in rows}
    assert set(by_type) == {"(unreadable)", EVENT}
    assert all(r.attempts == 1 and r.queue == p.queue for r in rows)  # parked without retries
    assert "invalid event" in by_type["(unreadable)"].error
    assert "invalid event" in by_type[EVENT].error and "n" in by_type[EVENT].error
    assert by_type[EVENT].event_id == "bad-schema-1"
    assert p.calls == 0

    [event_id] = p.emit(1)  # the worker is still consuming
    wait_until(lambda: p.effects_total() == 1, 10, what="a good event after the bad ones")
    assert p.effect_counts() == Counter({event_id: 1})


def test_long_event_ids_are_handled_or_parked_and_the_worker_goes_on(probes):
    """CloudEvents ids are any string. PostgreSQL enforces column lengths: a 100-character id
    is handled once, a 250-character one (longer than the tables keep) is parked at once and
    its dead letter recorded, instead of failing the parking and coming back forever."""
    p = probes()
    good = json.loads(_envelope(p))
    handle = p.start()
    wait_until(handle.amqp_worker.connected.is_set, 10, what="consumer up")
    long_id, too_long = "l" * 100, "t" * 250
    p.runtime.transport.publish([
        Outgoing(i, EVENT, json.dumps(dict(good, id=i)).encode()) for i in (long_id, too_long)])
    [row] = wait_until(p.dead_letters, 10, what="the dead letter of the too-long id")
    assert (row.event_id, row.attempts) == (too_long[:200], 1)
    assert "at most 200 characters" in row.error
    assert json.loads(row.payload)["id"] == too_long
    wait_until(lambda: p.effects_total() == 1, 10, what="the long id's effect")
    assert p.effect_counts() == Counter({long_id: 1})

    [event_id] = p.emit(1)  # the worker is still consuming
    wait_until(lambda: p.effects_total() == 2, 10, what="a good event after the long ids")
    assert p.effect_counts() == Counter({long_id: 1, event_id: 1})


def _envelope(p) -> str:
    """A valid event as the relay would publish it (taken from the outbox, then cleared)."""
    from sqlalchemy import delete, select
    p.emit(1)
    o = p.tables.outbox
    with p.runtime.engine.begin() as conn:
        payload = conn.execute(select(o.c.payload)).scalar_one()
        conn.execute(delete(o))
    return payload

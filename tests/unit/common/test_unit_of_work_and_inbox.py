"""The unit of work writes events into the outbox in its own transaction; the inbox dedups.

Runs a throw-away service ("unitprobe") on SQLite with the in-memory bus.
"""
from __future__ import annotations

import json
import time

import pytest
from marshmallow import Schema, fields
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from services.common import context
from services.common.bus.base import Outgoing
from services.common.config import Settings
from services.common.db import platform_tables
from services.common.domain import Aggregate
from services.common.errors import PermanentFailure
from services.common.events import REGISTRY, CloudEvent, EventValidationError, contract
from services.common.runtime import ServiceRuntime, WorkerHandle

ASKED, ANSWERED = "unitprobe.question.asked", "unitprobe.question.answered"


class Asked(Schema):
    n = fields.Integer(required=True)


class Answered(Schema):
    n = fields.Integer(required=True)


@pytest.fixture
def probe_contracts():
    contract(ASKED, producer="unitprobe", summary="test")(Asked)
    contract(ANSWERED, producer="unitprobe", summary="test")(Answered)
    yield
    REGISTRY.pop((ASKED, 1), None)
    REGISTRY.pop((ANSWERED, 1), None)


class Service:
    def __init__(self, tmp_path, bus):
        md = MetaData()
        self.tables = platform_tables(md)
        self.things = Table("things", md, Column("id", Integer, primary_key=True),
                            Column("event_id", String(36)), Column("n", Integer))
        settings = Settings("unitprobe", data_dir=tmp_path, amqp_url=None, production=False,
                            retry_delays_ms=(10, 20, 40))
        self.rt = ServiceRuntime(settings, md, self.tables, transport=bus)
        self.rt.create_schema()

        @self.rt.handler("answer", ASKED)
        def answer(event, uow):
            if event.data["n"] < 0:
                raise PermanentFailure("negative questions are not answered")
            uow.session.execute(insert(self.things).values(event_id=event.id, n=event.data["n"]))
            uow.emit(ANSWERED, {"n": event.data["n"] + 1}, subject=event.subject)

    def outbox(self) -> list[CloudEvent]:
        o = self.tables.outbox
        with self.rt.engine.connect() as conn:
            return [CloudEvent.from_json(p) for p in
                    conn.execute(select(o.c.payload).order_by(o.c.position)).scalars()]

    def count(self, table) -> int:
        with self.rt.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def svc(tmp_path, bus, probe_contracts):
    s = Service(tmp_path, bus)
    yield s
    s.rt.engine.dispose()


def test_emit_writes_the_outbox_in_the_same_transaction(svc):
    with svc.rt.uow() as uow:
        uow.session.execute(insert(svc.things).values(n=1))
        event_id = uow.emit(ASKED, {"n": 1}, subject="q-1")
        uow.commit()
    [ev] = svc.outbox()
    assert (ev.id, ev.type, ev.data, ev.subject, ev.source) == (
        event_id, ASKED, {"n": 1}, "q-1", "/baokao/unitprobe")
    assert ev.dataschema.endswith(f"{ASKED}.v1")


def test_rollback_leaves_neither_state_nor_event(svc):
    with pytest.raises(LookupError):
        with svc.rt.uow() as uow:
            uow.session.execute(insert(svc.things).values(n=1))
            uow.emit(ASKED, {"n": 1})
            raise LookupError("the use case fails before commit")
    with svc.rt.uow() as uow:  # an explicit rollback too
        uow.emit(ASKED, {"n": 2})
        uow.rollback()
        uow.commit()  # nothing left to commit
    assert svc.outbox() == [] and svc.count(svc.things) == 0


def test_an_invalid_event_fails_the_use_case_before_anything_is_written(svc):
    with pytest.raises(EventValidationError):
        with svc.rt.uow() as uow:
            uow.session.execute(insert(svc.things).values(n=1))
            uow.emit(ASKED, {"n": "many", "oops": 1})
            uow.commit()
    assert svc.outbox() == [] and svc.count(svc.things) == 0


def test_aggregate_events_go_to_the_outbox_on_commit(svc):
    class Question(Aggregate):
        pass
    q = Question()
    q.record(ASKED, "q-9", n=9)
    with svc.rt.uow() as uow:
        uow.track(q)
        uow.commit()
    assert [(e.type, e.subject, e.data) for e in svc.outbox()] == [(ASKED, "q-9", {"n": 9})]
    assert q.events == []


def test_one_request_shares_a_correlation_id_without_causation(svc):
    token = context.correlation_id.set(None)
    try:
        with svc.rt.uow() as uow:
            uow.emit(ASKED, {"n": 1})
            uow.emit(ASKED, {"n": 2})
            uow.commit()
    finally:
        context.correlation_id.reset(token)
    a, b = svc.outbox()
    assert a.correlationid and a.correlationid == b.correlationid
    assert a.causationid is None and b.causationid is None


def test_handler_events_carry_the_incoming_correlation_and_causation(svc):
    incoming = CloudEvent(id="ev-in-1", source="/baokao/elsewhere", type=ASKED, data={"n": 4},
                          subject="q-4", correlationid="corr-42")
    [sub] = svc.rt.subscriptions()
    sub.callback(incoming.to_json().encode())
    [out] = svc.outbox()
    assert (out.type, out.data, out.subject) == (ANSWERED, {"n": 5}, "q-4")
    assert (out.correlationid, out.causationid) == ("corr-42", "ev-in-1")
    assert context.causation_id.get() is None  # the context does not leak out of the handler


def test_the_inbox_makes_a_redelivered_event_harmless(svc):
    [sub] = svc.rt.subscriptions()
    body = CloudEvent(id="ev-dup", source="/x", type=ASKED, data={"n": 1}).to_json().encode()
    for _ in range(3):
        sub.callback(body)
    assert svc.count(svc.things) == 1 and len(svc.outbox()) == 1


def test_consumer_ignores_unknown_fields_and_rejects_broken_messages(svc):
    [sub] = svc.rt.subscriptions()
    newer = CloudEvent(id="ev-new", source="/x", type=ASKED, data={"n": 1, "added_later": "x"})
    sub.callback(newer.to_json().encode())
    assert svc.count(svc.things) == 1
    for body in (b"{not json", json.dumps({"id": "x"}).encode(),
                 CloudEvent(id="ev-bad", source="/x", type=ASKED, data={"n": "x"}).to_json().encode()):
        with pytest.raises(PermanentFailure, match="invalid event"):
            sub.callback(body)


def test_end_to_end_on_the_in_memory_bus_with_parking(svc, bus):
    handle = WorkerHandle(svc.rt).start()
    try:
        with svc.rt.uow() as uow:
            uow.emit(ASKED, {"n": 1})
            uow.emit(ASKED, {"n": -1})  # the handler refuses it: parked at once
            uow.commit()
        deadline = time.monotonic() + 5
        while (svc.rt.relay.backlog()[0] or not bus.wait_idle(0.05)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert svc.count(svc.things) == 1
        with svc.rt.engine.connect() as conn:
            [row] = conn.execute(select(svc.tables.dead_letters)).all()
        assert row.attempts == 1 and "negative" in row.error and row.event_type == ASKED
        assert sorted(e.type for e in svc.outbox()) == [ANSWERED, ASKED, ASKED]
    finally:
        handle.stop()


def test_long_event_ids_are_handled_or_parked_never_lost(svc, bus):
    """CloudEvents ids are any string. Up to the 200 characters the inbox keeps, an event is
    handled once; parked ones keep a row each even when long ids share a prefix; a longer id
    is parked at once (its column could never hold it) with the reason."""
    WorkerHandle(svc.rt).start(relay=False, jobs=False)

    def publish(event_id: str, n: int) -> None:
        body = CloudEvent(id=event_id, source="/elsewhere", type=ASKED, data={"n": n})
        bus.publish([Outgoing(event_id, ASKED, body.to_json().encode())])

    handled, refused_a, refused_b, too_long = ("h" * 100, "r" * 99 + "a", "r" * 99 + "b",
                                               "x" * 201)
    publish(handled, 1)
    publish(handled, 1)  # redelivered
    publish(refused_a, -1)
    publish(refused_b, -1)
    publish(too_long, 2)
    assert bus.wait_idle(5)

    with svc.rt.engine.connect() as conn:
        assert conn.execute(select(svc.things.c.event_id)).scalars().all() == [handled]
        assert conn.execute(select(svc.tables.inbox.c.event_id)).scalars().all() == [handled]
        parked = {r.event_id: r for r in conn.execute(select(svc.tables.dead_letters))}
    assert set(parked) == {refused_a, refused_b, too_long[:200]}
    assert all(r.attempts == 1 for r in parked.values())
    assert "negative" in parked[refused_a].error and "negative" in parked[refused_b].error
    assert "at most 200 characters" in parked[too_long[:200]].error
    assert CloudEvent.from_json(parked[too_long[:200]].payload).id == too_long  # kept whole


def test_stopping_embedded_mode_handles_the_events_committed_just_before(svc, bus, tmp_path,
                                                                        monkeypatch):
    """Ctrl-C right after a burst of commits: the relay publishes them one last time and the
    bus handles every one before stop returns, instead of dropping events already marked sent."""
    monkeypatch.setenv("BAOKAO_DATA_DIR", str(tmp_path))  # Platform() sets it when missing
    from deploy.embedded import Platform
    platform = Platform(tmp_path)
    platform.bus, platform.workers = bus, [WorkerHandle(svc.rt).start(jobs=False)]
    with svc.rt.uow() as uow:
        for n in range(30):
            uow.emit(ASKED, {"n": n})
        uow.commit()
    assert platform.stop() == 0
    assert svc.count(svc.things) == 30
    assert {e.type for e in svc.outbox()} == {ASKED, ANSWERED}  # the answers wait, unsent

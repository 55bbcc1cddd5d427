"""A tiny test-only service ("probe") on the shared backbone, plus the helpers its tests share.

Its one handler inserts a row into ``effects`` (no unique key), so a second effect of one event
is visible as a duplicate row. Tests build several runtimes of it on one database to play
several processes of the same service.

``rabbitmqctl`` takes about a second per call, so the backbone tests share one vhost and each
test gets its own exchange and service name (hence its own queues) inside it instead.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import amqp
import pytest
from marshmallow import Schema, fields
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from services.common.config import Settings
from services.common.db import platform_tables
from services.common.events import REGISTRY, contract
from services.common.runtime import ServiceRuntime, WorkerHandle
from tests.support import servers

EVENT = "probe.thing.happened"


class ProbeHappened(Schema):
    n = fields.Integer(required=True)


def register_contract() -> None:
    contract(EVENT, producer="probe", summary="Test-only event of the backbone tests.")(ProbeHappened)


def unregister_contract() -> None:
    REGISTRY.pop((EVENT, 1), None)


class Probe:
    """One process-worth of the probe service: runtime, handler, and its effects table."""

    def __init__(self, tmp_path, database_url: str, amqp_url: str, *, retry=(50, 100, 200),
                 confirm_timeout: float = 2.0, create: bool = True, service: str = "probe",
                 exchange: str = "baokao.events", quorum: bool = False):
        md = MetaData()
        self.tables = platform_tables(md)
        self.effects = Table("effects", md,
                             Column("id", Integer, primary_key=True, autoincrement=True),
                             Column("event_id", String(200), nullable=False),
                             Column("value", Integer, nullable=False))
        settings = Settings(service, data_dir=tmp_path / "probe-data", database_url=database_url,
                            amqp_url=amqp_url, production=False, retry_delays_ms=tuple(retry),
                            confirm_timeout_seconds=confirm_timeout, relay_poll_seconds=0.02,
                            exchange=exchange, quorum_queues=quorum)
        self.queue = f"baokao.{service}.record" + (".quorum" if quorum else "")
        self.runtime = ServiceRuntime(settings, md, self.tables)
        if create:
            self.runtime.create_schema()
        self.broken = threading.Event()  # set: the handler raises (a bug, until "fixed")
        self.calls = 0
        self.delay = 0.0  # seconds the handler takes (to make concurrent deliveries overlap)
        self.handles: list[WorkerHandle] = []

        @self.runtime.handler("record", EVENT)
        def record(event, uow):
            self.calls += 1
            if self.broken.is_set():
                raise RuntimeError("probe handler is broken")
            if self.delay:
                time.sleep(self.delay)
            uow.session.execute(insert(self.effects).values(event_id=event.id,
                                                            value=event.data["n"]))

    def emit(self, count: int, start: int = 0) -> list[str]:
        """Commit ``count`` events in one transaction; return their ids."""
        with self.runtime.uow() as uow:
            ids = [uow.emit(EVENT, {"n": start + i}) for i in range(count)]
            uow.commit()
        return ids

    def start(self, **kw) -> WorkerHandle:
        handle = WorkerHandle(self.runtime).start(**kw)
        self.handles.append(handle)
        return handle

    def effect_counts(self) -> Counter:
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(select(self.effects.c.event_id, func.count())
                                .group_by(self.effects.c.event_id)).all()
        return Counter({event_id: n for event_id, n in rows})

    def effects_total(self) -> int:
        with self.runtime.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(self.effects)).scalar_one()

    def unsent(self) -> int:
        return self.runtime.relay.backlog()[0]

    def dead_letters(self) -> list:
        t = self.tables.dead_letters
        with self.runtime.engine.connect() as conn:
            return conn.execute(select(t).order_by(t.c.parked_at)).all()

    def close(self) -> None:
        for h in self.handles:  # signal every thread first, then wait for them
            h.runtime.relay.stop()
            if h.amqp_worker:
                h.amqp_worker.stop()
        for h in self.handles:
            h.stop()
        self.runtime.transport.close()
        self.runtime.engine.dispose()


def wait_until(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Tap:
    """A plain consumer queue bound to the probe events (no inbox): counts what was published."""

    def __init__(self, amqp_url: str, exchange: str = "baokao.events", name: str = "test.tap"):
        from urllib.parse import unquote, urlparse
        u = urlparse(amqp_url)
        self.conn = amqp.Connection(f"{u.hostname}:{u.port}", userid=u.username,
                                    password=u.password, virtual_host=unquote(u.path[1:]) or "/",
                                    connect_timeout=5)
        self.conn.connect()
        self.ch = self.conn.channel()
        self.name = f"{exchange}.{name}"
        self.ch.exchange_declare("baokao.unrouted", "fanout", durable=True, auto_delete=False)
        self.ch.exchange_declare(exchange, "topic", durable=True, auto_delete=False,
                                 arguments={"alternate-exchange": "baokao.unrouted"})
        self.ch.queue_declare(self.name, durable=False, auto_delete=True)
        self.ch.queue_bind(self.name, exchange, "probe.#")
        self.ids: list[str] = []

    def drain(self) -> Counter:
        while True:
            msg = self.ch.basic_get(self.name, no_ack=True)
            if msg is None:
                break
            self.ids.append(msg.properties.get("message_id"))
        return Counter(self.ids)

    def idle(self, queue: str) -> bool:
        """No message of ``queue`` or its retry queues is waiting or unacknowledged."""
        names = [queue] + [f"{queue}.retry.{d}ms" for d in (50, 100, 200)]
        for name in names:
            _, ready, _ = self.ch.queue_declare(name, passive=True)
            if ready:
                return False
        return True

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001 - tests tear down regardless
            pass


@pytest.fixture
def probe_contract():
    register_contract()
    yield
    unregister_contract()


@pytest.fixture(scope="session")
def backbone_vhost(rabbitmq_url):
    url, name = servers.fresh_vhost(rabbitmq_url)
    yield url
    servers.drop_vhost(name)


@pytest.fixture
def wiring():
    """This test's own service name and exchange inside the shared vhost."""
    tag = uuid.uuid4().hex[:8]
    return {"service": f"probe{tag}", "exchange": f"test.{tag}.events"}


@pytest.fixture
def probes(tmp_path, pg_database, backbone_vhost, wiring, probe_contract):
    """Factory of probe runtimes on one fresh database; all closed afterwards."""
    made: list[Probe] = []

    def make(amqp_url: str | None = None, **kw) -> Probe:
        p = Probe(tmp_path, pg_database, amqp_url or backbone_vhost, create=not made,
                  **{**wiring, **kw})
        made.append(p)
        return p
    yield make
    for p in reversed(made):
        p.close()

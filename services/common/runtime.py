"""The composition root's product: one object per service per process.

A service's ``bootstrap()`` builds it (engine, tables, transport, relay, handlers); the web app
and the worker receive it, so nothing is built at import time and tests build fresh ones.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import MetaData, text
from sqlalchemy.orm import sessionmaker

from services.common.bus.amqp import AmqpTransport, AmqpWorker, Topology
from services.common.bus.base import Subscription, Transport
from services.common.bus.memory import InMemoryBus
from services.common.config import Settings
from services.common.db import PlatformTables, ensure_database, make_engine
from services.common.inbox import DeadLetterStore, InboxHandler
from services.common.outbox import OutboxRelay
from services.common.unit_of_work import UnitOfWork, Wakeup

_default_bus: InMemoryBus | None = None
_bus_lock = threading.Lock()


def default_bus(settings: Settings) -> InMemoryBus:
    """The process-wide in-memory bus of embedded mode (every service in the process shares it)."""
    global _default_bus
    with _bus_lock:
        if _default_bus is None:
            _default_bus = InMemoryBus(settings.retry_delays_ms)
        return _default_bus


class ServiceRuntime:
    def __init__(self, settings: Settings, metadata: MetaData, tables: PlatformTables, *,
                 migrations_dir: Path | None = None, transport: Transport | None = None):
        self.settings = settings
        self.name = settings.service
        self.metadata = metadata
        self.tables = tables
        self.migrations_dir = migrations_dir
        if settings.production:
            ensure_database(settings.database_url)
        self.engine = make_engine(settings.database_url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.topology = Topology(settings.exchange, settings.quorum_queues,
                                 settings.retry_delays_ms)
        if transport is None:
            transport = (AmqpTransport(settings.amqp_url, self.topology,
                                       settings.confirm_timeout_seconds)
                         if settings.amqp_url else default_bus(settings))
        self.transport = transport
        self.wakeup = Wakeup()
        self.relay = OutboxRelay(self.engine, tables, transport,
                                 poll_seconds=settings.relay_poll_seconds, wakeup=self.wakeup,
                                 name=f"{self.name}-relay")
        self.dead_letters = DeadLetterStore(self.engine, tables)
        self.handlers: dict[str, tuple[tuple[str, ...], Callable]] = {}
        self.jobs: dict[str, tuple[float, Callable]] = {}
        self.services: dict[str, object] = {}  # adapters the handlers need (registries, keys…)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.tables, self.settings.source,
                          on_commit=self.wakeup.set)

    def handler(self, name: str, *event_types: str):
        """Register an event handler ``fn(event, uow)`` under a stable name (its queue's name)."""
        def register(fn):
            self.handlers[name] = (event_types, fn)
            return fn
        return register

    def periodic(self, name: str, every_seconds: float):
        """Register a job ``fn(runtime)`` the worker runs on a timer (retries, expiry, polling).

        Every worker process runs it, so a job must be safe to run concurrently (claim rows
        with SKIP LOCKED or make each step idempotent).
        """
        def register(fn):
            self.jobs[name] = (every_seconds, fn)
            return fn
        return register

    def subscriptions(self) -> list[Subscription]:
        return [Subscription(self.name, name, types, InboxHandler(name, fn, self.uow),
                             self.dead_letters)
                for name, (types, fn) in self.handlers.items()]

    def declare_queues(self) -> None:
        """Declare this service's queues on the broker (deploy step, before any relay publishes).

        A topic exchange drops what no queue is bound to (ours parks it in ``baokao.unrouted``),
        so on a fresh broker every service's queues must exist before the first event flows.
        """
        if not self.settings.amqp_url:
            return
        from kombu import Connection
        with Connection(self.settings.amqp_url, connect_timeout=5) as conn:
            ch = conn.connection.channel()
            self.topology.declare_exchange(ch)
            for sub in self.subscriptions():
                self.topology.declare_subscription(ch, sub)

    def create_schema(self) -> None:
        """Bring the database to the newest schema: Alembic when there are migrations."""
        if self.migrations_dir and (self.migrations_dir / "versions").is_dir():
            from services.common.migrations import upgrade
            upgrade(self)
        else:
            self.metadata.create_all(self.engine)

    def db_ok(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001
            return False


class WorkerHandle:
    """The running worker of one service: relay thread plus consumers."""

    def __init__(self, runtime: ServiceRuntime):
        self.runtime = runtime
        self.threads: list[threading.Thread] = []
        self.amqp_worker: AmqpWorker | None = None
        self._stop = threading.Event()

    def start(self, *, consume: bool = True, relay: bool = True, jobs: bool = True) -> WorkerHandle:
        rt = self.runtime
        subs = rt.subscriptions()
        if consume and isinstance(rt.transport, InMemoryBus):
            for sub in subs:
                rt.transport.subscribe(sub)
        elif consume and subs:
            self.amqp_worker = AmqpWorker(rt.settings.amqp_url, rt.topology, subs,
                                          service=rt.name, dead_letter_sink=rt.dead_letters)
            self._thread(self.amqp_worker.run, f"{rt.name}-consumer")
        if relay:
            self._thread(rt.relay.run, f"{rt.name}-relay")
        if jobs:
            for name, (every, fn) in rt.jobs.items():
                self._thread(lambda e=every, f=fn, n=name: self._repeat(n, e, f), f"{rt.name}-{name}")
        return self

    def _repeat(self, name: str, every: float, fn) -> None:
        while not self._stop.wait(every):
            try:
                fn(self.runtime)
            except Exception:  # noqa: BLE001 - a failing job runs again next time
                logging.getLogger(__name__).exception("job %s of %s failed", name, self.runtime.name)

    def _thread(self, target, name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        self.threads.append(t)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.runtime.relay.stop()
        if self.amqp_worker:
            self.amqp_worker.stop()
        for t in self.threads:
            t.join(timeout)

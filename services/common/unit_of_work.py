"""The unit of work: one database transaction that carries its events into the outbox.

The event rows are inserted in the same transaction as the state change, so either both
commit or neither does (no dual write). Publishing is the relay's job, after commit.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from services.common import clock, context
from services.common.db import PlatformTables
from services.common.domain import Aggregate
from services.common.events import new_event, validate_data
from services.common.events.registry import latest
from services.common.notify import OUTBOX_CHANNEL, notify_relays

__all__ = ["OUTBOX_CHANNEL", "UnitOfWork", "Wakeup"]


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker, tables: PlatformTables, source: str,
                 on_commit: Callable[[], None] | None = None):
        self._session_factory = session_factory
        self.tables = tables
        self.source = source
        self._on_commit = on_commit
        self._seen: list[Aggregate] = []
        self._emitted = 0
        self._pending: list[dict] = []
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self._seen, self._emitted, self._pending = [], 0, []
        return self

    def __exit__(self, *exc) -> None:
        # close() discards uncommitted work without expiring loaded objects, so views can still
        # read what a use case returned after the unit of work has ended.
        self.session.close()

    def track(self, aggregate: Aggregate):
        """Remember an aggregate so the events it records go to the outbox on commit."""
        self._seen.append(aggregate)
        return aggregate

    def add(self, aggregate):
        self.session.add(aggregate)
        if isinstance(aggregate, Aggregate):
            self.track(aggregate)
        return aggregate

    def emit(self, type: str, data: dict, subject: str | None = None) -> str:
        """Validate an event against its contract and write it to the outbox; return its id."""
        c = latest(type)
        clean = validate_data(type, data, version=c.version)
        ev = new_event(source=self.source, type=type, data=clean, subject=subject,
                       version=c.version, correlationid=context.current_correlation_id(),
                       causationid=context.causation_id.get())
        # Rows are written in one statement at commit (still inside this transaction).
        self._pending.append({"event_id": ev.id, "type": ev.type, "payload": ev.to_json(),
                              "created_at": clock.now()})
        self._emitted += 1
        return ev.id

    def audit(self, actor: str, action: str, target: str, **detail) -> None:
        self.session.execute(insert(self.tables.audit_log).values(
            at=clock.now(), actor=actor, action=action, target=target, detail=detail or None))

    def flush_outbox(self) -> None:
        """Write the pending event rows now (one multi-row INSERT), inside the transaction."""
        if not self._pending:
            return
        self.session.execute(insert(self.tables.outbox), self._pending)
        self._pending = []

    def commit(self) -> None:
        for aggregate in self._seen:
            while aggregate.events:
                e = aggregate.events.pop(0)
                self.emit(e.type, e.data, e.subject)
        self.flush_outbox()
        self.session.commit()
        if self._emitted:
            bind = self.session.get_bind()
            if bind.dialect.name == "postgresql":
                # After the commit (never for a rollback), not inside it: see services/common/notify.py.
                notify_relays(bind)
            if self._on_commit:
                self._on_commit()
        self._emitted = 0

    def rollback(self) -> None:
        self._pending = []
        self.session.rollback()


class Wakeup:
    """Lets a relay in the same process start at once after a commit instead of at its next poll."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> None:
        self._event.wait(timeout)
        self._event.clear()

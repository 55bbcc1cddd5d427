"""Idempotent consumers: the effect and the inbox row commit together, then the ack."""
from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable

from sqlalchemy import insert, select
from sqlalchemy.exc import DataError, IntegrityError

from services.common import clock
from services.common.context import caused_by
from services.common.db import EVENT_ID_LENGTH, PlatformTables
from services.common.errors import PermanentFailure
from services.common.events import CloudEvent, EventValidationError, validate_data

log = logging.getLogger(__name__)

Handler = Callable[[CloudEvent, object], None]  # (event, unit of work) -> None


class InboxHandler:
    """Wraps a handler so a redelivered event has no second effect."""

    def __init__(self, name: str, fn: Handler, uow_factory: Callable[[], object]):
        self.name = name
        self.fn = fn
        self.uow_factory = uow_factory

    def __call__(self, body: bytes) -> None:
        try:
            event = CloudEvent.from_json(body)
            if not isinstance(event.id, str) or len(event.id) > EVENT_ID_LENGTH:
                raise ValueError(f"id is not a string of at most {EVENT_ID_LENGTH} characters")
            data = validate_data(event.type, event.data, version=event.version, strict=False)
        except (ValueError, EventValidationError) as exc:
            raise PermanentFailure(f"invalid event: {exc}") from exc
        event = dataclasses.replace(event, data=data)
        with caused_by(event.correlationid, event.id):
            with self.uow_factory() as uow:
                inbox = uow.tables.inbox
                done = uow.session.execute(select(inbox.c.event_id).where(
                    inbox.c.event_id == event.id, inbox.c.handler == self.name)).first()
                if done:
                    log.info("%s: event %s already handled", self.name, event.id)
                    return
                self.fn(event, uow)
                try:
                    # PostgreSQL raises the duplicate at this INSERT (it waits for the other
                    # transaction), SQLite at commit: both mean the same, so both are caught.
                    uow.session.execute(insert(inbox).values(
                        event_id=event.id, handler=self.name, processed_at=clock.now()))
                    uow.commit()
                except IntegrityError:
                    uow.rollback()
                    if not self._handled(event.id):
                        raise  # a real conflict in the effect itself: retry, then park
                    # A concurrent delivery of the same event committed first: no second effect.
                    log.info("%s: event %s handled concurrently", self.name, event.id)

    def _handled(self, event_id: str) -> bool:
        with self.uow_factory() as uow:
            inbox = uow.tables.inbox
            return uow.session.execute(select(inbox.c.event_id).where(
                inbox.c.event_id == event_id, inbox.c.handler == self.name)).first() is not None


class DeadLetterStore:
    """Keeps parked messages in the service's own database for the ops dashboard.

    Whatever the message, its row fits the table: an over-long id or type is cut (the payload
    keeps it whole), so parking cannot fail on the very message it is parking.
    """

    def __init__(self, engine, tables: PlatformTables):
        self.engine = engine
        self.table = tables.dead_letters

    def __call__(self, queue: str, body: bytes, error: str, attempts: int) -> None:
        try:
            raw = CloudEvent.from_json(body)
            event_id, event_type = str(raw.id), str(raw.type)
        except Exception:  # noqa: BLE001 - a malformed message is parked too
            event_id, event_type = hashlib.sha1(body).hexdigest()[:36], "(unreadable)"
        t = self.table
        key = f"{event_id}@{queue}"
        # One row per message and queue: a key too long for the column is hashed, not cut, so
        # two long ids sharing a prefix do not overwrite each other's row.
        row_id = key if len(key) <= t.c.id.type.length else hashlib.sha256(key.encode()).hexdigest()
        values = dict(payload=body.decode("utf-8", "replace").replace("\x00", "\ufffd"),
                      error=error.replace("\x00", "\ufffd"), attempts=attempts,
                      parked_at=clock.now(), status="parked", resolved_by=None, resolved_at=None)
        try:
            with self.engine.begin() as conn:
                existing = conn.execute(select(t.c.status).where(t.c.id == row_id)).first()
                if existing is None:
                    conn.execute(insert(t).values(
                        id=row_id, event_id=event_id[:t.c.event_id.type.length],
                        event_type=event_type[:t.c.event_type.type.length],
                        queue=queue[:t.c.queue.type.length], **values))
                else:
                    conn.execute(t.update().where(t.c.id == row_id).values(**values))
        except DataError as exc:  # the database refuses this row however often it is asked
            raise PermanentFailure(f"dead letter {row_id} cannot be stored: {exc}") from exc

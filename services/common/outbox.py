"""The outbox relay: publishes committed events with confirms, then marks them sent.

A crash after publishing but before marking sent republishes those rows on restart; the
consumers' inbox makes that harmless. On PostgreSQL rows are claimed with
``FOR UPDATE SKIP LOCKED`` so several relays share one outbox without publishing a row twice
at the same time.
"""
from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import Engine, func, select, update

from services.common import clock
from services.common.bus.base import Outgoing, PublishError, Transport
from services.common.db import PlatformTables
from services.common.unit_of_work import OUTBOX_CHANNEL, Wakeup

log = logging.getLogger(__name__)


class PgNotifications:
    """Wakes the relay the moment another process commits outbox rows (LISTEN/NOTIFY).

    Production runs web apps and relays in separate processes, where the in-process wake-up
    cannot reach; without this the relay would only see new rows at its next poll.
    """

    def __init__(self, engine: Engine):
        self.dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = None

    def wait(self, timeout: float) -> None:
        try:
            if self.conn is None:
                import psycopg
                self.conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
                self.conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
                return  # rows committed before LISTEN sent no notice we can get: look now
            for _ in self.conn.notifies(timeout=timeout, stop_after=1):
                pass
        except Exception as exc:  # noqa: BLE001 - fall back to polling until the database is back
            log.warning("outbox notifications unavailable (%s); polling", exc)
            self.close()
            time.sleep(min(timeout, 0.5))

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass


class OutboxRelay:
    def __init__(self, engine: Engine, tables: PlatformTables, transport: Transport, *,
                 batch_size: int = 500, poll_seconds: float = 0.02,
                 wakeup: Wakeup | None = None, name: str = "relay"):
        self.engine = engine
        self.outbox = tables.outbox
        self.transport = transport
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.wakeup = wakeup or Wakeup()
        self.name = name
        self.stop_event = threading.Event()
        self.published_total = 0
        self.failures_total = 0
        self._skip_locked = engine.dialect.name == "postgresql"
        self.notifications = PgNotifications(engine) if self._skip_locked else None
        # Test hook: called after publishing, before marking sent (simulates a crash there).
        self.after_publish = None

    def relay_once(self) -> int:
        """Publish one batch; return how many rows were sent (0 when the outbox is empty)."""
        o = self.outbox
        query = (select(o.c.position, o.c.event_id, o.c.type, o.c.payload)
                 .where(o.c.sent_at.is_(None)).order_by(o.c.position).limit(self.batch_size))
        if self._skip_locked:
            query = query.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            if self._skip_locked:
                # Marking rows sent need not wait for the WAL flush: if a crash loses the mark,
                # the rows are published again and the consumers' inbox drops the duplicates.
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            rows = conn.execute(query).all()
            if not rows:
                return 0
            self.transport.publish([
                Outgoing(r.event_id, r.type, r.payload.encode()) for r in rows])
            if self.after_publish:
                self.after_publish(rows)
            conn.execute(update(o).where(o.c.position.in_([r.position for r in rows]))
                         .values(sent_at=clock.now()))
        self.published_total += len(rows)
        return len(rows)

    def backlog(self) -> tuple[int, float]:
        """(unsent rows, age in seconds of the oldest unsent row) for metrics and readiness."""
        o = self.outbox
        with self.engine.connect() as conn:
            count, oldest = conn.execute(
                select(func.count(), func.min(o.c.created_at)).where(o.c.sent_at.is_(None))).one()
        age = 0.0
        if oldest is not None:
            from services.common.db import UTCDateTime
            oldest = UTCDateTime().process_result_value(oldest, self.engine.dialect)
            age = max(0.0, (clock.now() - oldest).total_seconds())
        return int(count), age

    def drain(self, max_rounds: int = 1000) -> int:
        """Publish until the outbox is empty (tests, shutdown)."""
        total = 0
        for _ in range(max_rounds):
            n = self.relay_once()
            total += n
            if n == 0:
                break
        return total

    def run(self) -> None:
        backoff = 0.2
        while not self.stop_event.is_set():
            try:
                n = self.relay_once()
                backoff = 0.2
                if n == 0:  # rows found: more are likely committed meanwhile, look again at once
                    self._idle()
            except PublishError as exc:
                self.failures_total += 1
                log.warning("%s: publish failed (%s); retrying in %.1fs", self.name, exc, backoff)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:  # noqa: BLE001 - database hiccups must not kill the relay
                self.failures_total += 1
                log.exception("%s: relay round failed; retrying in %.1fs", self.name, backoff)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        if self.notifications is not None:
            self.notifications.close()

    def _idle(self) -> None:
        if self.notifications is not None:
            # A NOTIFY wakes us at once; the timeout is only a safety net for a lost one.
            self.notifications.wait(max(self.poll_seconds, 0.5))
        else:
            self.wakeup.wait(self.poll_seconds)

    def stop(self) -> None:
        self.stop_event.set()
        self.wakeup.set()

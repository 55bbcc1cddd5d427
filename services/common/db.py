"""Database plumbing every service shares: engines, UTC times, and the platform tables.

Each service owns its own ``MetaData``; ``platform_tables`` adds the outbox, inbox, dead letters
and audit log to it, so those live in the service's own database next to its business tables
and commit in the same transaction.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def make_engine(url: str, **kw) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kw)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _):
            cur = dbapi_conn.cursor()
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    kw.setdefault("pool_pre_ping", True)
    # Sized to a process's concurrency (gunicorn threads, or a worker's consumers and jobs), not
    # more: every service × process holds its own pool against PostgreSQL's max_connections
    # (100 by default); put PgBouncer in front before raising these.
    kw.setdefault("pool_size", int(os.environ.get("BAOKAO_DB_POOL_SIZE", "5")))
    kw.setdefault("max_overflow", int(os.environ.get("BAOKAO_DB_MAX_OVERFLOW", "5")))
    return create_engine(url, **kw)


def ensure_database(url: str) -> None:
    """Create a PostgreSQL database named in ``url`` when missing (production start-up)."""
    if "postgresql" not in url:
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    target = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": target.database}).scalar()
            if not exists:
                try:
                    conn.execute(text(f'CREATE DATABASE "{target.database}"'))
                except Exception as exc:  # noqa: BLE001 - a sibling process created it first
                    if "already exists" not in str(exc):
                        raise
    finally:
        admin.dispose()


# CloudEvents ids may be any non-empty string: ours are UUIDs, another producer's may be longer.
# The inbox and dead letters keep ids up to this length; a consumer parks an event with a longer
# one at once (a column too short for it would fail every retry and the parking too).
EVENT_ID_LENGTH = 200


@dataclass(frozen=True)
class PlatformTables:
    outbox: Table
    inbox: Table
    dead_letters: Table
    audit_log: Table


def platform_tables(metadata: MetaData) -> PlatformTables:
    outbox = Table(
        "outbox", metadata,
        Column("position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
               autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("type", String(120), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("sent_at", UTCDateTime, nullable=True),
    )
    Index("ix_outbox_unsent", outbox.c.position, postgresql_where=outbox.c.sent_at.is_(None),
          sqlite_where=outbox.c.sent_at.is_(None))
    inbox = Table(
        "inbox", metadata,
        Column("event_id", String(EVENT_ID_LENGTH), nullable=False),
        Column("handler", String(120), nullable=False),
        Column("processed_at", UTCDateTime, nullable=False),
        PrimaryKeyConstraint("event_id", "handler", name="pk_inbox"),
    )
    dead_letters = Table(
        "dead_letters", metadata,
        Column("id", String(80), primary_key=True),  # event id + queue: one row per parked message
        Column("event_id", String(EVENT_ID_LENGTH), nullable=False),
        Column("event_type", String(120), nullable=False),
        Column("queue", String(200), nullable=False),
        Column("payload", Text, nullable=False),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("parked_at", UTCDateTime, nullable=False),
        Column("status", String(20), nullable=False, default="parked"),  # parked|replayed|discarded
        Column("resolved_by", String(64)),
        Column("resolved_at", UTCDateTime),
    )
    audit_log = Table(
        "audit_log", metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
               autoincrement=True),
        Column("at", UTCDateTime, nullable=False),
        Column("actor", String(64), nullable=False),
        Column("action", String(80), nullable=False),
        Column("target", String(200), nullable=False),
        Column("detail", JSON, nullable=True),
    )
    return PlatformTables(outbox, inbox, dead_letters, audit_log)


def utcnow() -> datetime:
    from services.common import clock
    return clock.now()

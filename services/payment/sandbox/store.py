"""The sandbox provider's own database: trades, refunds, queued notifications and attempts.

A development tool, not a service: its tables are created on start, without migrations (after
an upgrade, delete an old ``sandbox.sqlite3``). Notifications are rows, not threads, so a
restarted sandbox still delivers what was pending.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)

from services.common.db import UTCDateTime, make_engine

metadata = MetaData()
trades = Table(
    "sandbox_trades", metadata,
    Column("trade_no", String(32), primary_key=True),
    Column("app_id", String(32), nullable=False),
    Column("out_trade_no", String(64), nullable=False),
    Column("total_amount", String(20), nullable=False),
    Column("subject", String(256), nullable=False),
    Column("notify_url", String(500)),
    Column("return_url", String(500)),
    Column("time_expire", UTCDateTime),
    Column("status", String(20), nullable=False),  # WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_CLOSED
    Column("created_at", UTCDateTime, nullable=False),
    Column("paid_at", UTCDateTime),
    Column("faults", String(100)),
    Column("notify_state", String(20)),  # sending, delivered, lost, gave_up
    Column("duplicate_of", String(32)),  # a second charge for the same order (sandbox fault)
)
Index("ix_sandbox_trade_out", trades.c.app_id, trades.c.out_trade_no)
refunds = Table(
    "sandbox_refunds", metadata,
    Column("trade_no", String(32), primary_key=True),
    Column("out_request_no", String(64), primary_key=True),
    Column("refund_amount", String(20), nullable=False),
    Column("reason", String(256)),
    Column("refunded_at", UTCDateTime, nullable=False),
)
notifications = Table(
    "sandbox_notifications", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trade_no", String(32), nullable=False, index=True),
    Column("notify_id", String(40), nullable=False),
    Column("form", Text, nullable=False),  # the signed form, JSON
    Column("kind", String(20), nullable=False),  # normal, duplicate, stale
    Column("attempt", Integer, nullable=False, default=0),
    Column("next_at", UTCDateTime),
    Column("state", String(20), nullable=False),  # pending, delivered, gave_up, lost
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_sandbox_notifications_due", notifications.c.state, notifications.c.next_at)
attempts = Table(
    "sandbox_notify_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trade_no", String(32), nullable=False, index=True),
    Column("notify_id", String(40), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("http_status", Integer),
    Column("answer", Text),
)


def new_trade_no(now: datetime) -> str:
    """Alipay-like: date + "22" + 18 digits (28 characters)."""
    return f"{now:%Y%m%d}22{secrets.randbelow(10**18):018d}"


class Store:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        metadata.create_all(self.engine)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as c:
                c.execute(select(1))
            return True
        except Exception:  # noqa: BLE001
            return False

    def trade(self, app_id: str, out_trade_no: str):
        """The order's trade (not a simulated second charge of it)."""
        with self.engine.connect() as c:
            return c.execute(select(trades).where(
                trades.c.app_id == app_id, trades.c.out_trade_no == out_trade_no,
                trades.c.duplicate_of.is_(None))).first()

    def trade_by_no(self, trade_no: str):
        with self.engine.connect() as c:
            return c.execute(select(trades).where(trades.c.trade_no == trade_no)).first()

    def create(self, **values):
        with self.engine.begin() as c:
            c.execute(insert(trades).values(**values))
        return self.trade_by_no(values["trade_no"])

    def change(self, trade_no: str, *, only_if_status: str | None = None, **values) -> bool:
        stmt = update(trades).where(trades.c.trade_no == trade_no)
        if only_if_status:
            stmt = stmt.where(trades.c.status == only_if_status)
        with self.engine.begin() as c:
            return c.execute(stmt.values(**values)).rowcount == 1

    def log_attempt(self, **values) -> None:
        with self.engine.begin() as c:
            c.execute(insert(attempts).values(**values))

    def recent(self, limit: int = 100):
        with self.engine.connect() as c:
            rows = c.execute(select(trades).order_by(trades.c.created_at.desc())
                             .limit(limit)).all()
            tries = c.execute(select(attempts).order_by(attempts.c.id.desc())
                              .limit(limit * 3)).all()
        return rows, tries

    # -- refunds -------------------------------------------------------------------------------
    def refund(self, trade_no: str, out_request_no: str):
        with self.engine.connect() as c:
            return c.execute(select(refunds).where(refunds.c.trade_no == trade_no,
                                                   refunds.c.out_request_no == out_request_no)
                             ).first()

    def refunds_of(self, trade_no: str) -> list:
        with self.engine.connect() as c:
            return c.execute(select(refunds).where(refunds.c.trade_no == trade_no)).all()

    def add_refund(self, **values) -> None:
        with self.engine.begin() as c:
            c.execute(insert(refunds).values(**values))

    # -- notifications -------------------------------------------------------------------------
    def queue_notification(self, **values) -> None:
        with self.engine.begin() as c:
            c.execute(insert(notifications).values(**values))

    def due_notifications(self, now: datetime, limit: int = 20) -> list:
        with self.engine.connect() as c:
            return c.execute(select(notifications).where(
                notifications.c.state == "pending", notifications.c.next_at <= now)
                .order_by(notifications.c.next_at, notifications.c.id).limit(limit)).all()

    def next_due_at(self) -> datetime | None:
        with self.engine.connect() as c:
            return c.execute(select(func.min(notifications.c.next_at))
                             .where(notifications.c.state == "pending")).scalar()

    def pending_count(self) -> int:
        with self.engine.connect() as c:
            return c.execute(select(func.count()).select_from(notifications)
                             .where(notifications.c.state == "pending")).scalar()

    def claim_notification(self, row, lease_until: datetime) -> bool:
        """Compare-and-set on next_at, so two sandbox processes never send the same attempt."""
        with self.engine.begin() as c:
            return c.execute(update(notifications).where(
                notifications.c.id == row.id, notifications.c.state == "pending",
                notifications.c.next_at == row.next_at).values(next_at=lease_until)
            ).rowcount == 1

    def change_notification(self, row_id: int, **values) -> None:
        with self.engine.begin() as c:
            c.execute(update(notifications).where(notifications.c.id == row_id).values(**values))

    # -- statements ----------------------------------------------------------------------------
    def payments_between(self, app_id: str, start: datetime, end: datetime):
        """Paid trades of a day, streamed (a statement may be large)."""
        with self.engine.connect() as c:
            yield from c.execution_options(yield_per=1000).execute(
                select(trades).where(trades.c.app_id == app_id, trades.c.paid_at >= start,
                                     trades.c.paid_at < end).order_by(trades.c.paid_at))

    def refunds_between(self, app_id: str, start: datetime, end: datetime):
        with self.engine.connect() as c:
            yield from c.execution_options(yield_per=1000).execute(
                select(refunds, trades.c.out_trade_no)
                .join(trades, trades.c.trade_no == refunds.c.trade_no)
                .where(trades.c.app_id == app_id, refunds.c.refunded_at >= start,
                       refunds.c.refunded_at < end).order_by(refunds.c.refunded_at))

    def queued(self, limit: int = 100) -> list:
        """Notifications not yet delivered (pending, lost, given up), for the admin page."""
        with self.engine.connect() as c:
            return c.execute(select(notifications).where(notifications.c.state != "delivered")
                             .order_by(notifications.c.id.desc()).limit(limit)).all()

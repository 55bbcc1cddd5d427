"""Payment's tables, mapped onto the plain domain classes from outside (classical mapping)."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)
from sqlalchemy.orm import registry

from services.common.db import UTCDateTime, platform_tables
from services.payment.domain.model import Order
from services.payment.domain.refunds import Refund
from services.payment.domain.waivers import Waiver

metadata = MetaData()
tables = platform_tables(metadata)
mapper_registry = registry(metadata=metadata)

orders = Table(
    "orders", metadata,
    Column("id", String(36), primary_key=True),
    Column("order_number", String(32), nullable=False, unique=True),
    Column("application_id", String(64), nullable=False, index=True),
    Column("application_number", String(64), nullable=False),
    Column("candidate_id", String(64), nullable=False, index=True),
    Column("province", String(40), nullable=False),
    Column("description", String(200), nullable=False),
    Column("fee_per_subject_fen", Integer, nullable=False),
    Column("subject_count", Integer, nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("payment_deadline", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("request_event_id", String(64), nullable=False, unique=True),
    Column("paid_at", UTCDateTime),
    Column("provider_trade_no", String(64)),
    Column("confirmed_by", String(20)),
    Column("closed_at", UTCDateTime),
    Column("closed_reason", String(200)),
    Column("refund_due", Boolean, nullable=False, default=False),
    Column("last_checked_at", UTCDateTime),
    Column("refunded_fen", Integer, nullable=False, default=0),
    Column("waiver_id", String(36)),
    Column("version", Integer, nullable=False),
)
Index("ix_orders_status_expires", orders.c.status, orders.c.expires_at)
Index("ix_orders_paid_at", orders.c.paid_at)

# One row per application: the lock that serialises its payment requests (SELECT … FOR UPDATE),
# and what refunds of duplicate payments wait for (registration closed, exam reconciled).
applications = Table(
    "payment_applications", metadata,
    Column("application_id", String(64), primary_key=True),
    Column("candidate_id", String(64), nullable=False),
    Column("current_order_number", String(32)),
    Column("exam_settled_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

refunds = Table(
    "refunds", metadata,
    Column("id", String(36), primary_key=True),
    Column("refund_number", String(32), nullable=False, unique=True),
    Column("order_number", String(32), nullable=False, index=True),
    Column("trade_no", String(64), nullable=False, index=True),
    Column("amount_fen", Integer, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("not_before", UTCDateTime),
    Column("next_attempt_at", UTCDateTime),
    Column("attempts", Integer, nullable=False),
    Column("last_error", String(300)),
    Column("requested_by", String(64), nullable=False),
    Column("finished_at", UTCDateTime),
    Column("version", Integer, nullable=False),
)
Index("ix_refunds_due", refunds.c.status, refunds.c.next_attempt_at)

# Notifications already applied, by the provider's notify_id: a replay is never applied twice.
notifications_seen = Table(
    "notifications_seen", metadata,
    Column("notify_id", String(64), primary_key=True),
    Column("order_number", String(32), nullable=False),
    Column("trade_no", String(64), nullable=False),
    Column("sign_digest", String(64), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

reconciliation_runs = Table(
    "reconciliation_runs", metadata,
    Column("id", String(36), primary_key=True),
    Column("statement_day", String(10), nullable=False, index=True),
    Column("source", String(20), nullable=False),  # provider, upload
    Column("status", String(20), nullable=False),  # queued, running, completed, rejected, failed
    Column("phase", String(20)),  # download, staging, comparing, done
    Column("requested_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("sha256", String(64)),
    Column("lines_total", Integer, nullable=False, default=0),
    Column("lines_done", Integer, nullable=False, default=0),
    Column("matched", Integer, nullable=False, default=0),
    Column("fixed", Integer, nullable=False, default=0),
    Column("discrepancies", Integer, nullable=False, default=0),
    Column("error", String(500)),
    Column("line_report", JSON),
    Column("upload_path", String(500)),
)

# The statement's lines of one run, staged so the comparison is a few set-based queries.
statement_lines = Table(
    "statement_lines", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("run_id", String(36), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("trade_no", String(64), nullable=False),
    Column("out_trade_no", String(64), nullable=False),
    Column("type", String(10), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("refund_no", String(64)),
)
Index("ix_statement_lines_run_order", statement_lines.c.run_id, statement_lines.c.out_trade_no)

discrepancies = Table(
    "discrepancies", metadata,
    Column("id", String(36), primary_key=True),
    Column("run_id", String(36), nullable=False, index=True),
    Column("statement_day", String(10), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("order_number", String(64), nullable=False, index=True),
    Column("trade_no", String(64)),
    Column("our_amount_fen", Integer),
    Column("their_amount_fen", Integer),
    Column("our_status", String(20)),
    Column("their_status", String(20)),
    Column("detail", String(300)),
    Column("status", String(20), nullable=False),  # open, auto_fixed, resolved
    Column("resolution", String(300)),
    Column("resolved_by", String(64)),
    Column("resolved_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_discrepancies_status", discrepancies.c.status, discrepancies.c.created_at)

waivers = Table(
    "waivers", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(64), nullable=False, index=True),
    Column("candidate_id", String(64), nullable=False, index=True),
    Column("reason", String(500), nullable=False),
    Column("proof_type", String(40), nullable=False),
    Column("proof", LargeBinary, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("amount_fen", Integer),
    Column("decided_by", String(64)),
    Column("decided_at", UTCDateTime),
    Column("decision_note", String(300)),
    Column("version", Integer, nullable=False),
)

_started = False


def start_mappers() -> None:
    global _started
    if _started:
        return
    mapper_registry.map_imperatively(Order, orders, version_id_col=orders.c.version)
    mapper_registry.map_imperatively(Refund, refunds, version_id_col=refunds.c.version)
    mapper_registry.map_imperatively(Waiver, waivers, version_id_col=waivers.c.version)
    _started = True

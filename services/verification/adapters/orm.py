"""Verification's tables, mapped onto the plain domain classes from outside (classical mapping).

``registry_*`` tables belong to the simulated registries (a stand-in for systems we do not
own); only ``adapters/registries.py`` touches them.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import registry

from services.common.db import UTCDateTime, platform_tables
from services.verification.domain.model import Check
from services.verification.domain.review import ReviewItem

metadata = MetaData()
tables = platform_tables(metadata)
mapper_registry = registry(metadata=metadata)

checks = Table(
    "checks", metadata,
    Column("id", String(36), primary_key=True),
    Column("candidate_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", Text),
    Column("reason_code", String(40)),
    Column("subject_name", String(100)),
    Column("certificate_number", String(40)),
    Column("claim", JSON, nullable=False),
    Column("claim_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", Text),
    Column("registry_record", JSON),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    UniqueConstraint("candidate_id", "kind", name="uq_checks_candidate_kind"),
)
Index("ix_checks_due", checks.c.status, checks.c.next_attempt_at)
Index("ix_checks_certificate", checks.c.certificate_number)
Index("ix_checks_updated", checks.c.updated_at)

registry_education_records = Table(
    "registry_education_records", metadata,
    Column("certificate_number", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("level", String(20), nullable=False),
    Column("school", String(100), nullable=False),
    Column("major", String(100), nullable=False),
    Column("graduation_date", Date, nullable=False),
    Column("study_mode", String(10), nullable=False),
    Column("source", String(20), nullable=False),  # seed | staff
    Column("added_by", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
)

registry_degree_records = Table(
    "registry_degree_records", metadata,
    Column("certificate_number", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("level", String(10), nullable=False),
    Column("degree_type", String(40), nullable=False),
    Column("school", String(100), nullable=False),
    Column("major", String(100), nullable=False),
    Column("awarded_date", Date, nullable=False),
    Column("source", String(20), nullable=False),
    Column("added_by", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
)

registry_identity_records = Table(
    "registry_identity_records", metadata,
    Column("document_number", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("status", String(20), nullable=False),  # valid | cancelled
    Column("source", String(20), nullable=False),
    Column("added_by", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
)

registry_switches = Table(
    "registry_switches", metadata,
    Column("registry", String(40), primary_key=True),  # chsi (later: degree, public_security)
    Column("outage", Boolean, nullable=False, default=False),
    Column("changed_by", String(64)),
    Column("changed_at", UTCDateTime),
)

review_items = Table(
    "review_items", metadata,
    Column("id", String(36), primary_key=True),
    Column("check_id", String(36), nullable=False),
    Column("candidate_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("cause", String(20), nullable=False),
    Column("summary", Text),
    Column("province", String(12), nullable=False, default=""),
    Column("review_point", String(20)),
    Column("province_source", String(12), nullable=False),
    Column("status", String(20), nullable=False),
    Column("claimed_by", String(64)),
    Column("claimed_at", UTCDateTime),
    Column("first_decision", JSON),
    Column("outcome", String(20)),
    Column("reason_code", String(40)),
    Column("reason", Text),
    Column("decided_by", String(64)),
    Column("decided_at", UTCDateTime),
    Column("proof_request", Text),
    Column("deadline", UTCDateTime),
    Column("overdue", Boolean, nullable=False, default=False),
    Column("escalated_at", UTCDateTime),
    Column("appointment", JSON),
    Column("trail", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
)
Index("ix_review_items_queue", review_items.c.status, review_items.c.province)
Index("ix_review_items_check", review_items.c.check_id)
Index("ix_review_items_candidate", review_items.c.candidate_id)
Index("ix_review_items_deadline", review_items.c.deadline)

# On-site slots: one row per (review point, slot start) with a counter. A booking takes a seat with
# one conditional UPDATE, so two reviewers booking the last seat cannot both get it.
onsite_slots = Table(
    "onsite_slots", metadata,
    Column("review_point", String(20), primary_key=True),
    Column("starts_at", UTCDateTime, primary_key=True),
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False, default=0),
)

# Proofs are stored in the database (one row per file): they commit with the review item they
# reopen, are backed up with it, and every process (web, worker) sees them without a shared disk.
proofs = Table(
    "proofs", metadata,
    Column("id", String(36), primary_key=True),
    Column("candidate_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("item_id", String(36)),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
)
Index("ix_proofs_candidate", proofs.c.candidate_id, proofs.c.kind)
Index("ix_proofs_item", proofs.c.item_id)

# What we know of a candidate for reviewers and for filing review items (identity's and
# registration's events): never the full document number.
candidate_contexts = Table(
    "candidate_contexts", metadata,
    Column("candidate_id", String(64), primary_key=True),
    Column("name", String(100)),
    Column("document_type", String(20)),
    Column("document_number_masked", String(40)),
    Column("birth_date", Date),
    Column("application_province", String(12)),
    Column("application_review_point", String(20)),
    Column("application_exam", String(20)),
    Column("application_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

# One row per registry call (kept for a day): the dashboard's latency and failure figures,
# shared by the worker (which calls) and the web process (which shows).
registry_calls = Table(
    "registry_calls", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registry", String(40), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
)
Index("ix_registry_calls_at", registry_calls.c.registry, registry_calls.c.at)

# The major-equivalence table, one row per version (the shipped file is version 1).
major_table_versions = Table(
    "major_table_versions", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("data", JSON, nullable=False),
    Column("note", Text),
    Column("created_by", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
)

# 诚信档案库: people on the dishonesty list for a period. Removal keeps the row (audited).
integrity_records = Table(
    "integrity_records", metadata,
    Column("id", String(36), primary_key=True),
    Column("candidate_id", String(64), nullable=False),
    Column("name", String(100)),
    Column("listed_from", Date, nullable=False),
    Column("listed_until", Date),  # None: until removed
    Column("reason", Text, nullable=False),
    Column("added_by", String(64), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    Column("removed_at", UTCDateTime),
    Column("removed_by", String(64)),
    Column("removal_reason", Text),
)
Index("ix_integrity_candidate", integrity_records.c.candidate_id)

_started = False


def start_mappers() -> None:
    global _started
    if _started:
        return
    mapper_registry.map_imperatively(Check, checks)
    # The version column makes two reviewers' concurrent claims collide instead of both winning.
    mapper_registry.map_imperatively(ReviewItem, review_items,
                                     version_id_col=review_items.c.version)
    _started = True

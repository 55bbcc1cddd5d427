"""Certificates' tables, mapped onto the plain domain classes from outside (classical mapping)."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import registry

from services.certificates.domain.model import Certificate
from services.common.db import UTCDateTime, platform_tables

metadata = MetaData()
tables = platform_tables(metadata)
mapper_registry = registry(metadata=metadata)

certificates = Table(
    "certificates", metadata,
    Column("number", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),  # qualification | title
    # The source fact, one certificate each: a qualification id, or a title application's id.
    Column("qualification_id", String(64), nullable=False, unique=True),
    Column("candidate_id", String(64), nullable=False),
    Column("holder_name", String(100), nullable=False),
    Column("document_number_masked", String(40), nullable=False),
    Column("exam_code", String(40), nullable=False),
    Column("exam_name", String(200), nullable=False),
    Column("level", String(100), nullable=False),
    Column("specialty", String(200)),
    Column("sitting_year", Integer, nullable=False),
    Column("issuing_authority", String(200), nullable=False),
    Column("qualified_on", Date, nullable=False),
    Column("title", String(300), nullable=False),
    Column("status_index", BigInteger, nullable=False, unique=True),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kid", String(40)),
    Column("credential", Text),
    # Professional titles only (for them exam_name is the title, level the title level,
    # sitting_year the year decided, qualified_on the day decided):
    Column("series", String(100)),  # 职称系列, e.g. 工程技术
    Column("application_type", String(20)),  # initial | confirmation | review
    Column("application_number", String(40)),
    Column("decided_by", String(200)),  # the accepting unit or review committee
)
Index("ix_certificates_candidate", certificates.c.candidate_id, certificates.c.issued_at)
Index("ix_certificates_issued_at", certificates.c.issued_at)

signing_keys = Table(
    "signing_keys", metadata,
    Column("kid", String(40), primary_key=True),
    Column("private_pem", Text, nullable=False),  # PKCS#8, encrypted with the key passphrase
    Column("public_jwk", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("retired_at", UTCDateTime),
)

certificate_versions = Table(  # every signed version; the newest is also in ``certificates``
    "certificate_versions", metadata,
    Column("number", String(40), ForeignKey("certificates.number"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("holder_name", String(100), nullable=False),
    Column("document_number_masked", String(40), nullable=False),
    Column("status_index", BigInteger, nullable=False, unique=True),
    Column("status", String(20), nullable=False),  # valid | superseded | revoked
    Column("issued_at", UTCDateTime, nullable=False),
    Column("superseded_at", UTCDateTime),
    Column("kid", String(40)),
    Column("credential", Text, nullable=False),
    PrimaryKeyConstraint("number", "version"),
)

revocations = Table(
    "revocations", metadata,
    Column("id", String(32), primary_key=True),
    Column("number", String(40), ForeignKey("certificates.number"), nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("status", String(20), nullable=False),  # pending | approved | rejected
    Column("requested_by", String(64), nullable=False),
    Column("requested_by_name", String(100), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("decided_by", String(64)),
    Column("decided_by_name", String(100)),
    Column("decided_at", UTCDateTime),
)
Index("ix_revocations_status", revocations.c.status, revocations.c.requested_at)

corrections = Table(
    "corrections", metadata,
    Column("id", String(32), primary_key=True),
    Column("number", String(40), ForeignKey("certificates.number"), nullable=False),
    Column("candidate_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),  # name | document
    Column("old_value", String(100), nullable=False),
    Column("new_value", String(100), nullable=False),  # a document number only masked
    Column("note", String(500)),
    Column("status", String(20), nullable=False),  # pending | approved | rejected
    Column("requested_at", UTCDateTime, nullable=False),
    Column("decided_by", String(64)),
    Column("decided_by_name", String(100)),
    Column("decided_at", UTCDateTime),
    Column("decision_note", String(500)),
    Column("version", Integer),  # the version the approval issued
)
Index("ix_corrections_status", corrections.c.status, corrections.c.requested_at)
Index("ix_corrections_number", corrections.c.number)

correction_proofs = Table(
    "correction_proofs", metadata,
    Column("id", String(32), primary_key=True),
    Column("correction_id", String(32), ForeignKey("corrections.id"), nullable=False),
    Column("filename", String(100), nullable=False),
    Column("content_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
)
Index("ix_correction_proofs_correction", correction_proofs.c.correction_id)

share_links = Table(
    "share_links", metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the URL token
    Column("number", String(40), ForeignKey("certificates.number"), nullable=False),
    Column("candidate_id", String(64), nullable=False),
    Column("label", String(100)),
    Column("pin_hash", String(200), nullable=False),  # Argon2id
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_at", UTCDateTime),
    Column("views", Integer, nullable=False),
    Column("last_viewed_at", UTCDateTime),
)
Index("ix_share_links_number", share_links.c.number)

mailings = Table(
    "mailings", metadata,
    Column("id", String(32), primary_key=True),
    Column("number", String(40), ForeignKey("certificates.number"), nullable=False),
    Column("candidate_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),  # first | replacement
    Column("reason", String(20)),  # lost | damaged (replacements)
    Column("recipient_enc", Text, nullable=False),  # AES-GCM, adapters/pii.py
    Column("address_enc", Text, nullable=False),
    Column("phone_enc", Text, nullable=False),
    Column("phone_masked", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("tracking_number", String(40)),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(64)),
    Column("printed_at", UTCDateTime),
    Column("shipped_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
)
Index("ix_mailings_state", mailings.c.state, mailings.c.requested_at)
Index("ix_mailings_number", mailings.c.number)

replacements = Table(  # a replacement (补发) mailing's material review; one per such mailing
    "replacements", metadata,
    Column("mailing_id", String(32), ForeignKey("mailings.id"), primary_key=True),
    Column("id_document_type", String(30), nullable=False),  # resident_id | social_security_card
    Column("decided_by", String(64)),
    Column("decided_by_name", String(100)),
    Column("decided_at", UTCDateTime),
    Column("rejection_reason", String(500)),  # the holder sees it
)

replacement_materials = Table(  # seed 004's three materials, encrypted at rest
    "replacement_materials", metadata,
    Column("id", String(32), primary_key=True),
    Column("mailing_id", String(32), ForeignKey("mailings.id"), nullable=False),
    Column("kind", String(20), nullable=False),  # application_form | id_document | photo
    Column("position", Integer, nullable=False),  # front / back of an ID document
    Column("content_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data_enc", LargeBinary, nullable=False),  # AES-GCM (adapters/pii.py), row id in AAD
    Column("uploaded_at", UTCDateTime, nullable=False),
)
Index("ix_replacement_materials_mailing", replacement_materials.c.mailing_id)

sealed_pdfs = Table(  # PDFs are rendered and sealed on first download, then kept
    "sealed_pdfs", metadata,
    Column("number", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("seal_id", String(40), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("number", "version"),
)

seal_keys = Table(  # the issuing authority's seal certificate for PAdES (dev: self-made CA)
    "seal_keys", metadata,
    Column("id", String(40), primary_key=True),
    Column("private_pem", Text, nullable=False),  # PKCS#8, encrypted with the key passphrase
    Column("certificate_pem", Text, nullable=False),
    Column("chain_pem", Text, nullable=False),  # issuing CA certificate(s)
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
)

verification_counts = Table(
    "verification_counts", metadata,
    Column("day", Date, nullable=False),  # Beijing date
    Column("channel", String(20), nullable=False),  # number | credential | share
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("day", "channel"),
)

batches = Table(
    "batches", metadata,
    Column("id", String(32), primary_key=True),
    Column("created_by", String(64), nullable=False),
    Column("created_by_name", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("finished_at", UTCDateTime),
)

batch_items = Table(
    "batch_items", metadata,
    Column("batch_id", String(32), ForeignKey("batches.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("qualification_id", String(64), nullable=False),
    Column("state", String(20), nullable=False),  # pending | done | missing | failed
    Column("number", String(40)),
    Column("message", String(200)),
    PrimaryKeyConstraint("batch_id", "position"),
)

national_reports = Table(  # reporting each title certificate to the national platform
    "national_reports", metadata,
    Column("number", String(40), ForeignKey("certificates.number"), primary_key=True),
    Column("candidate_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),  # the version to report (the current one)
    Column("state", String(20), nullable=False),  # pending | reported | failed
    Column("attempts", Integer, nullable=False),  # failures since the last (re-)queue
    Column("next_attempt_at", UTCDateTime, nullable=False),  # due; also the claim's lease
    Column("last_error", String(300)),
    Column("requested_by", String(20), nullable=False),  # system | holder | officer
    Column("requested_at", UTCDateTime, nullable=False),
    Column("holder_requested_at", UTCDateTime),  # the holder's last re-report (rate limit)
    Column("reported_version", Integer),  # the newest version the platform acknowledged
    Column("reported_at", UTCDateTime),
    Column("receipt", String(64)),
)
Index("ix_national_reports_due", national_reports.c.state, national_reports.c.next_attempt_at)

# The simulated national platform's own data: stands in for the remote system, which the
# service reaches only through adapters/national_platform.py (its own connections).
national_platform_records = Table(
    "national_platform_records", metadata,
    Column("number", String(40), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("record", JSON, nullable=False),
    Column("receipt", String(64), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("reports", Integer, nullable=False),  # how many reports it acknowledged (dupes too)
)

national_platform_switches = Table(  # the simulation's outage switch, flipped on the desk
    "national_platform_switches", metadata,
    Column("name", String(40), primary_key=True),
    Column("outage", Boolean, nullable=False),
    Column("changed_by", String(100)),
    Column("changed_at", UTCDateTime),
)

counters = Table(
    "counters", metadata,
    Column("name", String(80), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

_started = False


def start_mappers() -> None:
    global _started
    if _started:
        return
    mapper_registry.map_imperatively(Certificate, certificates)
    _started = True


def next_value(session, name: str) -> int:
    """The next number of a named sequence, inside the caller's transaction (gap-free on commit)."""
    for _ in range(2):
        value = session.execute(update(counters).where(counters.c.name == name)
                                .values(value=counters.c.value + 1)
                                .returning(counters.c.value)).scalar()
        if value is not None:
            return int(value)
        try:
            with session.begin_nested():
                session.execute(insert(counters).values(name=name, value=1))
            return 1
        except IntegrityError:  # a concurrent transaction created it first: update it instead
            continue
    raise RuntimeError(f"could not allocate from sequence {name}")


def find_by_qualification(session, qualification_id: str):
    return session.execute(select(Certificate).where(
        certificates.c.qualification_id == qualification_id)).scalar_one_or_none()

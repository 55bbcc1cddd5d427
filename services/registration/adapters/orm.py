"""Registration's tables. Catalog and projections are read with SQLAlchemy Core; the
application aggregate is mapped onto its plain class from outside (classical mapping)."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import registry

from services.common.db import UTCDateTime, platform_tables
from services.registration.domain.application import Application

metadata = MetaData()
tables = platform_tables(metadata)
mapper_registry = registry(metadata=metadata)

# -- catalog -------------------------------------------------------------------------------
exams = Table(
    "exams", metadata,
    Column("code", String(20), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("review_mode", String(20), nullable=False),  # automatic | online | on_site
    Column("commitment_offered", Boolean, nullable=False, default=False),
    Column("admit_card_mode", String(20), nullable=False, default="on_payment"),  # | allocation
    Column("rolling_years", Integer, nullable=False, default=1),  # 1 = non-rolling
    Column("notice_days", Integer, nullable=False, default=0),  # 公示 days; 0 = none
    Column("post_exam_check", Boolean, nullable=False, default=False),
)

sittings = Table(
    "sittings", metadata,
    Column("id", String(40), primary_key=True),
    Column("exam_code", String(20), ForeignKey("exams.code"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("exam_date", Date, nullable=False),
    Column("status", String(20), nullable=False, default="open"),  # open | closed
    UniqueConstraint("exam_code", "year", name="uq_sittings_exam_year"),
)

levels = Table(
    "levels", metadata,
    Column("sitting_id", String(40), ForeignKey("sittings.id"), nullable=False),
    Column("code", String(20), nullable=False),
    Column("name", String(100), nullable=False),
    Column("min_education", String(20)),
    Column("grade", String(20), nullable=False),  # 初级 / 中级 / 高级: printed on the certificate
    Column("position", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("sitting_id", "code", name="pk_levels"),
)

specialties = Table(
    "specialties", metadata,
    Column("sitting_id", String(40), nullable=False),
    Column("level_code", String(20), nullable=False),
    Column("code", String(20), nullable=False),
    Column("name", String(100), nullable=False),
    PrimaryKeyConstraint("sitting_id", "level_code", "code", name="pk_specialties"),
    ForeignKeyConstraint(["sitting_id", "level_code"], ["levels.sitting_id", "levels.code"]),
)

subjects = Table(
    "subjects", metadata,
    Column("sitting_id", String(40), nullable=False),
    Column("level_code", String(20), nullable=False),
    Column("code", String(20), nullable=False),
    Column("name", String(100), nullable=False),
    Column("pass_mark", Integer, nullable=False),
    Column("full_mark", Integer, nullable=False, default=100),
    Column("day_offset", Integer, nullable=False, default=0),  # days after the sitting's exam date
    Column("starts", String(5), nullable=False),  # Beijing local time, "09:00"
    Column("ends", String(5), nullable=False),
    Column("exemptable", Boolean, nullable=False, default=False),  # may be claimed as exempt
    PrimaryKeyConstraint("sitting_id", "code", name="pk_subjects"),
    ForeignKeyConstraint(["sitting_id", "level_code"], ["levels.sitting_id", "levels.code"]),
)

provinces = Table(
    "provinces", metadata,
    Column("code", String(2), primary_key=True),
    Column("name", String(30), nullable=False),
    Column("authority", String(60), nullable=False),  # 重庆市人事考试中心 …
)

cities = Table(
    "cities", metadata,
    Column("code", String(6), primary_key=True),
    Column("province_code", String(2), ForeignKey("provinces.code"), nullable=False),
    Column("name", String(30), nullable=False),
)

review_points = Table(
    "review_points", metadata,
    Column("code", String(20), primary_key=True),
    Column("city_code", String(6), ForeignKey("cities.code"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("address", String(200)),
)

exam_sites = Table(
    "exam_sites", metadata,
    Column("code", String(20), primary_key=True),
    Column("city_code", String(6), ForeignKey("cities.code"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("address", String(200), nullable=False),
)

rooms = Table(
    "rooms", metadata,
    Column("id", String(30), primary_key=True),  # site code + "-" + room number
    Column("site_code", String(20), ForeignKey("exam_sites.code"), nullable=False, index=True),
    Column("number", Integer, nullable=False),  # 第 N 考场, unique within the city
    Column("name", String(60), nullable=False),
    Column("capacity", Integer, nullable=False),
)

sitting_provinces = Table(
    "sitting_provinces", metadata,
    Column("sitting_id", String(40), ForeignKey("sittings.id"), nullable=False),
    Column("province_code", String(2), ForeignKey("provinces.code"), nullable=False),
    Column("fee_per_subject_fen", Integer, nullable=False),
    PrimaryKeyConstraint("sitting_id", "province_code", name="pk_sitting_provinces"),
)

windows = Table(
    "windows", metadata,
    Column("sitting_id", String(40), nullable=False),
    Column("province_code", String(2), nullable=False),
    Column("kind", String(20), nullable=False),  # application | payment | admit_card | scores
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime),
    PrimaryKeyConstraint("sitting_id", "province_code", "kind", name="pk_windows"),
)

# -- projections of other services' events ---------------------------------------------------
candidates = Table(
    "candidates", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(100)),
    Column("document_number_masked", String(40)),
    Column("claimed_education", String(20)),
    Column("registered_at", UTCDateTime),
    Column("education_outcome", String(20)),  # passed | failed | manual_check | on_site_check
    Column("education_reason", Text),
    Column("education_level", String(20)),
    Column("education_checked_at", UTCDateTime),
    Column("major", String(100)),  # the verified (else claimed) major, for the relation warning
)

candidate_photos = Table(  # identity's photo events, projected: confirmation needs a locked one
    "candidate_photos", metadata,
    Column("candidate_id", String(64), primary_key=True),
    Column("locked_photo_id", String(64)),  # the photo that passed review (seed 000/002)
    Column("locked_at", UTCDateTime),
    Column("last_photo_id", String(64)),  # the newest upload (current or change_requested)
    Column("last_status", String(20)),
    Column("last_uploaded_at", UTCDateTime),
)

# -- applications and what hangs off them ----------------------------------------------------
applications = Table(
    "applications", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_number", String(40), nullable=False, unique=True),
    Column("candidate_id", String(64), nullable=False, index=True),
    Column("sitting_id", String(40), ForeignKey("sittings.id"), nullable=False),
    Column("exam_code", String(20), nullable=False),
    Column("exam_name", String(100), nullable=False),
    Column("province", String(2), nullable=False),
    Column("city", String(6), nullable=False),
    Column("level", String(20), nullable=False),
    Column("specialty", String(20)),
    Column("subjects", JSON, nullable=False),
    Column("fee_per_subject_fen", Integer, nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("review_mode", String(20), nullable=False),
    Column("review_reason", Text),
    Column("order_number", String(64)),
    Column("qualified", Boolean, nullable=False, default=False),
    Column("state", String(30), nullable=False),
    Column("history", JSON, nullable=False),
    Column("review_point", String(20)),
    Column("archive_number", String(40), index=True),  # 档案号: links a candidate's sittings
    Column("commitment_mode", Boolean, nullable=False, default=False),
    Column("exempt_subjects", JSON, nullable=False, default=list),  # [{code, basis}]
    Column("letter_signed_at", UTCDateTime),
    Column("warnings", JSON, nullable=False, default=list),
    Column("live_key", String(120), unique=True),  # one live application per candidate and sitting
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("ix_applications_sitting_state", applications.c.sitting_id, applications.c.state)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("key", String(200), primary_key=True),  # candidate id + ":" + Idempotency-Key
    Column("request_hash", String(64), nullable=False),
    Column("application_id", String(36), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

sequences = Table(
    "sequences", metadata,
    Column("name", String(80), primary_key=True),
    Column("value", Integer, nullable=False),
)

admit_cards = Table(
    "admit_cards", metadata,
    Column("number", String(40), primary_key=True),
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False, unique=True),
    Column("sitting_id", String(40), nullable=False),
    Column("room_id", String(30), ForeignKey("rooms.id"), nullable=False),
    Column("seat", Integer, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("void", Boolean, nullable=False, default=False),
    UniqueConstraint("sitting_id", "room_id", "seat", name="uq_admit_cards_seat"),
)

scores = Table(
    "scores", metadata,
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False),
    Column("subject_code", String(20), nullable=False),
    Column("tenths", Integer),  # score × 10; NULL when a status code stands instead
    Column("status_code", Integer),  # -1 absent, -2 violation, -4 void
    Column("passed", Boolean, nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("imported_by", String(64), nullable=False),
    Column("published_at", UTCDateTime),
    PrimaryKeyConstraint("application_id", "subject_code", name="pk_scores"),
)

qualifications = Table(
    "qualifications", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False, unique=True),
    Column("candidate_id", String(64), nullable=False),
    Column("qualified_on", Date, nullable=False),
)

commitment_choices = Table(
    "commitment_choices", metadata,
    Column("candidate_id", String(64), nullable=False),
    Column("sitting_id", String(40), ForeignKey("sittings.id"), nullable=False),
    Column("choice", String(10), nullable=False),  # commit | decline (decline is for the year)
    Column("chosen_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("candidate_id", "sitting_id", name="pk_commitment_choices"),
)

proofs = Table(
    "proofs", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # education | work_years | exemption | other
    Column("filename", String(200), nullable=False),
    Column("content_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
)

seat_draws = Table(
    "seat_draws", metadata,
    Column("sitting_id", String(40), ForeignKey("sittings.id"), nullable=False),
    Column("province_code", String(2), nullable=False),
    Column("seed", String(40), nullable=False),  # the draw's seed: re-running it gives the same plan
    Column("candidates", Integer, nullable=False),
    Column("seated", Integer, nullable=False),
    Column("drawn_at", UTCDateTime, nullable=False),
    Column("drawn_by", String(64), nullable=False),
    PrimaryKeyConstraint("sitting_id", "province_code", name="pk_seat_draws"),
)

cancellations = Table(
    "cancellations", metadata,
    Column("id", String(36), primary_key=True),
    Column("sitting_id", String(40), ForeignKey("sittings.id"), nullable=False),
    Column("province_code", String(2)),  # NULL: every province
    Column("level_code", String(20)),  # NULL: every level (a position = level + specialty)
    Column("specialty_code", String(20)),
    Column("reason", Text, nullable=False),
    Column("applications", Integer, nullable=False),
    Column("refunds", Integer, nullable=False),
    Column("cancelled_at", UTCDateTime, nullable=False),
    Column("cancelled_by", String(64), nullable=False),
)

score_reviews = Table(
    "score_reviews", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False, index=True),
    Column("subject_code", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(20), nullable=False),  # pending | unchanged | corrected
    Column("answer", Text),
    Column("old_tenths", Integer),
    Column("new_tenths", Integer),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("answered_at", UTCDateTime),
    Column("answered_by", String(64)),
    UniqueConstraint("application_id", "subject_code", name="uq_score_reviews_subject"),
)

qualification_checks = Table(
    "qualification_checks", metadata,
    Column("application_id", String(36), ForeignKey("applications.id"), primary_key=True),
    Column("stage", String(20), nullable=False),  # post_exam_check | public_notice | qualified | rejected
    Column("note", Text),
    Column("notice_ends_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

objections = Table(
    "objections", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False, index=True),
    Column("content", Text, nullable=False),
    Column("status", String(20), nullable=False),  # pending | upheld | dismissed
    Column("decision", Text),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("decided_at", UTCDateTime),
)

score_imports = Table(
    "score_imports", metadata,
    Column("id", String(36), primary_key=True),
    Column("sitting_id", String(40), ForeignKey("sittings.id"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("errors", JSON, nullable=False),  # the row-by-row report ([] when accepted)
)


_started = False


def start_mappers() -> None:
    global _started
    if _started:
        return
    mapper_registry.map_imperatively(Application, applications)
    titles_orm.start_mappers(mapper_registry)
    _started = True


# Title tables join this metadata (migrations and create_all see them); imported last because
# titles_orm takes ``metadata`` from here.
from services.registration.adapters import titles_orm  # noqa: E402

"""Tables of professional-title applications (seed 003), beside the exam tables in the same
metadata; ``orm.start_mappers`` maps the ``TitleApplication`` aggregate through ``start_mappers``
here. Units, plans, profiles, archive items and attachments are read and written with Core.
Profiles' and applications' personal fields are encrypted at rest (``adapters.pii``)."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from services.common.db import UTCDateTime
from services.registration.adapters.orm import metadata
from services.registration.adapters.pii import SealedJSON
from services.registration.domain.titles.application import TitleApplication
from services.registration.domain.titles.sections import PERSONAL_FIELDS

title_units = Table(  # 受理单位
    "title_units", metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(20), nullable=False),  # district | city_department | talent_center
    Column("region_code", String(6)),  # the district it serves (属地原则)
    Column("jurisdiction", String(300), nullable=False),
    Column("contact_person", String(50)),
    Column("contact_phone", String(40)),
    Column("address", String(200)),
    Column("email", String(100)),
    Column("notice", Text),  # 申报须知
    Column("attachment_rules", JSON, nullable=False, default=list),  # [{name, required}]
    Column("accepts", JSON, nullable=False, default=list),  # initial | confirmation | review
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

title_plans = Table(  # 职称评审申报计划
    "title_plans", metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("year", Integer, nullable=False),
    Column("committee", String(120), nullable=False),  # 评审委员会
    Column("committee_size", Integer, nullable=False),
    Column("authority", String(120), nullable=False),  # the reviewing authority (评审机构)
    Column("issuing_authority", String(120), nullable=False),  # printed on the certificate
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("unit_review_ends_at", UTCDateTime),  # 单位审核截止时间 (else 10 working days)
    Column("fee_fen", Integer, nullable=False, default=0),
    Column("scope", String(60), nullable=False, default="本市"),
    Column("notice", Text),
    Column("contact", String(200)),
    Column("attachment_rules", JSON, nullable=False, default=list),
    Column("titles", JSON, nullable=False),  # [{series, title_name, title_level}]
    Column("specialties", JSON, nullable=False),  # [{series, specialty, direction}]
    Column("groups", JSON, nullable=False, default=list),  # 评审委员会专业组
    Column("published_on", Date),
    Column("updated_at", UTCDateTime, nullable=False),
)

title_profiles = Table(  # 基本信息: copied into each new application
    "title_profiles", metadata,
    Column("candidate_id", String(64), primary_key=True),
    Column("data", SealedJSON(PERSONAL_FIELDS), nullable=False),  # phone, address encrypted
    Column("updated_at", UTCDateTime, nullable=False),
)

title_archive_items = Table(  # 业绩档案
    "title_archive_items", metadata,
    Column("id", String(36), primary_key=True),
    Column("candidate_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # project | paper | patent | award | training
    Column("title", String(200), nullable=False),
    Column("date", Date),
    Column("role", String(100)),
    Column("description", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

title_applications = Table(
    "title_applications", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_number", String(20), nullable=False, unique=True),
    Column("candidate_id", String(64), nullable=False, index=True),
    Column("application_type", String(20), nullable=False),
    Column("unit_id", String(40), ForeignKey("title_units.id"), nullable=False),
    Column("unit_name", String(100), nullable=False),
    Column("plan_id", String(40), ForeignKey("title_plans.id")),
    Column("plan_name", String(120)),
    Column("series", String(60), nullable=False),
    Column("title_name", String(60), nullable=False),
    Column("title_level", String(10), nullable=False),
    Column("specialty", String(60)),
    Column("pledge_signed_at", UTCDateTime, nullable=False),
    Column("basic", SealedJSON(PERSONAL_FIELDS), nullable=False),  # phone, address encrypted
    Column("education", JSON, nullable=False),
    Column("work_history", JSON, nullable=False),
    Column("achievements", JSON, nullable=False),
    Column("probation_summary", Text),
    Column("records", JSON, nullable=False),  # the handling record (办理记录)
    Column("state", String(20), nullable=False),
    Column("approved", Boolean),
    Column("pending_holder", String(120)),
    Column("pending_role", String(20)),  # professional | unit | admin | committee | issuer
    Column("deadline_at", UTCDateTime),
    Column("review_started_at", UTCDateTime),
    Column("meeting_on", Date),
    Column("votes_for", Integer),
    Column("votes_against", Integer),
    Column("votes_abstain", Integer),
    Column("decided_on", Date),
    Column("decided_by", String(120)),
    Column("issuing_authority", String(120)),
    Column("certificate_number", String(40)),
    Column("submitted_at", UTCDateTime),
    Column("live_key", String(160), unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("ix_title_applications_state", title_applications.c.state, title_applications.c.unit_id)

title_attachments = Table(  # PDFs, kept in the database like exam proofs (transactional)
    "title_attachments", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), ForeignKey("title_applications.id"), nullable=False,
           index=True),
    Column("label", String(60), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
)


def start_mappers(mapper_registry) -> None:
    mapper_registry.map_imperatively(TitleApplication, title_applications)

"""Identity's tables, mapped onto the plain domain classes from outside (classical mapping)."""
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
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator

from services.common.db import UTCDateTime, platform_tables
from services.identity.domain.model import Account, Notification

metadata = MetaData()
tables = platform_tables(metadata)
mapper_registry = registry(metadata=metadata)


class Encrypted(TypeDecorator):
    """A string column stored encrypted; the cipher is installed by bootstrap."""
    impl = Text
    cache_ok = True
    cipher = None

    def process_bind_param(self, value, dialect):
        return None if value is None else Encrypted.cipher.encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else Encrypted.cipher.decrypt(value)


accounts = Table(
    "accounts", metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(30), nullable=False),
    Column("username_lower", String(30), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("name", String(100), nullable=False),
    Column("document_type", String(30), nullable=False),
    Column("document_number", Encrypted, nullable=False),
    Column("document_hash", String(64), nullable=False, unique=True),
    Column("phone", Encrypted),
    Column("phone_hash", String(64), index=True),
    Column("birth_date", Date),
    Column("education", JSON),
    Column("roles", JSON, nullable=False),
    Column("scope", JSON),
    Column("created_at", UTCDateTime, nullable=False),
    Column("agreement_version", String(20)),
    Column("agreement_accepted_at", UTCDateTime),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UTCDateTime),
    # Added by issue 4: validity period, degree, bound channels, recovery and two-factor.
    Column("document_valid_until", Date),  # NULL: long-term (长期) or not stated
    Column("degree", JSON),  # the degree claim as entered; level "无" when none
    Column("phone_verified_at", UTCDateTime),
    Column("email", Encrypted),
    Column("email_hash", String(64), index=True),
    Column("email_verified_at", UTCDateTime),
    Column("security_question", String(100)),
    Column("security_answer_hash", String(200)),
    Column("totp_secret", Encrypted),
    Column("totp_enrolled_at", UTCDateTime),
    Column("totp_last_step", Integer),  # the last accepted time step: no code is used twice
    Column("must_change_password", Boolean, nullable=False, default=False),
    # verification's last public-security outcome: a failed one lets the candidate correct the name
    Column("identity_check", String(20)),
    Column("identity_checked_at", UTCDateTime),
)

refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("family", String(36), nullable=False, index=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("ip", String(64)),  # where the session started (shown in the sessions list)
    Column("user_agent", String(300)),
)

signing_keys = Table(
    "signing_keys", metadata,
    Column("kid", String(40), primary_key=True),
    Column("private_pem", Encrypted, nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("retired_at", UTCDateTime),
)

notifications = Table(
    "notifications", metadata,
    Column("id", String(36), primary_key=True),
    Column("candidate_id", String(36), nullable=False),
    Column("kind", String(120), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(500)),
    Column("event_id", String(36), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("read_at", UTCDateTime),
)
Index("ix_notifications_candidate", notifications.c.candidate_id, notifications.c.created_at)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("key", String(100), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

codes = Table(
    "codes", metadata,  # one-time codes sent by SMS or e-mail (only their hash is kept)
    Column("id", String(36), primary_key=True),
    Column("channel", String(10), nullable=False),  # sms | email
    Column("target_hash", String(64), nullable=False),
    Column("purpose", String(30), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("account_id", String(36)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("used_at", UTCDateTime),
)
Index("ix_codes_target", codes.c.target_hash, codes.c.created_at)

outbound_messages = Table(
    "outbound_messages", metadata,  # what the sandbox SMS / mail gateway "sent"
    Column("id", String(36), primary_key=True),
    Column("channel", String(10), nullable=False),
    Column("recipient", Encrypted, nullable=False),
    Column("recipient_masked", String(100), nullable=False),
    Column("purpose", String(30), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

tickets = Table(
    "tickets", metadata,  # single-use, short-lived proofs: reset links, second-factor steps
    Column("token_hash", String(64), primary_key=True),
    Column("purpose", String(30), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("secret", Encrypted),
    Column("data", JSON),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)

login_events = Table(
    "login_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(36)),
    Column("login_hash", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("ip", String(64), nullable=False),
    Column("user_agent", String(300), nullable=False),
    Column("result", String(30), nullable=False),
)
Index("ix_login_events_account", login_events.c.account_id, login_events.c.at)
Index("ix_login_events_login", login_events.c.login_hash, login_events.c.at)
Index("ix_login_events_ip", login_events.c.ip, login_events.c.at)

captchas = Table(
    "captchas", metadata,
    Column("id", String(36), primary_key=True),
    Column("answer", String(10), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)

photos = Table(
    "photos", metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False, index=True),
    # current | locked | change_requested | rejected | replaced
    Column("status", String(20), nullable=False),
    Column("jpeg", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("reviewed_by", String(64)),
    Column("reviewed_at", UTCDateTime),
    Column("reason", String(200)),
)

_started = False


def start_mappers() -> None:
    global _started
    if _started:
        return
    mapper_registry.map_imperatively(Account, accounts, properties={
        "_username_lower": accounts.c.username_lower})
    mapper_registry.map_imperatively(Notification, notifications)
    _started = True

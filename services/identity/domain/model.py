"""Accounts and the notifications a candidate receives."""
from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.common.domain import Aggregate
from services.common.errors import Conflict, Invalid, Unauthorized

EDUCATION_LEVELS = ("无", "中专", "大专", "本科", "硕士研究生", "博士研究生")
DEGREES = ("无", "学士", "硕士", "博士")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
AGREEMENT_VERSION = "2026-01"


def agreement_text(version: str = AGREEMENT_VERSION) -> str:
    """The agreement a sign-up accepts, as shipped with this version (seed 002's 网上报名协议,
    adapted to this platform)."""
    from importlib.resources import files
    return files("services.identity.domain").joinpath(
        "agreements", f"{version}.txt").read_text(encoding="utf-8")


@dataclass
class Education:
    level: str
    school: str | None = None
    major: str | None = None
    graduation_date: date | None = None
    certificate_number: str | None = None
    study_mode: str | None = None

    def __post_init__(self) -> None:
        if self.level not in EDUCATION_LEVELS:
            raise Invalid("请选择学历", code="education_level", field="education.level")
        if self.level == "无":
            self.school = self.major = self.certificate_number = None
            self.graduation_date = None
        elif not (self.school and self.major and self.graduation_date):
            raise Invalid("请填写毕业学校、专业和毕业日期；没有学历请选择“无”",
                          code="education_incomplete", field="education")

    def as_dict(self) -> dict:
        return {"level": self.level, "school": self.school, "major": self.major,
                "graduation_date": self.graduation_date.isoformat() if self.graduation_date
                else None, "certificate_number":
                self.certificate_number, "study_mode": self.study_mode}


class Account(Aggregate):
    def __init__(self, *, username: str, password_hash: str, name: str, document_type: str,
                 document_number: str, document_hash: str, phone: str | None,
                 phone_hash: str | None, birth_date: date | None, education: Education | None,
                 roles: list[str], now: datetime, agreement_version: str | None,
                 scope: dict | None = None, document_valid_until: date | None = None,
                 degree: dict | None = None):
        self.id = str(uuid.uuid4())
        self.username = username
        self._username_lower = username.lower()
        self.password_hash = password_hash
        self.name = name
        self.document_type = document_type
        self.document_number = document_number
        self.document_hash = document_hash
        self.phone = phone
        self.phone_hash = phone_hash
        self.birth_date = birth_date
        self.education = education.as_dict() if education else None
        self.roles = list(roles)
        self.scope = scope or {}
        self.created_at = now
        self.agreement_version = agreement_version
        self.agreement_accepted_at = now if agreement_version else None
        self.failed_logins = 0
        self.locked_until: datetime | None = None
        self.document_valid_until = document_valid_until
        self.degree = degree
        self.phone_verified_at: datetime | None = None
        self.email = self.email_hash = self.email_verified_at = None
        self.security_question = self.security_answer_hash = None
        self.totp_secret = self.totp_enrolled_at = self.totp_last_step = None
        self.must_change_password = False
        self.identity_check: str | None = None  # verification's last public-security outcome
        self.identity_checked_at: datetime | None = None

    @property
    def is_staff(self) -> bool:
        return any(r != "candidate" for r in self.roles)

    @property
    def is_candidate(self) -> bool:
        return "candidate" in self.roles

    def registered(self, masked_document: str) -> None:
        self.record("identity.candidate.registered", self.id, candidate_id=self.id,
                    username=self.username, name=self.name, document_type=self.document_type,
                    document_number_masked=masked_document, birth_date=self.birth_date,
                    education=self.education, degree=self.degree, registered_at=self.created_at)

    def check_can_sign_in(self, now: datetime) -> None:
        if self.locked_until and self.locked_until > now:
            minutes = max(1, math.ceil((self.locked_until - now).total_seconds() / 60))
            raise Unauthorized(f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试",
                               code="account_locked", status=423)

    def sign_in_failed(self, now: datetime) -> None:
        self.failed_logins += 1
        if self.failed_logins >= MAX_FAILURES:
            self.locked_until = now + LOCKOUT
            self.failed_logins = 0
            self.record("identity.account.locked", self.id, account_id=self.id,
                        username=self.username, locked_until=self.locked_until,
                        reason="too_many_failures", locked_at=now)

    def unlock(self) -> None:
        self.failed_logins = 0
        self.locked_until = None

    def profile_changed(self, changed: list[str], now: datetime, **fields) -> None:
        """Only candidates' profile changes matter to other services."""
        if self.is_candidate:
            self.record("identity.profile.changed", self.id, candidate_id=self.id,
                        changed=changed, changed_at=now, **fields)

    def identity_checked(self, outcome: str, at: datetime) -> bool:
        """verification's outcome of the public-security check; the newest one counts."""
        if self.identity_checked_at is not None and at <= self.identity_checked_at:
            return False
        self.identity_check, self.identity_checked_at = outcome, at
        return True

    @property
    def name_correctable(self) -> bool:
        """Seed 002 §3.1.3: name and document are fixed once registered. The one way out we keep
        open: the public-security registry said this name does not belong to this document, so
        the name on record is known to be wrong, and the corrected one is checked again."""
        return self.is_candidate and self.identity_check == "failed"

    def correct_name(self, name: str, now: datetime) -> None:
        name = " ".join((name or "").split())
        if not self.name_correctable:
            raise Conflict("注册后姓名不能修改；仅当公安身份核验未通过（姓名与证件号码不一致）时可更正",
                           code="name_locked")
        if not 1 <= len(name) <= 50:
            raise Invalid("请填写与证件一致的姓名（50 字以内）", code="name_invalid", field="name")
        if name == self.name:
            raise Invalid("新姓名与原姓名相同", code="name_unchanged", field="name")
        self.name = name
        self.identity_check = None  # checked again with the corrected name
        self.profile_changed(["name"], now, name=name)

    def signed_in(self) -> None:
        self.failed_logins = 0
        self.locked_until = None


def degree_claim(degree: dict, education: Education | None) -> dict:
    """Degrees as entered, "无" always allowed; a degree needs at least a 本科 education."""
    level = degree.get("level")
    if level not in DEGREES:
        raise Invalid("请选择学位；没有学位请选择“无”", code="degree_unknown", field="degree.level")
    if level == "无":
        return {"level": "无", "degree_type": None, "school": None, "major": None,
                "awarded_date": None, "certificate_number": None}
    if education is None or education.level in ("无", "中专", "大专"):
        raise Invalid("所填学历层次不能取得该学位，请核对；没有学位请选择“无”",
                      code="degree_mismatch", field="degree.level")
    awarded = degree.get("awarded_date")
    return {"level": level, "degree_type": degree.get("degree_type"),
            "school": degree.get("school") or education.school,
            "major": degree.get("major") or education.major,
            "awarded_date": awarded.isoformat() if isinstance(awarded, date) else awarded,
            "certificate_number": degree.get("certificate_number")}


@dataclass
class Notification:
    candidate_id: str
    kind: str
    title: str
    body: str
    link: str | None
    event_id: str
    created_at: datetime
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    read_at: datetime | None = None

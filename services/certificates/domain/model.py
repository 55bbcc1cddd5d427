"""The certificate aggregate: what was certified, to whom, and its current signed credential.

A certificate is issued once per source fact: a qualification (registration's
``qualification_id``, kind ``qualification``) or a decided professional-title application
(its ``application_id``, kind ``title``). Corrections give a new ``version`` with a new signed
credential; two officers revoke (``status`` → revoked); paper copies are mailed.
"""
from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from services.common.domain import Aggregate
from services.common.errors import Conflict

VALID = "valid"
REVOKED = "revoked"
SUPERSEDED = "superseded"  # a version replaced by a correction (only versions carry it)
STATUSES = {VALID: "有效", REVOKED: "已吊销"}
VERSION_STATUSES = {VALID: "有效", REVOKED: "已吊销", SUPERSEDED: "已补正（被新版本取代）"}
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
QUALIFICATION, TITLE = "qualification", "title"
KINDS = {QUALIFICATION: "职业资格证书", TITLE: "职称证书"}


@dataclass(frozen=True)
class Qualification:
    """What registration says the candidate earned (the ``candidate.qualified`` event)."""
    qualification_id: str
    candidate_id: str
    holder_name: str
    document_number_masked: str
    exam_code: str
    exam_name: str
    level: str
    specialty: str | None
    sitting_year: int
    issuing_authority: str
    qualified_on: date

    @property
    def title(self) -> str:
        """The certificate's title: exam and level, e.g. 经济专业技术资格（中级）."""
        level = (self.level or "").strip()
        if not level or level in self.exam_name:
            return self.exam_name
        return f"{self.exam_name}（{level}）"

    kind = QUALIFICATION
    number_prefix = "BK"
    series = application_type = application_number = decided_by = None


APPLICATION_TYPES = {"initial": "职称初定", "confirmation": "职称确认", "review": "职称评审"}
# Level codes inside title certificate numbers (ZC + year + code + sequence + check).
LEVEL_CODES = {"员级": "YJ", "助理级": "ZL", "初级": "CJ", "中级": "ZJ", "副高级": "FG", "正高级": "ZG"}


@dataclass(frozen=True)
class TitleAward:
    """A professional title registration decided in the holder's favour (the
    ``title_application.decided`` event with ``approved``): what a title certificate states.

    It answers to the same names as a ``Qualification`` so the aggregate, the status list and
    the ops views treat both alike; its number series is its own (``ZC`` + year + level code)."""
    application_id: str
    application_number: str
    candidate_id: str
    holder_name: str
    document_number_masked: str
    application_type: str
    series: str
    title_name: str
    title_level: str
    specialty: str | None
    issuing_authority: str
    decided_by: str
    decided_on: date

    kind = TITLE
    number_prefix = "ZC"

    @property
    def qualification_id(self) -> str:  # the source fact's id: one certificate per application
        return self.application_id

    @property
    def exam_code(self) -> str:
        return LEVEL_CODES.get((self.title_level or "").strip(), "QT")

    @property
    def exam_name(self) -> str:
        return self.title_name

    @property
    def level(self) -> str:
        return self.title_level

    @property
    def sitting_year(self) -> int:
        return self.decided_on.year

    @property
    def qualified_on(self) -> date:
        return self.decided_on

    @property
    def title(self) -> str:
        """e.g. 工程师（中级）: the title and its level, as the certificate lists print it."""
        level = (self.title_level or "").strip()
        if not level or level in self.title_name:
            return self.title_name
        return f"{self.title_name}（{level}）"


class Certificate(Aggregate):
    def __init__(self, *, number: str, qualification: Qualification | TitleAward,
                 status_index: int, issued_at: datetime):
        q = qualification
        self.number = number
        self.kind = q.kind
        self.series = q.series
        self.application_type = q.application_type
        self.application_number = q.application_number
        self.decided_by = q.decided_by
        self.qualification_id = q.qualification_id
        self.candidate_id = q.candidate_id
        self.holder_name = q.holder_name
        self.document_number_masked = q.document_number_masked
        self.exam_code = q.exam_code
        self.exam_name = q.exam_name
        self.level = q.level
        self.specialty = q.specialty
        self.sitting_year = q.sitting_year
        self.issuing_authority = q.issuing_authority
        self.qualified_on = q.qualified_on
        self.title = q.title
        self.status_index = status_index  # its bit in the (later) bitstring status list
        self.issued_at = issued_at.replace(microsecond=0)
        self.issued_on = self.issued_at.astimezone(CHINA).date()  # the date printed: Beijing time
        self.status = VALID
        self.version = 1
        self.kid: str | None = None
        self.credential: str | None = None  # the signed JSON, byte for byte as served

    def attach_credential(self, credential_json: str, kid: str) -> None:
        self.credential = credential_json
        self.kid = kid

    def issued(self, verification_url: str) -> None:
        extra = {}
        if self.kind == TITLE:  # optional fields: qualification events stay as they were
            extra = {"kind": TITLE, "application_id": self.qualification_id}
        self.record("certificates.certificate.issued", self.number,
                    certificate_number=self.number, qualification_id=self.qualification_id,
                    candidate_id=self.candidate_id, title=self.title, issued_on=self.issued_on,
                    verification_url=verification_url, **extra)

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind or QUALIFICATION, self.kind)

    @property
    def application_type_label(self) -> str | None:
        return APPLICATION_TYPES.get(self.application_type or "")

    def revoke(self, *, reason: str, requested_by: str, approved_by: str, at: datetime) -> None:
        """Two officers agreed (the service checked they differ): the certificate is revoked."""
        if self.status == REVOKED:
            raise Conflict("该证书已吊销", code="already_revoked")
        self.status = REVOKED
        self.record("certificates.certificate.revoked", self.number,
                    certificate_number=self.number, candidate_id=self.candidate_id,
                    qualification_id=self.qualification_id, version=self.version, reason=reason,
                    requested_by=requested_by, approved_by=approved_by, revoked_at=at)

    def correct(self, *, holder_name: str, document_number_masked: str, status_index: int,
                at: datetime, kind: str, correction_id: str) -> int:
        """A correction (补正) was approved: the next version, to be signed again; its number."""
        if self.status == REVOKED:
            raise Conflict("已吊销的证书不能补正", code="certificate_revoked")
        previous = self.version
        self.version = previous + 1
        self.holder_name = holder_name
        self.document_number_masked = document_number_masked
        self.status_index = status_index
        self.issued_at = at.replace(microsecond=0)
        self.issued_on = self.issued_at.astimezone(CHINA).date()
        self.record("certificates.certificate.corrected", self.number,
                    certificate_number=self.number, candidate_id=self.candidate_id,
                    qualification_id=self.qualification_id, version=self.version,
                    previous_version=previous, kind=kind, correction_id=correction_id,
                    corrected_at=self.issued_at)
        return self.version

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


def names_match(given: str, holder_name: str) -> bool:
    """Whether the name a verifier typed is the holder's (spacing, width and case forgiven)."""
    def norm(s: str) -> str:
        s = unicodedata.normalize("NFKC", s or "")
        return "".join(s.split()).replace("・", "·").replace("•", "·").casefold()
    a, b = norm(given), norm(holder_name)
    return bool(a) and hmac.compare_digest(a.encode(), b.encode())

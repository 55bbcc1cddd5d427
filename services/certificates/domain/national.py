"""Reporting title certificates to the national platform (人社部专业技术人员职称信息平台).

Seed 003: every title certificate's data is reported to the national platform (and so is its
revocation: the record carries the certificate's status); when what the
platform holds differs from the certificate the holder corrects first (申请补正) and then
re-reports (上报人社部). Pure rules here: the report's states and back-off, what is reported,
the field-by-field comparison and when a holder may ask again. The platform itself is a port
(``NationalPlatform``); a simulated one stands in for it (``adapters/national_platform.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.certificates.domain.model import STATUSES
from services.common.errors import Conflict, Invalid

PENDING, REPORTED, FAILED = "pending", "reported", "failed"
STATES = {PENDING: "上报中", REPORTED: "已上报", FAILED: "上报失败，将自动重试"}
SYSTEM, HOLDER, OFFICER = "system", "holder", "officer"  # who asked for the (re-)report
# What the national platform records of a title certificate, with the labels a holder reads.
FIELDS = {"holder_name": "姓名", "document_number_masked": "证件号码", "series": "职称系列",
          "title_name": "职称名称", "title_level": "职称级别", "specialty": "职称专业",
          "issuing_authority": "发证单位", "issued_on": "取得时间", "status": "证书状态"}
HOLDER_COOLDOWN = timedelta(minutes=10)  # between two re-reports the holder asks for
FIRST_RETRY, LAST_RETRY = timedelta(seconds=30), timedelta(minutes=30)
LEASE = timedelta(minutes=2)  # a claimed report is skipped by other workers this long


class NationalPlatformUnavailable(Exception):
    """The national platform did not answer (outage, timeout, refused connection)."""


@dataclass(frozen=True)
class Acknowledgement:
    """The platform's receipt. ``duplicate``: it already held this number and version (our
    earlier attempt got through but its answer was lost), which is still a success."""
    receipt: str
    duplicate: bool = False


class NationalPlatform(Protocol):
    def report(self, record: dict) -> Acknowledgement:
        """Store ``record`` (``FIELDS`` + number and version); idempotent by number + version."""

    def query(self, number: str) -> dict | None:
        """What the platform holds for this certificate number (None: nothing)."""


def record_of(cert) -> dict:
    """What is reported of a title certificate's current version (as printed)."""
    return {"number": cert.number, "version": cert.version, "holder_name": cert.holder_name,
            "document_number_masked": cert.document_number_masked, "series": cert.series or "",
            "title_name": cert.exam_name, "title_level": cert.level,
            "specialty": cert.specialty or "", "issuing_authority": cert.issuing_authority,
            "issued_on": cert.qualified_on.isoformat(),
            # a revocation is reported like a correction: the platform must not go on
            # showing a revoked title as held
            "status": STATUSES.get(cert.status, cert.status)}


def compare(ours: dict, theirs: dict | None) -> list[dict]:
    """Field by field: ours, the platform's and whether they differ (all differ when the
    platform holds nothing)."""
    theirs = theirs or {}
    out = []
    for field, label in FIELDS.items():
        a, b = str(ours.get(field) or ""), theirs.get(field)
        b = None if b is None else str(b)
        out.append({"field": field, "label": label, "ours": a, "theirs": b,
                    "differs": b is None or " ".join(a.split()) != " ".join(b.split())})
    return out


def differs(comparison: list[dict]) -> bool:
    return any(row["differs"] for row in comparison)


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after ``attempts`` failures: 30 s doubling to 30 min. A report
    is never given up: an outage of any length only delays it."""
    if attempts <= 0:
        return timedelta(0)
    return min(FIRST_RETRY * (2 ** min(attempts - 1, 16)), LAST_RETRY)


def may_holder_requeue(*, state: str | None, comparison: list[dict], correction_pending: bool,
                       revoked: bool, last_holder_request: datetime | None, now: datetime) -> None:
    """Seed 003: the holder re-reports when the platform's data differs (after correcting ours
    if ours was wrong). Raises with the reason when not now."""
    if revoked:
        raise Conflict("已吊销的证书不能上报人社部平台", code="certificate_revoked")
    if state in (PENDING, FAILED):
        raise Conflict("证书数据正在上报人社部平台，请等待上报完成后再查询", code="report_pending")
    if correction_pending:
        raise Conflict("您有一条待审核的补正申请：审核通过后证书数据会自动重新上报人社部平台",
                       code="correction_pending")
    if not differs(comparison):
        raise Invalid("人社部平台的证书信息与本证书一致，无需重新上报", code="nothing_differs")
    if last_holder_request is not None and now - last_holder_request < HOLDER_COOLDOWN:
        minutes = int(HOLDER_COOLDOWN.total_seconds() // 60)
        raise Conflict(f"上报过于频繁，请 {minutes} 分钟后再试", code="too_soon", status=429)

"""A check: one claim of one candidate (education now; degree and identity later) being verified.

One current check per candidate and kind. It starts ``checking``; a verdict moves it to
``passed``, ``failed``, ``manual_check`` or ``on_site_check`` and records the ``*.verified``
event in the same transaction. A registry outage keeps it ``checking`` with the next attempt
scheduled by back-off. A newer claim (profile changed) restarts it; an older one is ignored,
since events may arrive out of order.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from services.common.domain import Aggregate
from services.verification.domain.rules import Outcome, retry_delay

STATUSES = ("checking", "passed", "failed", "manual_check", "on_site_check")
FINAL = frozenset(STATUSES[1:])
STATUS_LABELS = {"checking": "核验中", "passed": "核验通过", "failed": "核验未通过",
                 "manual_check": "需人工核验", "on_site_check": "需现场核验"}
KIND_LABELS = {"education": "学历", "degree": "学位", "identity": "身份"}
VERIFIED_EVENTS = {"education": "verification.education.verified",
                   "degree": "verification.degree.verified",
                   "identity": "verification.identity.verified"}
REGISTRY_TITLES = {"education": "学信网", "degree": "学位网", "identity": "公安部门身份核查服务"}
WAITING_REASON = "学信网暂时无法连接，系统会自动重试，请稍后查看，无需重复提交"
CHECKING_REASON = "正在与学信网核对，请稍候"
AWAITING_NAME_REASON = "正在等待考生账户信息，收到后自动核验"
DOCUMENTS_WAITING_REASON = "暂时无法取得证件信息，系统会自动重试，请稍后查看，无需重复提交"


def _education_facts(f: dict) -> dict:
    return {"education_level": f.get("level"), "major": f.get("major"),
            "graduation_date": f.get("graduation_date")}


def _degree_facts(f: dict) -> dict:
    return {"degree_level": f.get("level"), "degree_type": f.get("degree_type"),
            "major": f.get("major"), "awarded_date": f.get("awarded_date")}


def _identity_facts(f: dict) -> dict:
    return {"document_type": f.get("document_type")}


EVENT_FACTS = {"education": _education_facts, "degree": _degree_facts,
               "identity": _identity_facts}


def waiting_reason(kind: str) -> str:
    if kind == "education":
        return WAITING_REASON
    return f"{REGISTRY_TITLES[kind]}暂时无法连接，系统会自动重试，请稍后查看，无需重复提交"


def checking_reason(kind: str) -> str:
    return CHECKING_REASON if kind == "education" else f"正在与{REGISTRY_TITLES[kind]}核对，请稍候"


class Check(Aggregate):
    def __init__(self, *, candidate_id: str, kind: str, now: datetime):
        if kind not in KIND_LABELS:
            raise ValueError(f"unknown check kind {kind!r}")
        self.id = str(uuid.uuid4())
        self.candidate_id = candidate_id
        self.kind = kind
        self.status = "checking"
        self.reason: str | None = None
        self.reason_code: str | None = None
        self.subject_name: str | None = None
        self.certificate_number: str | None = None
        self.claim: dict = {}
        self.claim_at: datetime | None = None
        self.attempts = 0
        self.next_attempt_at: datetime | None = None
        self.last_error: str | None = None
        self.registry_record: dict | None = None  # what the registry said, for reviewers
        self.created_at = now
        self.updated_at = now
        self.decided_at: datetime | None = None

    # -- what the candidate claims -------------------------------------------------------
    def refresh(self, *, name: str | None, claim: dict | None, certificate_number: str | None,
                as_of: datetime) -> bool:
        """Take a newer claim; return True when the check must run again.

        A claim older than the one held is stale (events reorder on retries) and changes
        nothing, except that a name arriving late still fills a gap.
        """
        stale = self.claim_at is not None and as_of < self.claim_at
        changed = False
        if name and name != self.subject_name and (not stale or self.subject_name is None):
            self.subject_name = name
            changed = True
        if claim is not None and not stale and claim != self.claim:
            self.claim = claim
            self.certificate_number = certificate_number
            changed = True
        if not stale:
            self.claim_at = as_of
        return changed

    @property
    def ready(self) -> bool:
        """A check can run once it knows both the claim and the candidate's name."""
        return bool(self.claim) and bool(self.subject_name)

    # -- what happens to it ---------------------------------------------------------------
    def restart(self, now: datetime) -> None:
        """Back to ``checking`` for a new claim (or a registry record added by staff)."""
        self.status = "checking"
        self.reason = checking_reason(self.kind) if self.ready else AWAITING_NAME_REASON
        self.reason_code = None if self.ready else "awaiting_name"
        self.attempts = 0
        self.next_attempt_at = now if self.ready else None
        self.last_error = None
        self.registry_record = None
        self.decided_at = None
        self.updated_at = now

    def decide(self, outcome: Outcome, now: datetime, *, registry_record: dict | None = None,
               facts: dict | None = None) -> None:
        """Record a verdict and announce it (``facts``: what the claim is, e.g. level, major)."""
        if outcome.status not in FINAL:
            raise ValueError(f"{outcome.status!r} is not a verdict")
        self.status = outcome.status
        self.reason = outcome.reason
        self.reason_code = outcome.code
        self.registry_record = registry_record
        self.next_attempt_at = None
        self.last_error = None
        self.decided_at = self.updated_at = now
        self.record(VERIFIED_EVENTS[self.kind], self.candidate_id,
                    candidate_id=self.candidate_id, check_id=self.id, outcome=self.status,
                    reason=self.reason, checked_at=now, **EVENT_FACTS[self.kind](facts or {}))

    def registry_unavailable(self, now: datetime, error: str, *, reason: str | None = None,
                             code: str = "registry_unavailable") -> None:
        """No answer from the registry (or from identity, for the document): stay
        ``checking`` and try again later, with back-off."""
        self.status = "checking"
        self.attempts += 1
        self.next_attempt_at = now + retry_delay(self.attempts, self.id)
        self.last_error = error[:500]
        self.reason = reason or waiting_reason(self.kind)
        self.reason_code = code
        self.updated_at = now

    def due(self, now: datetime) -> bool:
        return (self.status == "checking" and self.next_attempt_at is not None
                and self.next_attempt_at <= now)

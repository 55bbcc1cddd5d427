"""Use cases on checks: take a claim (education, degree, identity), run it, retry the waiting ones.

A verdict that needs a person opens a review item (``review.after_verdict``); a newer claim
cancels the open one.

Registry lookups happen before anything is written, so a slow registry never holds a write
lock; the verdict and its event then commit together (outbox).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from services.common import clock
from services.verification.adapters.orm import checks as checks_table
from services.verification.domain.model import DOCUMENTS_WAITING_REASON, Check
from services.verification.domain.other_rules import (
    NO_DOCUMENT,
    DegreeClaim,
    judge_degree,
    judge_identity,
    precheck_degree,
    precheck_identity,
)
from services.verification.domain.registries import (
    CandidateDocuments,
    DegreeRegistry,
    DocumentsUnavailable,
    EducationRecord,
    EducationRegistry,
    IdentityRegistry,
    RegistryUnavailable,
)
from services.verification.domain.review import ReviewConfig
from services.verification.domain.rules import (
    EducationClaim,
    judge_education,
    normalise_number,
    precheck_education,
)
from services.verification.service_layer import review

log = logging.getLogger(__name__)

IDENTITY_EVENTS = ("identity.candidate.registered", "identity.profile.changed")
RETRY_BATCH = 50


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def on_identity_event(registry, config: ReviewConfig | None = None):
    """The handler for identity's events: a new or changed education claim (or name).

    A degree claim is checked too when the event carries one (``degree``: a later version of
    identity's events, see the README); today's v1 events do not.
    """
    config = config or ReviewConfig()
    registries = _registries(registry)

    def check_education(event, uow) -> None:
        d = event.data
        if event.type == "identity.candidate.registered":
            education_claim_received(uow, registries, candidate_id=d["candidate_id"],
                                     name=d["name"], education=d["education"],
                                     as_of=d["registered_at"], config=config)
            if d.get("degree") is not None and registries.degree is not None:
                degree_claim_received(uow, registries, candidate_id=d["candidate_id"],
                                      name=d["name"], degree=d["degree"],
                                      as_of=d["registered_at"], config=config)
            if registries.checks_identity:
                identity_check_requested(
                    uow, registries, candidate_id=d["candidate_id"], name=d["name"],
                    document_type=d["document_type"],
                    document_number_masked=d["document_number_masked"],
                    as_of=d["registered_at"], config=config)
            return
        changed = set(d.get("changed") or ())
        name = d.get("name") if "name" in changed else None
        if registries.checks_identity and (
                "document" in changed or (name and _has_check(uow, d["candidate_id"],
                                                               "identity"))):
            identity_check_requested(
                uow, registries, candidate_id=d["candidate_id"], name=name, document_type=None,
                document_number_masked=d.get("document_number_masked") if "document" in changed
                else None, as_of=d["changed_at"], config=config)
        if registries.degree is not None and (
                ("degree" in changed and d.get("degree") is not None)
                or (name and _has_check(uow, d["candidate_id"], "degree"))):
            degree_claim_received(
                uow, registries, candidate_id=d["candidate_id"], name=name,
                degree=d.get("degree") if "degree" in changed else None,
                as_of=d["changed_at"], config=config)
        if not changed & {"education", "name"}:
            return
        education_claim_received(
            uow, registries, candidate_id=d["candidate_id"],
            name=d.get("name") if "name" in changed else None,
            education=d.get("education") if "education" in changed else None,
            as_of=d["changed_at"], config=config)
    return check_education


def _has_check(uow, candidate_id: str, kind: str) -> bool:
    return uow.session.query(Check.id).filter_by(candidate_id=candidate_id, kind=kind
                                                 ).first() is not None


def education_claim_received(uow, registry, *, candidate_id: str, name: str | None,
                             education: dict | None, as_of, config: ReviewConfig | None = None
                             ) -> Check:
    """Create or refresh the candidate's education check and run it when something changed."""
    claim = EducationClaim.from_dict(education) if education is not None else None
    return claim_received(uow, registry, kind="education", candidate_id=candidate_id, name=name,
                          claim=claim.as_dict() if claim else None,
                          key=claim.number if claim else None, as_of=as_of, config=config)


def degree_claim_received(uow, registries, *, candidate_id: str, name: str | None,
                          degree: dict | None, as_of, config: ReviewConfig | None = None
                          ) -> Check:
    """The same for a degree claim (学位网)."""
    claim = DegreeClaim.from_dict(degree) if degree is not None else None
    return claim_received(uow, registries, kind="degree", candidate_id=candidate_id, name=name,
                          claim=claim.as_dict() if claim else None,
                          key=claim.number if claim else None, as_of=as_of, config=config)


def identity_claim_received(uow, registries, *, candidate_id: str, name: str | None,
                            document_type: str, document_number: str, as_of,
                            config: ReviewConfig | None = None) -> Check:
    """The same for name + document (public-security check).

    The full number is kept in the claim only while the check may still need to ask (retries
    during an outage); a verdict replaces it with the masked form (``scrub_identity``).
    """
    number = normalise_number(document_number)
    claim = {"document_type": document_type, "document_number": number,
             "document_number_masked": mask(number),
             "number_sha256": hashlib.sha256(number.encode()).hexdigest()}
    return claim_received(uow, registries, kind="identity", candidate_id=candidate_id,
                          name=name, claim=claim, key=None, as_of=as_of, config=config,
                          compare=lambda held: {k: v for k, v in held.items()
                                                if k != "document_number"})


def identity_check_requested(uow, registries, *, candidate_id: str, name: str | None,
                             document_type: str | None, document_number_masked: str | None,
                             as_of, config: ReviewConfig | None = None) -> Check:
    """Identity's event says there is a (new) document or name: check it with public security.

    The event carries only the masked number; the check asks identity for the full one each
    time it runs (``run_identity_check``), so verification never stores it at all. With no
    ``document_number_masked`` (a name change) the held claim stays and only the name is new.
    """
    claim = None
    if document_number_masked is not None:
        claim = {"source": "identity", "document_type": document_type,
                 "document_number_masked": document_number_masked}
    return claim_received(uow, registries, kind="identity", candidate_id=candidate_id,
                          name=name, claim=claim, key=None, as_of=as_of, config=config)


def mask(number: str) -> str:
    return number[:4] + "*" * max(len(number) - 8, 0) + number[-4:] if len(number) > 8 else "****"


def claim_received(uow, registries, *, kind: str, candidate_id: str, name: str | None,
                   claim: dict | None, key: str | None, as_of,
                   config: ReviewConfig | None = None, compare=None) -> Check:
    """Create or refresh the candidate's check of ``kind``; run it when something changed."""
    now = clock.now()
    check = (uow.session.query(Check).filter_by(candidate_id=candidate_id, kind=kind)
             .one_or_none())
    new = check is None
    if new:
        check = Check(candidate_id=candidate_id, kind=kind, now=now)
    if compare is not None and claim is not None and check.claim \
            and compare(check.claim) == compare(claim):
        claim = check.claim  # same claim (the scrubbed copy lacks the full number)
    changed = check.refresh(name=name, claim=claim, certificate_number=key, as_of=_aware(as_of))
    if changed:
        if not new:
            review.cancel_open(uow, check, "考生修改了信息，按新信息重新核验")
        check.restart(now)
        if check.ready:
            run_check(check, registries)
            review.after_verdict(uow, config or ReviewConfig(), check)
    else:
        log.info("%s check of %s: nothing new (stale or repeated claim)", kind, candidate_id)
    if new:
        uow.add(check)
    else:
        uow.track(check)
    # A concurrent first claim of the same candidate fails here, inside the handler, so the
    # message is retried and lands on the update path (not mistaken for a duplicate delivery).
    uow.session.flush()
    return check


@dataclass(frozen=True)
class Registries:
    """The registry adapters the checks ask (a bare education registry also works), and
    where the identity check gets the full document number (identity's internal API)."""
    education: EducationRegistry
    degree: DegreeRegistry | None = None
    identity: IdentityRegistry | None = None
    documents: CandidateDocuments | None = None

    @property
    def checks_identity(self) -> bool:
        return self.identity is not None and self.documents is not None


def _registries(r) -> Registries:
    return r if isinstance(r, Registries) else Registries(education=r)


def run_check(check: Check, registries) -> None:
    """Decide the check with the registry of its kind, or leave it waiting."""
    r = _registries(registries)
    if check.kind == "education":
        run_education_check(check, r.education)
    elif check.kind == "degree":
        run_degree_check(check, r.degree)
    else:
        run_identity_check(check, r.identity, r.documents)


def run_degree_check(check: Check, registry: DegreeRegistry) -> None:
    claim = DegreeClaim.from_dict(check.claim)
    outcome = precheck_degree(claim)
    record = None
    if outcome is None:
        try:
            record = registry.lookup(claim.number)
        except RegistryUnavailable as exc:
            check.registry_unavailable(clock.now(), str(exc))
            return
        outcome = judge_degree(claim, check.subject_name, record)
    if outcome.status == "passed" and record is not None:
        snapshot = {"certificate_number": record.certificate_number, "name": record.name,
                    "level": record.level, "degree_type": record.degree_type,
                    "school": record.school, "major": record.major,
                    "awarded_date": record.awarded_date.isoformat()}
        facts = snapshot
    else:
        snapshot, facts = None, claim.as_dict()
    check.decide(outcome, clock.now(), registry_record=snapshot, facts=facts)


def run_identity_check(check: Check, registry: IdentityRegistry,
                       documents: CandidateDocuments | None = None) -> None:
    if check.claim.get("source") == "identity":
        run_fetched_identity_check(check, registry, documents)
        return
    claim = dict(check.claim)
    outcome = precheck_identity(claim.get("document_type"))
    if outcome is None:
        number = claim.get("document_number")
        if not number:  # scrubbed after an earlier verdict: nothing to ask again
            return
        try:
            answer = registry.verify(number, check.subject_name)
        except RegistryUnavailable as exc:
            check.registry_unavailable(clock.now(), str(exc))
            return
        outcome = judge_identity(answer)
    claim.pop("document_number", None)
    check.claim = claim  # data minimisation: the full number is not kept after a verdict
    check.decide(outcome, clock.now(), facts={"document_type": claim.get("document_type")})


def run_fetched_identity_check(check: Check, registry: IdentityRegistry,
                               documents: CandidateDocuments | None) -> None:
    """Ask identity for the document, then public security; either may make the check wait.

    The number lives in this frame only: it is not written to the check, the error text or
    the log (``CandidateDocument``'s repr leaves it out).
    """
    claim = check.claim
    outcome = precheck_identity(claim["document_type"]) if claim.get("document_type") else None
    document_type = claim.get("document_type")
    if outcome is None:
        try:
            if documents is None:
                raise DocumentsUnavailable("identity: no client configured")
            document = documents.fetch(check.candidate_id)
        except DocumentsUnavailable as exc:
            log.warning("identity check %s: document not available: %s", check.id, exc)
            check.registry_unavailable(clock.now(), str(exc), reason=DOCUMENTS_WAITING_REASON,
                                       code="identity_unavailable")
            return
        if document is None:
            outcome = NO_DOCUMENT
        else:
            document_type = document.document_type
            outcome = precheck_identity(document_type)
            if outcome is None:
                try:
                    answer = registry.verify(normalise_number(document.document_number),
                                             document.name)
                except RegistryUnavailable as exc:
                    check.registry_unavailable(clock.now(), str(exc))
                    return
                outcome = judge_identity(answer)
            del document
    check.decide(outcome, clock.now(), facts={"document_type": document_type})


def run_education_check(check: Check, registry: EducationRegistry) -> None:
    """Decide the check, or leave it waiting when the registry does not answer."""
    claim = EducationClaim.from_dict(check.claim)
    outcome = precheck_education(claim)
    record: EducationRecord | None = None
    if outcome is None:
        try:
            record = registry.lookup(claim.number)
        except RegistryUnavailable as exc:
            log.warning("education check %s: registry unavailable: %s", check.id, exc)
            check.registry_unavailable(clock.now(), str(exc))
            return
        outcome = judge_education(claim, check.subject_name, record)
    if outcome.status == "passed" and record is not None:
        # The registry is the authority on what the diploma says (major, date).
        facts = {"level": record.level, "major": record.major,
                 "graduation_date": record.graduation_date}
    else:
        facts = {"level": claim.level, "major": claim.major,
                 "graduation_date": claim.graduation_date}
    check.decide(outcome, clock.now(), registry_record=_snapshot(record), facts=facts)


def _snapshot(record: EducationRecord | None) -> dict | None:
    if record is None:
        return None
    return {"certificate_number": record.certificate_number, "name": record.name,
            "level": record.level, "school": record.school, "major": record.major,
            "graduation_date": record.graduation_date.isoformat(),
            "study_mode": record.study_mode}


def retry_due_checks(uow_factory, registry, *,
                     limit: int = RETRY_BATCH, config: ReviewConfig | None = None) -> dict:
    """The periodic job: try the waiting checks whose back-off has passed.

    Rows are claimed one by one with SKIP LOCKED (PostgreSQL), so several workers share the
    work. After the first "unavailable" of a kind, that kind's other checks wait for the next
    run: one probe per registry and run during an outage, not a burst of timeouts, and one
    registry's outage (or identity's) does not hold up the others.
    """
    now = clock.now()
    done = {"decided": 0, "waiting": 0}
    down: set[str] = set()  # kinds whose source did not answer in this run
    with uow_factory() as uow:
        ids = uow.session.execute(
            select(checks_table.c.id)
            .where(checks_table.c.status == "checking", checks_table.c.next_attempt_at <= now)
            .order_by(checks_table.c.next_attempt_at).limit(limit)).scalars().all()
    for check_id in ids:
        with uow_factory() as uow:
            check = (uow.session.query(Check).filter_by(id=check_id)
                     .with_for_update(skip_locked=True).one_or_none())
            if check is None or not check.due(clock.now()) or check.kind in down:
                continue
            uow.track(check)
            run_check(check, registry)
            review.after_verdict(uow, config or ReviewConfig(), check)
            uow.commit()
            if check.status == "checking":
                done["waiting"] += 1
                down.add(check.kind)  # one probe per source and run during an outage
                continue
            done["decided"] += 1
    return done


def requeue_for_number(uow, certificate_number: str) -> int:
    """Staff added a registry record: checks that failed for want of it run again."""
    now = clock.now()
    found = (uow.session.query(Check)
             .filter(Check.certificate_number == certificate_number, Check.kind == "education",
                     Check.status == "failed",
                     Check.reason_code == "not_found").all())
    for check in found:
        review.cancel_open(uow, check, "学信网已补录该证书编号，重新在线核验")
        check.restart(now)
    return len(found)


def checks_of(uow, candidate_id: str) -> list[Check]:
    return (uow.session.query(Check).filter_by(candidate_id=candidate_id)
            .order_by(Check.kind).all())


def list_checks(uow, status: str | None = None, q: str | None = None,
                limit: int = 200) -> list[Check]:
    query = uow.session.query(Check)
    if status:
        query = query.filter(Check.status == status)
    if q:
        query = query.filter((Check.candidate_id == q) | (Check.certificate_number == q)
                             | (Check.subject_name == q))
    return query.order_by(Check.updated_at.desc()).limit(limit).all()


def status_counts(uow) -> dict[str, int]:
    rows = uow.session.execute(select(checks_table.c.status, func.count())
                               .group_by(checks_table.c.status)).all()
    return {status: n for status, n in rows}


def oldest_waiting(uow) -> datetime | None:
    """When the longest-waiting check last changed: the registry-health signal."""
    return uow.session.execute(select(func.min(checks_table.c.updated_at))
                               .where(checks_table.c.status == "checking")).scalar()

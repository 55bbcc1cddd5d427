"""Reporting title certificates to the national platform (上报人社部), seed 003.

Every title certificate is queued here when issued, after each approved correction and when it
is revoked (inside that transaction, so nothing is issued or revoked unreported); the worker job
``national_reports`` reports the current version, retrying with back-off for as long as the platform is down. The holder
compares with what the platform holds and re-queues when it differs; officers re-queue from the
desk. The platform is called outside any transaction: a claim is a short lease (SKIP LOCKED),
and the outcome is written only if the row still asks for that version.
"""
from __future__ import annotations

import logging

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from services.certificates.adapters.orm import corrections, national_reports
from services.certificates.domain import national
from services.certificates.domain.model import REVOKED, TITLE, Certificate
from services.common import clock
from services.common.errors import Conflict, NotFound

log = logging.getLogger(__name__)
ACKNOWLEDGED = "certificates.national_report.acknowledged"
CHUNK = 20


def enqueue(uow, cert: Certificate, by: str = national.SYSTEM) -> None:
    """Ask for the certificate's current version to be reported (a title certificate only);
    idempotent: one row per certificate, its version moves on."""
    if cert.kind != TITLE:
        return
    now = clock.now()
    values = dict(version=cert.version, state=national.PENDING, attempts=0, next_attempt_at=now,
                  last_error=None, requested_by=by, requested_at=now)
    t = national_reports
    dialect = uow.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    uow.session.execute(insert(t).values(number=cert.number, candidate_id=cert.candidate_id,
                                         **values)
                        .on_conflict_do_update(index_elements=[t.c.number], set_=values))


def _row(uow, number: str, lock: bool = False):
    q = select(national_reports).where(national_reports.c.number == number)
    return uow.session.execute(q.with_for_update() if lock else q).first()


def status(uow, cert: Certificate) -> dict:
    """The report's state as the holder and officers see it."""
    row = _row(uow, cert.number)
    if row is None:
        return {"number": cert.number, "state": None, "state_label": "未上报", "version": None}
    out = dict(row._mapping)
    out.pop("candidate_id", None)
    out["state_label"] = national.STATES.get(row.state, row.state)
    out["current_version"] = cert.version
    return out


def compare(platform, cert: Certificate) -> dict:
    """What the platform holds beside the certificate, field by field (one remote query)."""
    try:
        theirs = platform.query(cert.number)
    except national.NationalPlatformUnavailable as exc:
        return {"available": False, "message": f"暂时无法查询人社部平台：{exc}，请稍后再试",
                "record": None, "held": None, "fields": [], "mismatch": None}
    rows = national.compare(national.record_of(cert), theirs)
    held = None if theirs is None else {k: theirs.get(k)
                                        for k in ("version", "receipt", "received_at")}
    return {"available": True, "record": theirs, "held": held, "fields": rows,
            "mismatch": national.differs(rows),
            "message": ("人社部平台暂无该证书信息" if theirs is None else
                        "人社部平台的信息与本证书不一致" if national.differs(rows) else
                        "人社部平台的信息与本证书一致")}


def holder_requeue(runtime, platform, number: str, candidate_id: str) -> dict:
    """The holder's 上报人社部: only after comparing, only when something differs, not while a
    report or a correction is pending, at most once per cool-down."""
    from services.certificates.service_layer.queries import owned
    with runtime.uow() as uow:
        cert = title_only(owned(uow, number, candidate_id))
    found = compare(platform, cert)  # outside any transaction: a remote call
    if not found["available"]:
        # 409, not 503: this service is fine, and the holder must read why (the gateway shows
        # a 5xx as "service unavailable").
        raise Conflict(found["message"], code="national_unavailable")
    with runtime.uow() as uow:
        cert = title_only(owned(uow, number, candidate_id))
        row = _row(uow, cert.number, lock=True)
        now = clock.now()
        pending_correction = uow.session.execute(select(corrections.c.id).where(and_(
            corrections.c.number == cert.number, corrections.c.status == "pending"))).first()
        national.may_holder_requeue(
            state=row.state if row else None, comparison=found["fields"],
            correction_pending=pending_correction is not None, revoked=cert.status == REVOKED,
            last_holder_request=row.holder_requested_at if row else None, now=now)
        enqueue(uow, cert, national.HOLDER)
        uow.session.execute(update(national_reports).where(
            national_reports.c.number == cert.number).values(holder_requested_at=now))
        uow.audit(candidate_id, "certificate.national_requeued", cert.number, by="holder",
                  version=cert.version)
        uow.commit()
        return status(uow, cert)


def officer_requeue(uow, number: str, officer) -> dict:
    """An officer re-queues at once (after an outage, or to push a fresh copy)."""
    cert = uow.session.get(Certificate, number)
    if cert is None:
        raise NotFound("没有这本证书", code="certificate_not_found")
    cert = title_only(cert)  # a revoked one too: it reports the revocation again
    _row(uow, cert.number, lock=True)
    enqueue(uow, cert, national.OFFICER)
    uow.audit(officer.username, "certificate.national_requeued", cert.number, by="officer",
              version=cert.version)
    return status(uow, cert)


def title_only(cert: Certificate) -> Certificate:
    if cert.kind != TITLE:
        raise Conflict("只有职称证书上报人社部平台", code="not_a_title_certificate")
    return cert


def work(runtime, platform, limit: int = CHUNK) -> int:
    """The periodic job: report due certificates; returns how many attempts it made."""
    claimed = _claim(runtime, limit)
    for number, version, record in claimed:
        try:
            ack = platform.report(record)
        except national.NationalPlatformUnavailable as exc:
            _failed(runtime, number, version, str(exc))
        except Exception as exc:  # noqa: BLE001 - one bad report must not stop the others
            log.exception("reporting %s v%s failed", number, version)
            _failed(runtime, number, version, f"{type(exc).__name__}: {exc}")
        else:
            _acknowledged(runtime, number, version, ack)
    return len(claimed)


def _claim(runtime, limit: int) -> list[tuple[str, int, dict]]:
    """Take due reports for a lease (other workers skip them), in a short transaction."""
    t, now = national_reports, clock.now()
    out = []
    with runtime.uow() as uow:
        rows = uow.session.execute(
            select(t.c.number).where(t.c.state.in_((national.PENDING, national.FAILED)),
                                     t.c.next_attempt_at <= now)
            .order_by(t.c.next_attempt_at).limit(limit)
            .with_for_update(skip_locked=True)).scalars().all()
        for number in rows:
            cert = uow.session.get(Certificate, number)
            uow.session.execute(update(t).where(t.c.number == number).values(
                version=cert.version, next_attempt_at=now + national.LEASE))
            out.append((number, cert.version, national.record_of(cert)))
        uow.commit()
    return out


def _acknowledged(runtime, number: str, version: int, ack: national.Acknowledgement) -> None:
    t = national_reports
    with runtime.uow() as uow:
        row = _row(uow, number, lock=True)
        if row is None or row.version != version or row.state == national.REPORTED:
            return  # re-queued for a newer version meanwhile, or another worker got here first
        uow.session.execute(update(t).where(t.c.number == number).values(
            state=national.REPORTED, attempts=0, last_error=None, reported_version=version,
            reported_at=clock.now(), receipt=ack.receipt))
        # One event per queued report (issuance, correction, re-report), whatever the retries
        # and duplicate acknowledgements.
        uow.emit(ACKNOWLEDGED, {
            "certificate_number": number, "candidate_id": row.candidate_id, "version": version,
            "receipt": ack.receipt, "duplicate": ack.duplicate, "requested_by": row.requested_by,
            "reported_at": clock.now()}, subject=number)
        uow.commit()


def _failed(runtime, number: str, version: int, error: str) -> None:
    t = national_reports
    with runtime.uow() as uow:
        row = _row(uow, number, lock=True)
        if row is None or row.version != version or row.state == national.REPORTED:
            return
        attempts = row.attempts + 1
        uow.session.execute(update(t).where(t.c.number == number).values(
            state=national.FAILED, attempts=attempts, last_error=error[:300],
            next_attempt_at=clock.now() + national.backoff(attempts)))
        uow.commit()


def desk(uow, limit: int = 100) -> dict:
    """For the ops desk: counts by state, and the reports not yet acknowledged (oldest first)."""
    t = national_reports
    counts = dict(uow.session.execute(select(t.c.state, func.count()).group_by(t.c.state)).all())
    rows = uow.session.execute(select(t).where(t.c.state != national.REPORTED)
                               .order_by(t.c.requested_at).limit(limit)).all()
    return {"counts": {s: counts.get(s, 0) for s in national.STATES},
            "open": [dict(r._mapping) | {"state_label": national.STATES.get(r.state, r.state)}
                     for r in rows]}


def listing(uow, state: str | None = None, limit: int = 200) -> list[dict]:
    t = national_reports
    q = select(t).order_by(t.c.requested_at.desc()).limit(limit)
    if state:
        q = q.where(t.c.state == state)
    return [dict(r._mapping) | {"state_label": national.STATES.get(r.state, r.state)}
            for r in uow.session.execute(q)]

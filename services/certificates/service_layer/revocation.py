"""Revocation by two officers, and the signed bitstring status list that publishes it."""
from __future__ import annotations

import uuid

from sqlalchemy import and_, select, update

from services.certificates.adapters.orm import certificate_versions, revocations
from services.certificates.domain import changes, credential, numbers, proof, status_list
from services.certificates.domain.model import REVOKED, SUPERSEDED, Certificate
from services.certificates.service_layer import national
from services.common import clock
from services.common.errors import Conflict, Invalid, NotFound

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def _certificate(uow, number: str) -> Certificate:
    cert = uow.session.get(Certificate, numbers.normalise(number)[:40])
    if cert is None:
        raise NotFound("没有这本证书", code="certificate_not_found")
    return cert


def request(uow, number: str, reason_code: str, reason: str, officer) -> str:
    """The first officer asks for a revocation; returns its id."""
    cert = _certificate(uow, number)
    if reason_code not in changes.REVOCATION_REASONS:
        raise Invalid("请选择吊销原因", code="bad_reason")
    reason = " ".join((reason or "").split())
    if not 4 <= len(reason) <= 500:
        raise Invalid("请写明吊销理由（4-500 字）", code="reason_required")
    if cert.status == REVOKED:
        raise Conflict("该证书已吊销", code="already_revoked")
    if uow.session.execute(select(revocations.c.id).where(and_(
            revocations.c.number == cert.number, revocations.c.status == PENDING))).first():
        raise Conflict("该证书已有待复核的吊销申请", code="revocation_pending")
    rid = uuid.uuid4().hex
    uow.session.execute(revocations.insert().values(
        id=rid, number=cert.number, reason_code=reason_code, reason=reason, status=PENDING,
        requested_by=officer.sub, requested_by_name=officer.name or officer.username,
        requested_at=clock.now()))
    uow.audit(officer.username, "certificate.revocation_requested", cert.number,
              revocation_id=rid, reason_code=reason_code)
    return rid


def _pending(uow, revocation_id: str):
    row = uow.session.execute(select(revocations).where(revocations.c.id == revocation_id)
                              .with_for_update()).first()
    if row is None:
        raise NotFound("没有这条吊销申请", code="revocation_not_found")
    if row.status != PENDING:
        raise Conflict("这条吊销申请已处理", code="already_decided")
    return row


def approve(uow, revocation_id: str, officer) -> Certificate:
    """The second, different officer approves: the certificate is revoked at once."""
    row = _pending(uow, revocation_id)
    changes.second_officer(row.requested_by, officer.sub)
    cert = uow.track(_certificate(uow, row.number))
    now = clock.now()
    cert.revoke(reason=f"{changes.REVOCATION_REASONS[row.reason_code]}：{row.reason}",
                requested_by=row.requested_by, approved_by=officer.sub, at=now)
    uow.session.execute(update(certificate_versions).where(and_(
        certificate_versions.c.number == cert.number,
        certificate_versions.c.version == cert.version)).values(status=REVOKED))
    uow.session.execute(update(revocations).where(revocations.c.id == revocation_id).values(
        status=APPROVED, decided_by=officer.sub, decided_by_name=officer.name or officer.username,
        decided_at=now))
    uow.audit(officer.username, "certificate.revoked", cert.number, revocation_id=revocation_id)
    national.enqueue(uow, cert)  # a revoked title is reported too, in the same transaction
    return cert


def reject(uow, revocation_id: str, officer) -> None:
    """Any officer may turn a request down (the requester too: that withdraws it)."""
    _pending(uow, revocation_id)
    uow.session.execute(update(revocations).where(revocations.c.id == revocation_id).values(
        status=REJECTED, decided_by=officer.sub, decided_by_name=officer.name or officer.username,
        decided_at=clock.now()))
    uow.audit(officer.username, "certificate.revocation_rejected", revocation_id)


def listing(uow, status: str | None = PENDING, number: str | None = None,
            rid: str | None = None) -> list[dict]:
    q = select(revocations).order_by(revocations.c.requested_at.desc()).limit(200)
    if rid:
        q = q.where(revocations.c.id == rid)
    if status:
        q = q.where(revocations.c.status == status)
    if number:
        q = q.where(revocations.c.number == number)
    return [dict(r._mapping) for r in uow.session.execute(q)]


def status_list_document(uow, keys, base_url: str, list_id: int, issuer_name: str) -> dict:
    """The signed status list ``list_id``: bits set for revoked and superseded versions."""
    size = credential.STATUS_LIST_SIZE
    start = (list_id - 1) * size
    v = certificate_versions
    indices = [i - start for (i,) in uow.session.execute(select(v.c.status_index).where(
        v.c.status.in_((REVOKED, SUPERSEDED)), v.c.status_index >= start,
        v.c.status_index < start + size))]
    url = credential.status_list_url(base_url, start)
    now = clock.now().replace(microsecond=0)
    doc = status_list.build(url, {"id": credential.issuer_id(base_url), "name": issuer_name},
                            indices, now)
    kid, key = keys.active()
    return proof.sign(doc, key, keys.verification_method(kid), now)


def status_list_exists(uow, list_id: int) -> bool:
    """A list is served once any credential points into it (list 1 always)."""
    if list_id == 1:
        return True
    start = (list_id - 1) * credential.STATUS_LIST_SIZE
    return uow.session.execute(select(certificate_versions.c.number).where(
        certificate_versions.c.status_index >= start).limit(1)).first() is not None

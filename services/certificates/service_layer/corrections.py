"""Corrections (补正): the holder asks with proofs, an officer decides, a new version is signed."""
from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import and_, select, update

from services.certificates.adapters.orm import (
    certificate_versions,
    correction_proofs,
    corrections,
    next_value,
)
from services.certificates.domain import changes
from services.certificates.domain.model import SUPERSEDED, Certificate
from services.certificates.service_layer import national
from services.certificates.service_layer.issuance import sign_current
from services.common import clock
from services.common.errors import Conflict, Invalid, NotFound

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATES = {PENDING: "待审核", APPROVED: "已批准", REJECTED: "已驳回"}


def request(uow, cert: Certificate, kind: str, new_value: str, note: str,
            files: list[tuple[str, bytes]]) -> str:
    """The holder asks for a correction of their own certificate; returns its id."""
    if kind not in changes.KINDS:
        raise Invalid("请选择变更类型（姓名或证件号码）", code="bad_kind")
    if cert.status != "valid":
        raise Conflict("已吊销的证书不能申请补正", code="certificate_revoked")
    if kind == "name":
        new, old = changes.clean_name(new_value), cert.holder_name
    else:
        new, old = changes.mask_document(new_value), cert.document_number_masked
    if new == old:
        raise Invalid("新信息与证书上的相同", code="nothing_to_change")
    proofs = changes.check_proofs(files)
    if uow.session.execute(select(corrections.c.id).where(and_(
            corrections.c.number == cert.number, corrections.c.status == PENDING))).first():
        raise Conflict("已有一条待审核的补正申请", code="correction_pending")
    cid = uuid.uuid4().hex
    uow.session.execute(corrections.insert().values(
        id=cid, number=cert.number, candidate_id=cert.candidate_id, kind=kind, old_value=old,
        new_value=new, note=" ".join((note or "").split())[:500] or None, status=PENDING,
        requested_at=clock.now()))
    for name, content_type, data in proofs:
        uow.session.execute(correction_proofs.insert().values(
            id=uuid.uuid4().hex, correction_id=cid, filename=name, content_type=content_type,
            size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data))
    return cid


def _proof_meta(uow, cid: str) -> list[dict]:
    p = correction_proofs
    return [dict(r._mapping) for r in uow.session.execute(
        select(p.c.id, p.c.filename, p.c.content_type, p.c.size, p.c.sha256)
        .where(p.c.correction_id == cid))]


def listing(uow, *, number: str | None = None, status: str | None = None,
            cid: str | None = None) -> list[dict]:
    q = select(corrections).order_by(corrections.c.requested_at.desc()).limit(200)
    if cid:
        q = q.where(corrections.c.id == cid)
    if number:
        q = q.where(corrections.c.number == number)
    if status:
        q = q.where(corrections.c.status == status)
    return [dict(r._mapping) | {"status_label": STATES.get(r.status, r.status),
                                "proofs": _proof_meta(uow, r.id)}
            for r in uow.session.execute(q)]


def proof_file(uow, correction_id: str, proof_id: str, candidate_id: str | None = None):
    """A proof file (officers; or the holder who sent it when ``candidate_id`` is given)."""
    p, c = correction_proofs, corrections
    q = (select(p.c.filename, p.c.content_type, p.c.data).join(c, c.c.id == p.c.correction_id)
         .where(p.c.id == proof_id, p.c.correction_id == correction_id))
    if candidate_id is not None:
        q = q.where(c.c.candidate_id == candidate_id)
    row = uow.session.execute(q).first()
    if row is None:
        raise NotFound("没有这个文件", code="proof_not_found")
    return row


def _pending(uow, correction_id: str):
    row = uow.session.execute(select(corrections).where(corrections.c.id == correction_id)
                              .with_for_update()).first()
    if row is None:
        raise NotFound("没有这条补正申请", code="correction_not_found")
    if row.status != PENDING:
        raise Conflict("这条补正申请已处理", code="already_decided")
    return row


def approve(uow, keys, base_url: str, correction_id: str, officer) -> Certificate:
    """Sign version N+1 with the corrected data; version N becomes superseded."""
    row = _pending(uow, correction_id)
    cert = uow.track(uow.session.get(Certificate, row.number))
    previous, now = cert.version, clock.now()
    cert.correct(holder_name=row.new_value if row.kind == "name" else cert.holder_name,
                 document_number_masked=(row.new_value if row.kind == "document"
                                         else cert.document_number_masked),
                 status_index=next_value(uow.session, "status_list_index") - 1, at=now,
                 kind=row.kind, correction_id=correction_id)
    v = certificate_versions
    uow.session.execute(update(v).where(and_(v.c.number == cert.number, v.c.version == previous))
                        .values(status=SUPERSEDED, superseded_at=now))
    sign_current(uow, keys, base_url, cert)
    national.enqueue(uow, cert)  # a title certificate's new version is re-reported
    uow.session.execute(update(corrections).where(corrections.c.id == correction_id).values(
        status=APPROVED, decided_by=officer.sub, decided_by_name=officer.name or officer.username,
        decided_at=now, version=cert.version))
    uow.audit(officer.username, "certificate.corrected", cert.number,
              correction_id=correction_id, version=cert.version)
    return cert


def reject(uow, correction_id: str, officer, note: str) -> None:
    _pending(uow, correction_id)
    note = " ".join((note or "").split())
    if not 2 <= len(note) <= 500:
        raise Invalid("请写明驳回理由，持证人会看到", code="reason_required")
    uow.session.execute(update(corrections).where(corrections.c.id == correction_id).values(
        status=REJECTED, decided_by=officer.sub, decided_by_name=officer.name or officer.username,
        decided_at=clock.now(), decision_note=note))
    uow.audit(officer.username, "certificate.correction_rejected", correction_id)

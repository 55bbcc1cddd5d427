"""Paper certificates by post: the holder asks, officers move it printed → shipped → delivered.
A replacement (补发) carries seed 004's materials and waits for an officer's review first."""
from __future__ import annotations

import uuid

from sqlalchemy import select, update

from services.certificates.adapters.orm import mailings, replacement_materials, replacements
from services.certificates.domain import mailing
from services.certificates.domain import replacement as materials
from services.certificates.domain.model import Certificate
from services.common import clock
from services.common.errors import Conflict, DomainError, Invalid, NotFound
from services.common.masking import mask_phone

CHANGED = "certificates.mailing.changed"


def _emit(uow, row: dict) -> None:
    data = {"mailing_id": row["id"], "certificate_number": row["number"],
            "candidate_id": row["candidate_id"], "kind": row["kind"], "state": row["state"],
            "changed_at": row["updated_at"]}
    if row.get("tracking_number"):
        data["tracking_number"] = row["tracking_number"]
    uow.emit(CHANGED, data, subject=row["number"])


def _check(uow, cert: Certificate, kind: str, reason: str | None,
           paper_only_exams: frozenset[str]) -> None:
    """Who may ask for this mailing now (everything but the address and the materials)."""
    if cert.status != "valid":
        raise Conflict("已吊销的证书不能邮寄", code="certificate_revoked")
    if kind not in mailing.KINDS:
        raise Invalid("未知的邮寄类型", code="bad_kind")
    t = mailings
    previous = uow.session.execute(select(t.c.state).where(t.c.number == cert.number)).scalars().all()
    if any(s in mailing.ACTIVE for s in previous):
        raise Conflict("这本证书已有在途的邮寄申请", code="mailing_active")
    if kind == "first" and mailing.DELIVERED in previous:
        raise Conflict("纸质证书已寄达；遗失或损毁请申请补发", code="already_delivered")
    if kind == "replacement":
        mailing.replacement_allowed(cert.exam_code, paper_only_exams,
                                    mailing.DELIVERED in previous, cert.sitting_year)
        if reason is not None and reason not in mailing.REPLACEMENT_REASONS:
            raise Invalid("请说明补发原因（遗失或损毁）", code="bad_reason")


def _new_row(cipher, cert: Certificate, kind: str, reason: str | None, recipient: str,
             address: str, phone: str, state: str) -> dict:
    recipient = " ".join((recipient or "").split())
    if not 1 <= len(recipient) <= 50:
        raise Invalid("请填写收件人姓名", code="bad_recipient")
    address, phone = mailing.check_address(address), mailing.check_phone(phone)
    now = clock.now()
    return dict(id=uuid.uuid4().hex, number=cert.number, candidate_id=cert.candidate_id,
                kind=kind, reason=reason if kind == "replacement" else None,
                recipient_enc=cipher.encrypt(recipient), address_enc=cipher.encrypt(address),
                phone_enc=cipher.encrypt(phone), phone_masked=mask_phone(phone),
                state=state, requested_at=now, updated_at=now)


def request(uow, cipher, cert: Certificate, *, recipient: str, address: str, phone: str,
            kind: str = "first", reason: str | None = None,
            paper_only_exams: frozenset[str] = frozenset()) -> dict:
    """A first mailing (JSON). A replacement where the rules allow it needs the materials:
    refused with ``materials_required`` (see ``request_replacement``)."""
    _check(uow, cert, kind, reason, paper_only_exams)
    if kind == "replacement":
        if reason not in mailing.REPLACEMENT_REASONS:
            raise Invalid("请说明补发原因（遗失或损毁）", code="bad_reason")
        raise Invalid("补发须上传《补发（更换）申请表》签名扫描件、身份证件正反面扫描件和近期 1 寸"
                      "白底证件照，请在证书页面的“遗失或损毁补发”中提交", code="materials_required")
    row = _new_row(cipher, cert, kind, None, recipient, address, phone, mailing.REQUESTED)
    uow.session.execute(mailings.insert().values(**row))
    _emit(uow, row)
    return view(row, cipher)


def request_replacement(uow, cipher, cert: Certificate, *, recipient: str, address: str,
                        phone: str, reason: str, id_document_type: str,
                        files: dict[str, list[tuple[str, bytes]]],
                        paper_only_exams: frozenset[str] = frozenset()) -> dict:
    """Seed 004 replacement with its three materials, stored encrypted; awaits review."""
    _check(uow, cert, "replacement", reason, paper_only_exams)
    if reason not in mailing.REPLACEMENT_REASONS:
        raise Invalid("请说明补发原因（遗失或损毁）", code="bad_reason")
    id_document_type = materials.check_id_document_type(id_document_type)
    row = _new_row(cipher, cert, "replacement", reason, recipient, address, phone,
                   mailing.MATERIALS_REVIEW)
    checked = materials.check_materials(files)
    uow.session.execute(mailings.insert().values(**row))
    uow.session.execute(replacements.insert().values(mailing_id=row["id"],
                                                     id_document_type=id_document_type))
    for m in checked:
        mid = uuid.uuid4().hex
        uow.session.execute(replacement_materials.insert().values(
            id=mid, mailing_id=row["id"], kind=m.kind, position=m.position,
            content_type=m.content_type, size=len(m.data), uploaded_at=row["requested_at"],
            data_enc=cipher.encrypt_bytes(m.data, mid.encode())))
    _emit(uow, row)
    return _views(uow, cipher, [row])[0]


def eligibility(uow, cert: Certificate, paper_only_exams: frozenset[str]) -> dict:
    """Whether the holder may ask for a replacement now, and if not, why (for the page)."""
    try:
        _check(uow, cert, "replacement", None, paper_only_exams)
    except DomainError as exc:
        return {"allowed": False, "code": exc.code, "message": str(exc.message)}
    return {"allowed": True, "code": "ok", "message": "可以申请补发"}


def view(row, cipher, *, full: bool = False) -> dict:
    """What a screen shows: the phone masked; the address only to the holder and officers."""
    r = dict(row)
    out = {k: r.get(k) for k in ("id", "number", "kind", "reason", "state", "tracking_number",
                                 "requested_at", "updated_at", "printed_at", "shipped_at",
                                 "delivered_at", "phone_masked")}
    out.update(state_label=mailing.STATES.get(r["state"], r["state"]),
               kind_label=mailing.KINDS.get(r["kind"], r["kind"]),
               recipient=cipher.decrypt(r["recipient_enc"]),
               address=cipher.decrypt(r["address_enc"]))
    if full:
        out["phone"] = cipher.decrypt(r["phone_enc"])
    return out


def _views(uow, cipher, rows) -> list[dict]:
    """Views with, for replacements, the review (reason the holder sees) and materials list."""
    rows = [dict(r) for r in rows]
    ids = [r["id"] for r in rows if r["kind"] == "replacement"]
    reviews, files = {}, {}
    if ids:
        reviews = {r.mailing_id: r._mapping for r in uow.session.execute(
            select(replacements).where(replacements.c.mailing_id.in_(ids)))}
        m = replacement_materials
        for f in uow.session.execute(
                select(m.c.id, m.c.mailing_id, m.c.kind, m.c.position, m.c.content_type, m.c.size)
                .where(m.c.mailing_id.in_(ids)).order_by(m.c.kind, m.c.position)):
            files.setdefault(f.mailing_id, []).append(
                {"id": f.id, "kind": f.kind, "position": f.position,
                 "label": materials.MATERIALS.get(f.kind, f.kind)
                 + (f"（第 {f.position + 1} 份）" if f.kind == materials.ID_DOCUMENT else ""),
                 "content_type": f.content_type, "size": f.size})
    out = []
    for r in rows:
        v = view(r, cipher)
        review = reviews.get(r["id"])
        if review is not None:
            v.update(id_document_type=review["id_document_type"],
                     id_document_label=materials.ID_DOCUMENT_TYPES.get(review["id_document_type"]),
                     rejection_reason=review["rejection_reason"],
                     reviewed_at=review["decided_at"], reviewed_by_name=review["decided_by_name"],
                     materials=files.get(r["id"], []))
        out.append(v)
    return out


def for_certificate(uow, cipher, number: str) -> list[dict]:
    t = mailings
    return _views(uow, cipher, (r._mapping for r in uow.session.execute(
        select(t).where(t.c.number == number).order_by(t.c.requested_at.desc()))))


def queue(uow, cipher, states=mailing.PRINT_QUEUE) -> list[dict]:
    """The print queue (requested, printed, shipped), oldest first."""
    t = mailings
    return _views(uow, cipher, (r._mapping for r in uow.session.execute(
        select(t).where(t.c.state.in_(states)).order_by(t.c.requested_at).limit(500))))


def review_queue(uow, cipher) -> list[dict]:
    """Replacements whose materials await an officer, oldest first."""
    return queue(uow, cipher, (mailing.MATERIALS_REVIEW,))


def advance(uow, cipher, mailing_id: str, state: str, tracking_number: str | None,
            officer) -> dict:
    t = mailings
    row = uow.session.execute(select(t).where(t.c.id == mailing_id).with_for_update()).first()
    if row is None:
        raise NotFound("没有这条邮寄申请", code="mailing_not_found")
    tracking = mailing.advance(row.state, state, tracking_number)
    now = clock.now()
    values = {"state": state, "updated_at": now, "updated_by": officer.sub}
    if state in (mailing.PRINTED, mailing.SHIPPED, mailing.DELIVERED):
        values[f"{state}_at"] = now
    if tracking:
        values["tracking_number"] = tracking
    uow.session.execute(update(t).where(t.c.id == mailing_id).values(**values))
    uow.audit(officer.username, f"mailing.{state}", row.number, mailing_id=mailing_id)
    new = dict(row._mapping) | values
    _emit(uow, new)
    return _views(uow, cipher, [new])[0]


def review(uow, cipher, mailing_id: str, officer, *, approve: bool,
           reason: str | None = None) -> dict:
    """An officer approves a replacement's materials into the print queue, or rejects them
    with a reason the holder sees (who may then ask again)."""
    t = mailings
    row = uow.session.execute(select(t).where(t.c.id == mailing_id).with_for_update()).first()
    if row is None or row.kind != "replacement":
        raise NotFound("没有这条补发申请", code="mailing_not_found")
    state, reason = mailing.review(row.state, approve, reason)
    now = clock.now()
    values = {"state": state, "updated_at": now, "updated_by": officer.sub}
    uow.session.execute(update(t).where(t.c.id == mailing_id).values(**values))
    uow.session.execute(update(replacements).where(replacements.c.mailing_id == mailing_id).values(
        decided_by=officer.sub, decided_by_name=officer.name or officer.username,
        decided_at=now, rejection_reason=reason))
    uow.audit(officer.username, f"replacement.{'approved' if approve else 'rejected'}",
              row.number, mailing_id=mailing_id)
    new = dict(row._mapping) | values
    _emit(uow, new)
    return _views(uow, cipher, [new])[0]


def material_file(uow, cipher, mailing_id: str, material_id: str, viewer) -> tuple[str, str, bytes]:
    """(kind, content type, bytes) of one material for an officer or auditor; every view is in
    the audit log (an ID scan by name: ``replacement.id_document_viewed``)."""
    m = replacement_materials
    row = uow.session.execute(select(m, mailings.c.number).join(
        mailings, mailings.c.id == m.c.mailing_id).where(
        m.c.id == material_id, m.c.mailing_id == mailing_id)).first()
    if row is None:
        raise NotFound("没有这个材料文件", code="material_not_found")
    action = f"replacement.{row.kind}_viewed"
    uow.audit(viewer.username, action, row.number, mailing_id=mailing_id,
              material_id=material_id, viewer=viewer.sub)
    return row.kind, row.content_type, cipher.decrypt_bytes(row.data_enc, material_id.encode())

"""Proofs candidates upload: checked by content, stored in the database, tied to a review item.

A proof is accepted when the candidate's check of that kind needs a person: it joins the open
review item (a requested proof puts the item back in the queue with a fresh deadline), or, for
a failed check, opens a dispute item so a reviewer looks again.
"""
from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import func, insert, select

from services.common import clock
from services.common.errors import Conflict, NotFound
from services.verification.adapters.orm import proofs as t
from services.verification.adapters.proof_files import inspect
from services.verification.domain.model import KIND_LABELS, Check
from services.verification.domain.proofs import PROOF_KINDS, safe_filename
from services.verification.domain.review import ReviewConfig
from services.verification.service_layer import review

MAX_PROOFS_PER_ITEM = 10
LISTED = (t.c.id, t.c.candidate_id, t.c.kind, t.c.item_id, t.c.filename, t.c.content_type,
          t.c.size, t.c.sha256, t.c.uploaded_at)


def upload(uow, config: ReviewConfig, *, candidate_id: str, kind: str, filename: str | None,
           content: bytes, actor: str) -> dict:
    content_type = inspect(content)  # refuses wrong type, too big, corrupt
    if kind not in PROOF_KINDS or kind not in KIND_LABELS:
        raise NotFound("没有这一类核验", code="check_kind_unknown", field="kind")
    check = (uow.session.query(Check).filter_by(candidate_id=candidate_id, kind=kind)
             .one_or_none())
    if check is None or check.status == "passed":
        raise Conflict(f"您的{KIND_LABELS[kind]}核验无需上传证明材料", code="proof_not_needed")
    if check.status == "checking":
        raise Conflict(f"{KIND_LABELS[kind]}正在在线核验中，请等核验结果出来后再决定是否上传证明",
                       code="check_in_progress")
    cause = "dispute" if check.status == "failed" else check.status
    item = review.open_item(uow, config, check, cause)
    n = uow.session.execute(select(func.count()).select_from(t)
                            .where(t.c.item_id == item.id)).scalar()
    if n >= MAX_PROOFS_PER_ITEM:
        raise Conflict(f"每个审核事项最多上传 {MAX_PROOFS_PER_ITEM} 份证明材料",
                       code="too_many_proofs")
    now = clock.now()
    row = {"id": str(uuid.uuid4()), "candidate_id": candidate_id, "kind": kind,
           "item_id": item.id, "filename": safe_filename(filename, content_type),
           "content_type": content_type, "size": len(content),
           "sha256": hashlib.sha256(content).hexdigest(), "uploaded_at": now}
    uow.session.execute(insert(t).values(content=content, **row))
    item.proof_added(row["id"], config.deadline(now), now, actor)
    uow.audit(actor, "proof.uploaded", row["id"], item_id=item.id, kind=kind,
              content_type=content_type, size=len(content))
    uow.commit()
    return {**row, "item_status": item.status}


def of_candidate(session, candidate_id: str) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(
        select(*LISTED).where(t.c.candidate_id == candidate_id).order_by(t.c.uploaded_at))]


def of_item(session, item_id: str) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(
        select(*LISTED).where(t.c.item_id == item_id).order_by(t.c.uploaded_at))]


def content(session, proof_id: str) -> dict:
    row = session.execute(select(t).where(t.c.id == proof_id)).first()
    if row is None:
        raise NotFound("没有找到该证明材料", code="proof_not_found")
    return dict(row._mapping)


def for_reviewer(uow, principal, proof_id: str, item_id: str | None = None) -> dict:
    """A proof for staff who may see its review item (``item_id``: the item on screen, which
    must be the same candidate's; else the proof's own item). ID card scans and diplomas are
    personal data: every view is in the audit log (``proof.viewed``), committed."""
    row = content(uow.session, proof_id)
    if (item_id or row["item_id"]) is None:
        raise NotFound("没有找到该证明材料", code="proof_not_found")
    item = review.get_item(uow, principal, item_id or row["item_id"])  # scope check
    if row["candidate_id"] != item.candidate_id:
        raise NotFound("没有找到该证明材料", code="proof_not_found")
    uow.audit(principal.username, "proof.viewed", proof_id, item_id=item.id,
              candidate_id=row["candidate_id"], kind=row["kind"], viewer=principal.sub)
    uow.commit()
    return row

"""Candidate photos: strict check on save, a server-side tool to reach the standard, and the
review lock of seed 002 (a locked photo changes only through a request staff approve)."""
from __future__ import annotations

import base64
import hashlib
import uuid

from sqlalchemy import insert, select, update

from services.common import clock
from services.common.errors import Invalid, NotFound
from services.identity.adapters import images
from services.identity.adapters.orm import photos as t
from services.identity.domain import photos as rules

VISIBLE = ("current", "locked", "change_requested")


def preview(data: bytes, max_bytes: int, crop=None) -> dict:
    """Crop, resize and compress any picture to the standard; report whether it passes."""
    out = images.normalise(data, max_bytes, crop)
    problems = []
    try:
        images.check(out, max_bytes)
    except Invalid as exc:  # e.g. the background is not white
        problems.append({"code": exc.code, "message": exc.message})
    return {"image": "data:image/jpeg;base64," + base64.b64encode(out).decode(),
            "size": len(out), "width": rules.WIDTH, "height": rules.HEIGHT,
            "problems": problems}


def _latest(uow, account_id: str, statuses=VISIBLE):
    return uow.session.execute(select(t).where(t.c.account_id == account_id,
                                               t.c.status.in_(statuses))
                               .order_by(t.c.created_at.desc())).first()


def locked(uow, account_id: str):
    """The photo that passed review (admit cards and certificates show it), or None."""
    return _latest(uow, account_id, ("locked",))


def upload(uow, account_id: str, data: bytes, max_bytes: int) -> dict:
    images.check(data, max_bytes)
    now = clock.now()
    locked = _latest(uow, account_id, ("locked",))
    current = _latest(uow, account_id, ("current", "change_requested"))
    status = rules.next_status_on_upload("locked" if locked else None)
    if current is not None:  # a newer upload replaces an unreviewed one
        uow.session.execute(update(t).where(t.c.id == current.id).values(status="replaced"))
    pid, digest = str(uuid.uuid4()), hashlib.sha256(data).hexdigest()
    uow.session.execute(insert(t).values(id=pid, account_id=account_id, status=status, jpeg=data,
                                         sha256=digest, size=len(data), created_at=now))
    uow.emit("identity.photo.uploaded", {"candidate_id": account_id, "photo_id": pid,
                                         "status": status, "sha256": digest, "size": len(data),
                                         "uploaded_at": now}, subject=account_id)
    uow.commit()
    return mine(uow, account_id)


def mine(uow, account_id: str) -> dict:
    locked = _latest(uow, account_id, ("locked",))
    pending = _latest(uow, account_id, ("current", "change_requested"))
    view = lambda r: r and {"id": r.id, "status": r.status, "size": r.size,  # noqa: E731
                            "created_at": r.created_at.isoformat(),
                            "reviewed_at": r.reviewed_at and r.reviewed_at.isoformat()}
    rejected = _latest(uow, account_id, ("rejected",))
    return {"locked": view(locked), "pending": view(pending),
            "last_rejection": rejected.reason if rejected and (
                not pending or rejected.created_at > pending.created_at) else None}


def image(uow, photo_id: str) -> bytes:
    row = uow.session.execute(select(t.c.jpeg).where(t.c.id == photo_id)).first()
    if row is None:
        raise NotFound("没有这张照片", code="photo_not_found")
    return row.jpeg


def queue(uow, limit: int = 100) -> list:
    return uow.session.execute(select(t.c.id, t.c.account_id, t.c.status, t.c.size,
                                      t.c.created_at)
                               .where(t.c.status.in_(("current", "change_requested")))
                               .order_by(t.c.created_at).limit(limit)).all()


def review(uow, photo_id: str, approve: bool, staff: str, reason: str | None = None) -> None:
    _review(uow, photo_id, approve, staff, reason)
    uow.commit()


def _review(uow, photo_id: str, approve: bool, staff: str, reason: str | None = None) -> None:
    """Approve: this photo becomes the locked one (an earlier locked one is replaced)."""
    row = uow.session.execute(select(t).where(t.c.id == photo_id)).first()
    if row is None:
        raise NotFound("没有这张照片", code="photo_not_found")
    rules.check_reviewable(row.status)
    now = clock.now()
    if approve:
        uow.session.execute(update(t).where(t.c.account_id == row.account_id,
                                            t.c.status == "locked").values(status="replaced"))
        uow.session.execute(update(t).where(t.c.id == photo_id).values(
            status="locked", reviewed_by=staff, reviewed_at=now))
        uow.emit("identity.photo.locked", {"candidate_id": row.account_id, "photo_id": photo_id,
                                           "sha256": row.sha256, "locked_by": staff,
                                           "locked_at": now}, subject=row.account_id)
    else:
        uow.session.execute(update(t).where(t.c.id == photo_id).values(
            status="rejected", reviewed_by=staff, reviewed_at=now,
            reason=(reason or "照片不符合要求")[:200]))
    uow.audit(staff, "photo.approve" if approve else "photo.reject", photo_id,
              account_id=row.account_id)


def lock_on_approved_application(event, uow) -> None:
    """Seed 002: the photo that passed qualification review is locked."""
    if event.data.get("outcome") != "approved":
        return
    cid = event.data.get("candidate_id")
    row = _latest(uow, cid, ("current",)) if cid else None
    if row is not None:
        _review(uow, row.id, True, "registration-review")

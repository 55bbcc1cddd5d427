"""What registration keeps of other services' facts: the candidate, their education check and
whether identity has locked (reviewed) their photo.

Retries reorder events, so an education outcome older (by ``checked_at``) than the one we hold
is ignored. A verification arriving re-runs the review of the candidate's waiting applications.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from services.registration.adapters import orm


def _parse(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _ensure(session, candidate_id: str) -> None:
    if session.execute(select(orm.candidates.c.id).where(
            orm.candidates.c.id == candidate_id)).first() is None:
        session.execute(insert(orm.candidates).values(id=candidate_id))


def candidate_registered(event, uow) -> None:
    d = event.data
    _ensure(uow.session, d["candidate_id"])
    uow.session.execute(update(orm.candidates).where(orm.candidates.c.id == d["candidate_id"])
                        .values(name=d["name"], document_number_masked=d["document_number_masked"],
                                claimed_education=(d.get("education") or {}).get("level"),
                                major=(d.get("education") or {}).get("major"),
                                registered_at=_parse(d["registered_at"])))


def education_verified(event, uow) -> None:
    d = event.data
    checked_at = _parse(d["checked_at"])
    _ensure(uow.session, d["candidate_id"])
    held = uow.session.execute(select(orm.candidates.c.education_checked_at).where(
        orm.candidates.c.id == d["candidate_id"])).scalar()
    if held is not None and checked_at <= held:
        return  # stale: a newer check already arrived
    uow.session.execute(update(orm.candidates).where(orm.candidates.c.id == d["candidate_id"])
                        .values(education_outcome=d["outcome"], education_reason=d.get("reason"),
                                education_level=d.get("education_level"),
                                **({"major": d["major"]} if d.get("major") else {}),
                                education_checked_at=checked_at))
    from services.registration.service_layer import applications
    applications.review_waiting(uow, d["candidate_id"])


def candidate(session, candidate_id: str):
    return session.execute(select(orm.candidates).where(
        orm.candidates.c.id == candidate_id)).first()


def _ensure_photo(session, candidate_id: str):
    """The candidate's row, created if missing and locked for this transaction: the upload and
    lock events of one candidate arrive together and must not both insert or both win."""
    t = orm.candidate_photos
    mine = select(t).where(t.c.candidate_id == candidate_id).with_for_update()
    row = session.execute(mine).first()
    if row is None:
        try:
            with session.begin_nested():
                session.execute(insert(t).values(candidate_id=candidate_id))
        except IntegrityError:
            pass  # the other handler created it first
        row = session.execute(mine).first()
    return row


def photo_uploaded(event, uow) -> None:
    """``identity.photo.uploaded``: remembered for the status page; it is not approved yet."""
    d = event.data
    at = _parse(d["uploaded_at"])
    held = _ensure_photo(uow.session, d["candidate_id"])
    if held.last_uploaded_at is not None and at <= held.last_uploaded_at:
        return  # stale: a newer upload already arrived
    uow.session.execute(update(orm.candidate_photos).where(
        orm.candidate_photos.c.candidate_id == d["candidate_id"]).values(
        last_photo_id=d["photo_id"], last_status=d["status"], last_uploaded_at=at))


def photo_locked(event, uow) -> None:
    """``identity.photo.locked``: the photo passed review; the newest lock wins."""
    d = event.data
    at = _parse(d["locked_at"])
    held = _ensure_photo(uow.session, d["candidate_id"])
    if held.locked_at is not None and at <= held.locked_at:
        return  # stale or repeated
    uow.session.execute(update(orm.candidate_photos).where(
        orm.candidate_photos.c.candidate_id == d["candidate_id"]).values(
        locked_photo_id=d["photo_id"], locked_at=at))


def photo_locked_for(session, candidate_id: str) -> bool:
    return session.execute(select(orm.candidate_photos.c.locked_photo_id).where(
        orm.candidate_photos.c.candidate_id == candidate_id)).scalar() is not None

"""Use cases of the manual-review queue: open, file, claim, decide, ask for proof, escalate.

A final decision is handed to the item's check (``Check.decide``), so the candidate's verdict
and its ``*.verified`` event commit together with the item, as for an automatic verdict.
Concurrent claims of one item collide on the item's version column: the loser gets 409.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from services.common import clock
from services.common.errors import Conflict, NotFound
from services.verification.adapters import slots
from services.verification.adapters.orm import candidate_contexts
from services.verification.domain.calendar import BEIJING
from services.verification.domain.model import Check
from services.verification.domain.review import (
    DEFAULT_QUEUE,
    OPEN,
    TIMED,
    ReviewConfig,
    ReviewItem,
    queue_for,
    visible_to,
)
from services.verification.domain.rules import Outcome

log = logging.getLogger(__name__)

ALL_QUEUE_ROLES = ("exam_admin", "platform_admin", "auditor")
REVIEW_ROLES = ("reviewer", "exam_admin", "platform_admin")
OPENING_STATUSES = ("manual_check", "on_site_check")


# -- opening and filing items -------------------------------------------------------------------
def context_of(session, candidate_id: str):
    return session.execute(select(candidate_contexts).where(
        candidate_contexts.c.candidate_id == candidate_id)).first()


def _queue(session, config: ReviewConfig, candidate_id: str, ctx=None
           ) -> tuple[str, str | None, str]:
    """``ctx``: the candidate's context when the caller holds it (it has just written it)."""
    ctx = ctx if ctx is not None else context_of(session, candidate_id)
    return queue_for(
        application_province=ctx.application_province if ctx else None,
        application_review_point=ctx.application_review_point if ctx else None,
        document_type=ctx.document_type if ctx else None,
        document_number_masked=ctx.document_number_masked if ctx else None,
        default=config.default_province)


def open_item_of(session, check_id: str) -> ReviewItem | None:
    return (session.query(ReviewItem).filter(ReviewItem.check_id == check_id,
                                             ReviewItem.status.in_(tuple(OPEN)))
            .order_by(ReviewItem.created_at.desc()).first())


def open_item(uow, config: ReviewConfig, check: Check, cause: str) -> ReviewItem:
    """The check's open item, or a new one filed by the candidate's context."""
    item = open_item_of(uow.session, check.id)
    if item is not None:
        return item
    now = clock.now()
    province, point, source = _queue(uow.session, config, check.candidate_id)
    item = ReviewItem(check_id=check.id, candidate_id=check.candidate_id, kind=check.kind,
                      cause=cause, province=province, review_point=point, province_source=source,
                      deadline=config.deadline(now), now=now, summary=check.reason)
    uow.session.add(item)
    uow.audit("system", "review.opened", item.id, check_id=check.id, cause=cause,
              province=province or None)
    return item


def after_verdict(uow, config: ReviewConfig, check: Check) -> None:
    """An automatic verdict that needs a person opens an item (checks call this)."""
    if check.status in OPENING_STATUSES:
        open_item(uow, config, check, check.status)


def cancel_open(uow, check: Check, why: str) -> None:
    """The candidate changed the claim under review: the old item is moot.

    No autoflush: the check's registry lookup follows, and must not hold a write lock.
    """
    with uow.session.no_autoflush:
        item = open_item_of(uow.session, check.id)
    if item is not None:
        if item.appointment:
            _release_seat(uow, item.appointment)
        item.cancel(clock.now(), why)
        uow.audit("system", "review.cancelled", item.id, why=why)


def refile_candidate(uow, config: ReviewConfig, candidate_id: str, ctx=None) -> int:
    """Registration context arrived: move the candidate's unclaimed open items to its queue.
    ``ctx``: the context as just written (saves reading it back)."""
    province, point, source = _queue(uow.session, config, candidate_id, ctx)
    moved = 0
    for item in uow.session.query(ReviewItem).filter(
            ReviewItem.candidate_id == candidate_id,
            ReviewItem.status.in_(("waiting", "awaiting_second", "proof_requested"))):
        if item.move_to(province, point, source, clock.now()):
            moved += 1
    return moved


# -- what reviewers see -------------------------------------------------------------------------
def sees_all(principal) -> bool:
    return principal.has_any(*ALL_QUEUE_ROLES)


def in_scope(principal, item: ReviewItem) -> bool:
    return visible_to(principal.scope, all_queues=sees_all(principal), province=item.province,
                      review_point=item.review_point)


def _scoped(query, principal):
    if sees_all(principal):
        return query
    province = (principal.scope or {}).get("province") or DEFAULT_QUEUE
    query = query.filter(ReviewItem.province == province)
    point = (principal.scope or {}).get("review_point")
    if point:
        query = query.filter((ReviewItem.review_point.is_(None))
                             | (ReviewItem.review_point == point))
    return query


QUEUE_VIEWS = {
    "waiting": lambda q: q.filter(ReviewItem.status.in_(("waiting", "awaiting_second"))),
    "on_site": lambda q: q.filter(ReviewItem.status == "on_site_scheduled"),
    "claimed": lambda q: q.filter(ReviewItem.status == "claimed"),
    "overdue": lambda q: q.filter(ReviewItem.overdue.is_(True), ReviewItem.status.in_(TIMED)),
    "proof_requested": lambda q: q.filter(ReviewItem.status == "proof_requested"),
    "decided": lambda q: q.filter(ReviewItem.status == "decided"),
    "cancelled": lambda q: q.filter(ReviewItem.status == "cancelled"),
}


def queue(uow, principal, view: str = "waiting", limit: int = 200) -> list[ReviewItem]:
    """Items in the reviewer's scope; overdue first, then by deadline, oldest first."""
    q = QUEUE_VIEWS.get(view, QUEUE_VIEWS["waiting"])(_scoped(uow.session.query(ReviewItem),
                                                               principal))
    if view in ("decided", "cancelled"):
        q = q.order_by(ReviewItem.updated_at.desc())
    else:
        q = q.order_by(ReviewItem.overdue.desc(), ReviewItem.deadline, ReviewItem.created_at)
    return q.limit(limit).all()


def queue_counts(uow, principal) -> dict[str, int]:
    base = _scoped(uow.session.query(ReviewItem), principal)
    return {view: f(base).count() for view, f in QUEUE_VIEWS.items()}


def get_item(uow, principal, item_id: str) -> ReviewItem:
    """The item if the reviewer may see it; out of scope looks like not found (no leak)."""
    item = uow.session.get(ReviewItem, item_id)
    if item is None or not in_scope(principal, item):
        raise NotFound("没有找到该审核事项", code="review_item_not_found")
    return item


# -- reviewer actions ---------------------------------------------------------------------------
def _lost_race(uow, item_id: str) -> Conflict:
    """Another reviewer changed the item first: say what it is now."""
    uow.rollback()
    current = uow.session.get(ReviewItem, item_id)
    uow.session.refresh(current)
    if current.status == "claimed":
        return Conflict(f"该事项已由 {current.claimed_by} 领取", code="already_claimed",
                        current=current.state())
    if current.status == "decided":
        return Conflict("该核验事项已有审核结论，不能重复决定", code="already_decided",
                        current=current.state())
    return Conflict("该事项刚被其他审核人员处理，请刷新后再试", code="concurrent_update",
                    current=current.state())


def _release_seat(uow, appointment: dict) -> None:
    slots.release(uow.session, appointment["review_point"],
                  datetime.fromisoformat(appointment["starts_at"]))


def slot_usage(uow, review_point: str | None) -> list[dict]:
    return slots.usage(uow.session, review_point, clock.now())


def _save(uow, item: ReviewItem) -> None:
    """Write the item now: a concurrent change shows up here (version column) as a 409."""
    item_id = item.id  # read before a failed flush expires the object
    try:
        uow.session.flush()
    except StaleDataError:
        raise _lost_race(uow, item_id) from None


def _commit(uow, item: ReviewItem) -> None:
    item_id = item.id
    try:
        uow.commit()
    except StaleDataError:
        raise _lost_race(uow, item_id) from None


def claim(uow, principal, item_id: str) -> ReviewItem:
    item = get_item(uow, principal, item_id)
    item.claim(principal.username, clock.now())
    _save(uow, item)
    uow.audit(principal.username, "review.claimed", item.id)
    _commit(uow, item)
    return item


def release(uow, principal, item_id: str) -> ReviewItem:
    item = get_item(uow, principal, item_id)
    item.release(principal.username, clock.now())
    _save(uow, item)
    uow.audit(principal.username, "review.released", item.id)
    _commit(uow, item)
    return item


def decide(uow, config: ReviewConfig, principal, item_id: str, *, outcome: str,
           reason_code: str, note: str | None = None) -> ReviewItem:
    """A reviewer's decision; a final one is carried to the check and announced."""
    item = get_item(uow, principal, item_id)
    now = clock.now()
    final = item.decide(principal.username, outcome, reason_code, note, now,
                        second_reviewer=config.second_reviewer)
    _save(uow, item)
    uow.audit(principal.username, "review.decided" if final else "review.first_rejection",
              item.id, outcome=outcome, reason_code=reason_code)
    if final:
        check = uow.session.get(Check, item.check_id)
        uow.track(check)
        check.decide(Outcome(outcome, f"review_{reason_code}", item.reason), now,
                     registry_record=check.registry_record, facts=facts_of(check))
    _commit(uow, item)
    return item


def facts_of(check: Check) -> dict:
    """What the event says the claim is: the registry's record when there is one."""
    return dict(check.registry_record or check.claim or {})


def schedule_on_site(uow, config: ReviewConfig, principal, item_id: str, *, review_point: str,
                     starts_at: datetime, ends_at: datetime, place: str) -> ReviewItem:
    """Book an on-site check; the check says so to the candidate (``on_site_check`` event)."""
    item = get_item(uow, principal, item_id)
    now = clock.now()
    # Kept (and shown to candidates) in Beijing time, whatever zone the caller used.
    starts_at, ends_at = starts_at.astimezone(BEIJING), ends_at.astimezone(BEIJING)
    previous = item.appointment
    item.schedule_on_site(principal.username, review_point=review_point, starts_at=starts_at,
                          ends_at=ends_at, place=place,
                          deadline=config.calendar.deadline(ends_at, 1), now=now)
    if previous:  # moved to another slot: its old seat is free again
        _release_seat(uow, previous)
    slots.reserve(uow.session, review_point, starts_at, config.slot_capacity)
    _save(uow, item)
    uow.audit(principal.username, "review.on_site_scheduled", item.id, review_point=review_point,
              starts_at=starts_at.isoformat())
    check = uow.session.get(Check, item.check_id)
    uow.track(check)
    when = starts_at.astimezone(BEIJING).strftime("%Y年%m月%d日 %H:%M")
    until = ends_at.astimezone(BEIJING).strftime("%H:%M")
    check.decide(Outcome("on_site_check", "on_site_scheduled",
                         f"需现场核验：请于 {when}—{until}（北京时间）携带证件和证书原件到{place}办理"),
                 now, registry_record=check.registry_record, facts=facts_of(check))
    _commit(uow, item)
    return item


def request_proof(uow, principal, item_id: str, *, reason_code: str,
                  note: str | None = None) -> ReviewItem:
    item = get_item(uow, principal, item_id)
    item.request_proof(principal.username, reason_code, note, clock.now())
    _save(uow, item)
    uow.audit(principal.username, "review.proof_requested", item.id, reason_code=reason_code)
    _commit(uow, item)
    return item


# -- the periodic job ---------------------------------------------------------------------------
def escalate_overdue(uow_factory, limit: int = 500) -> dict:
    """Flag open items past their deadline and hand them to exam admins (queue top, audit,
    ``verification.review.escalated`` for whoever follows the queue from outside).

    One transaction per item: a reviewer acting on one item meanwhile (version conflict)
    only delays that item to the next run.
    """
    now = clock.now()
    with uow_factory() as uow:
        ids = [i for (i,) in uow.session.query(ReviewItem.id).filter(
            ReviewItem.overdue.is_(False), ReviewItem.deadline < now,
            ReviewItem.status.in_(TIMED)).limit(limit)]
    n = 0
    for item_id in ids:
        with uow_factory() as uow:
            item = uow.session.get(ReviewItem, item_id)
            if item is None:
                continue
            uow.track(item)  # its escalated event goes out with the flag
            if not item.mark_overdue(now):
                continue
            try:
                uow.session.flush()
                uow.audit("system", "review.escalated", item_id,
                          province=item.province or None, claimed_by=item.claimed_by)
                uow.commit()
            except StaleDataError:
                uow.rollback()
                continue
            n += 1
    return {"escalated": n}


def latest_items(uow, check_ids: list[str]) -> dict[str, ReviewItem]:
    """The newest item of each check (what the candidate is told about)."""
    if not check_ids:
        return {}
    rows = (uow.session.query(ReviewItem).filter(ReviewItem.check_id.in_(check_ids))
            .order_by(ReviewItem.created_at).all())
    return {i.check_id: i for i in rows}

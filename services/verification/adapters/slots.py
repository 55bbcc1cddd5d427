"""Seats of on-site review slots: a review point receives only so many candidates per slot.

A seat is taken by one conditional ``UPDATE … WHERE booked < capacity`` in the booking's own
transaction, so the last seat goes to exactly one of two racing reviewers on PostgreSQL and on
SQLite alike; releasing gives it back when an appointment moves or the item is cancelled.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict
from services.verification.adapters.orm import onsite_slots


def _key(review_point: str, starts_at: datetime):
    return and_(onsite_slots.c.review_point == review_point, onsite_slots.c.starts_at == starts_at)


def reserve(session, review_point: str, starts_at: datetime, capacity: int) -> None:
    """Take one seat of the slot, or refuse with 409 ``slot_full``."""
    if session.execute(select(onsite_slots.c.booked).where(_key(review_point, starts_at))
                       ).first() is None:
        try:
            with session.begin_nested():
                session.execute(insert(onsite_slots).values(
                    review_point=review_point, starts_at=starts_at, capacity=capacity, booked=0))
        except IntegrityError:
            pass  # a concurrent booking created the row first
    taken = session.execute(update(onsite_slots).where(
        _key(review_point, starts_at), onsite_slots.c.booked < onsite_slots.c.capacity)
        .values(booked=onsite_slots.c.booked + 1)).rowcount
    if not taken:
        row = session.execute(select(onsite_slots).where(_key(review_point, starts_at))).first()
        raise Conflict(f"该时段已约满（{row.booked}/{row.capacity}），请选择其他时段",
                       code="slot_full", booked=row.booked, capacity=row.capacity)


def release(session, review_point: str, starts_at: datetime) -> None:
    session.execute(update(onsite_slots).where(_key(review_point, starts_at),
                                               onsite_slots.c.booked > 0)
                    .values(booked=onsite_slots.c.booked - 1))


def usage(session, review_point: str | None, since: datetime) -> list[dict]:
    """Upcoming slots with their seats, for the booking form."""
    q = select(onsite_slots).where(onsite_slots.c.starts_at >= since)
    if review_point:
        q = q.where(onsite_slots.c.review_point == review_point)
    rows = session.execute(q.order_by(onsite_slots.c.starts_at).limit(200)).all()
    return [{"review_point": r.review_point, "starts_at": r.starts_at, "capacity": r.capacity,
             "booked": r.booked, "free": max(0, r.capacity - r.booked)} for r in rows]

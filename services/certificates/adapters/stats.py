"""Verifications per day (Beijing date) and channel, counted in the database for the dashboard."""
from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from services.certificates.adapters.orm import verification_counts
from services.certificates.domain.model import CHINA
from services.common import clock


def count_verification(session, channel: str) -> None:
    """+1 for today in the caller's transaction (an upsert that works on SQLite and PostgreSQL)."""
    t = verification_counts
    day = clock.now().astimezone(CHINA).date()
    for _ in range(2):
        if session.execute(update(t).where(t.c.day == day, t.c.channel == channel)
                           .values(count=t.c.count + 1)).rowcount:
            return
        try:
            with session.begin_nested():
                session.execute(insert(t).values(day=day, channel=channel, count=1))
            return
        except IntegrityError:
            continue

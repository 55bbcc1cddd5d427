"""Approved applications left unpaid when the payment window closes expire (seed 004: no late
payment). The deadline is the one ``registration.payment.requested`` gave payment: the end of
the province's payment window.

Every worker runs the job: on PostgreSQL the rows are claimed with SKIP LOCKED, so two workers
never take the same application; on SQLite writers are serialised anyway. ``expire`` moves only
an application still ``approved``, so a repeat or a payment that got there first changes nothing.
"""
from __future__ import annotations

from sqlalchemy import and_, select

from services.common import clock
from services.registration.adapters import orm
from services.registration.domain.application import APPROVED, Application

BATCH = 200


def expire_unpaid(uow, limit: int = BATCH) -> int:
    """One batch: expire approved applications whose payment window ended; → how many."""
    now = clock.now()
    a, w = orm.applications, orm.windows
    query = (select(a.c.id, w.c.ends_at)
             .join(w, and_(w.c.sitting_id == a.c.sitting_id, w.c.province_code == a.c.province,
                           w.c.kind == "payment"))
             .where(a.c.state == APPROVED, w.c.ends_at.is_not(None), w.c.ends_at < now)
             .order_by(w.c.ends_at, a.c.id).limit(limit))
    if uow.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=a, skip_locked=True)
    expired = 0
    for application_id, deadline in uow.session.execute(query).all():
        application = uow.track(uow.session.get(Application, application_id))
        expired += application.expire(now, payment_deadline=deadline)
    uow.commit()
    return expired


def expire_unpaid_job(runtime) -> int:
    """Periodic job: batches until none is left (a whole province can close at once)."""
    total = 0
    while True:
        with runtime.uow() as uow:
            n = expire_unpaid(uow)
        total += n
        if n < BATCH:
            return total

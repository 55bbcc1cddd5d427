"""Cancelling a sitting or a position with too few applicants (seed 001: 报名人数不足的岗位取消).

Every live application of the sitting (optionally one province, level, specialty) is cancelled;
each candidate is told by ``registration.application.cancelled`` and each paid one gets a
``registration.refund.requested`` for payment to refund in full (payment consumes it in a later
round; its ``payment.order.refunded`` then moves the application to ``refunded``).
"""
from __future__ import annotations

import uuid

from sqlalchemy import func, insert, select, update

from services.common import clock
from services.common.errors import Invalid
from services.registration.adapters import orm
from services.registration.domain.application import ENDED, SCORES_PUBLISHED, Application
from services.registration.service_layer import admit_cards, catalog


def positions(session, sitting_id: str) -> list[dict]:
    """Live applications per province, level and specialty: what the admin weighs."""
    a = orm.applications
    rows = session.execute(
        select(a.c.province, a.c.level, a.c.specialty, func.count().label("n"))
        .where(a.c.sitting_id == sitting_id, a.c.live_key.is_not(None))
        .group_by(a.c.province, a.c.level, a.c.specialty)
        .order_by(a.c.province, a.c.level, a.c.specialty)).all()
    return [r._asdict() for r in rows]


def cancel(uow, sitting_id: str, *, reason: str, actor: str, province: str | None = None,
           level: str | None = None, specialty: str | None = None) -> dict:
    catalog.sitting(uow.session, sitting_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写取消原因，考生将收到该原因", code="reason_required", field="reason")
    q = uow.session.query(Application).filter(Application.sitting_id == sitting_id,
                                               Application.state.notin_([*ENDED, SCORES_PUBLISHED]))
    if province:
        q = q.filter(Application.province == province)
    if level:
        q = q.filter(Application.level == level)
    if specialty:
        q = q.filter(Application.specialty == specialty)
    now = clock.now()
    count = refunds = 0
    for application in q.all():
        uow.track(application)
        if application.cancel(now, reason):
            refunds += 1
        admit_cards.void(uow, application)
        count += 1
    if not (province or level or specialty):
        uow.session.execute(update(orm.sittings).where(orm.sittings.c.id == sitting_id)
                            .values(status="cancelled"))
    uow.session.execute(insert(orm.cancellations).values(
        id=str(uuid.uuid4()), sitting_id=sitting_id, province_code=province, level_code=level,
        specialty_code=specialty, reason=reason, applications=count, refunds=refunds,
        cancelled_at=now, cancelled_by=actor))
    uow.audit(actor, "sitting.cancel", sitting_id, province=province, level=level,
              specialty=specialty, applications=count, refunds=refunds)
    uow.commit()
    return {"applications": count, "refunds": refunds}

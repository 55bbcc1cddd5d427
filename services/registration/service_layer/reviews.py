"""Qualification review by people (online / on site): the reviewer's queue and decisions.

A reviewer sees only applications inside their scope (``Principal.scope``: ``province`` and
optionally ``review_point``); an exam admin sees everything. Out-of-scope applications answer
404, as if they did not exist.
"""
from __future__ import annotations

from sqlalchemy import select

from services.common import clock
from services.common.errors import Conflict, Invalid, NotFound
from services.registration.adapters import orm
from services.registration.domain.application import SUBMITTED, UNDER_REVIEW, Application
from services.registration.service_layer import applications

WAITING = (SUBMITTED, UNDER_REVIEW)


def in_scope(application, scope: dict | None) -> bool:
    scope = scope or {}
    if scope.get("province") and application.province != scope["province"]:
        return False
    return not (scope.get("review_point") and application.review_point != scope["review_point"])


def queue(session, scope: dict | None, sitting_id: str | None = None, limit: int = 200) -> list:
    """Waiting applications, oldest first (first come, first reviewed: seed 001's 2 days)."""
    a = orm.applications
    q = select(a).where(a.c.state.in_(WAITING)).order_by(a.c.updated_at).limit(limit)
    scope = scope or {}
    if scope.get("province"):
        q = q.where(a.c.province == scope["province"])
    if scope.get("review_point"):
        q = q.where(a.c.review_point == scope["review_point"])
    if sitting_id:
        q = q.where(a.c.sitting_id == sitting_id)
    return session.execute(q).all()


def decide(uow, application_id: str, *, scope: dict | None, outcome: str, reason: str | None,
           actor: str) -> Application:
    application = uow.session.get(Application, application_id, with_for_update=True)
    if application is None or not in_scope(application, scope):
        raise NotFound("没有找到该报名", code="application_not_found")
    if application.state not in WAITING:
        raise Conflict("该报名不在待审核状态", code="not_waiting_review")
    uow.track(application)
    now = clock.now()
    if outcome == "approve":
        applications.approve(uow, application, now)
    else:
        reason = (reason or "").strip()
        if not reason:
            raise Invalid("退回时请填写原因，考生将看到该原因", code="reason_required", field="reason")
        application.return_(now, reason)
    uow.audit(actor, f"application.{outcome}", application.id, reason=reason)
    uow.commit()
    return application

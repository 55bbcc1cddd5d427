"""The authorities' side: scoped queues with deadlines, and each handling step.

Who holds an application at each state (README "Titles"):
submitted → the accepting unit (``title_unit``, scope ``unit_id``); forwarded → the reviewing
authority (``title_admin``); scheduled → the review committee (``title_committee``, optional
scope ``committee``). Anyone else is refused with ``forbidden_scope``.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from services.common import clock
from services.common.errors import Forbidden, Invalid
from services.registration.adapters.titles_orm import title_plans
from services.registration.domain.catalog import BEIJING
from services.registration.domain.titles import rules
from services.registration.domain.titles.application import (
    COMPLETED,
    DECIDED,
    FORWARDED,
    SCHEDULED,
    SUBMITTED,
    TitleApplication,
)
from services.registration.service_layer import projections
from services.registration.service_layer.titles import applications, catalog

UNIT, ADMIN, COMMITTEE = "title_unit", "title_admin", "title_committee"
AUTHORITIES = (UNIT, ADMIN, COMMITTEE)
HOLDER_ROLE = {SUBMITTED: UNIT, FORWARDED: ADMIN, SCHEDULED: COMMITTEE}


def _refuse() -> Forbidden:
    return Forbidden("该申报书不在您的办理范围内", code="forbidden_scope")


def _committee(session, application: TitleApplication) -> str | None:
    if not application.plan_id:
        return None
    return session.execute(select(title_plans.c.committee).where(
        title_plans.c.id == application.plan_id)).scalar()


def may_see(session, application: TitleApplication, principal) -> bool:
    """Staff see what was submitted to them, including what they already passed on."""
    if application.submitted_at is None:
        return False
    scope = principal.scope or {}
    if principal.has_any(UNIT) and scope.get("unit_id") == application.unit_id:
        return True
    if principal.has_any(ADMIN) and application.is_review:
        return True
    return (principal.has_any(COMMITTEE) and application.is_review
            and application.state in (SCHEDULED, DECIDED, COMPLETED)
            and scope.get("committee") in (None, _committee(session, application)))


def holds(session, application: TitleApplication, principal) -> bool:
    """May this person act on the application now (its state's holder, in their scope)?"""
    role = HOLDER_ROLE.get(application.state)
    if role is None or not principal.has_any(role):
        return False
    scope = principal.scope or {}
    if role == UNIT:
        return scope.get("unit_id") == application.unit_id
    if role == COMMITTEE:
        return scope.get("committee") in (None, _committee(session, application))
    return application.is_review


def _held(uow, application_id: str, principal, *states: str) -> TitleApplication:
    """Load for an action: out of scope → 403 ``forbidden_scope``; wrong state → the domain's
    409 ``title_wrong_state`` (checked after scope, so nobody learns about others' files)."""
    application = applications.get(uow, application_id, lock=True)
    if not may_see(uow.session, application, principal):
        raise _refuse()
    if application.state in states and not holds(uow.session, application, principal):
        raise _refuse()
    return uow.track(application)


def staff_name(principal) -> str:
    return rules.mask_name(principal.name or principal.username)


def view_for_staff(uow, application_id: str, principal) -> TitleApplication:
    """Open an application; the unit opening a submitted one starts its review (no withdrawal)."""
    application = applications.get(uow, application_id, lock=True)
    if not may_see(uow.session, application, principal):
        raise _refuse()
    if holds(uow.session, application, principal) and principal.has_any(UNIT) \
            and application.opened(clock.now()):
        uow.commit()
    return application


def queue(session, principal) -> list[dict]:
    """What waits for the caller, soonest deadline first, with an overdue flag."""
    q = session.query(TitleApplication)
    items: list[TitleApplication] = []
    scope = principal.scope or {}
    if principal.has_any(UNIT):
        if not scope.get("unit_id"):
            raise Forbidden("您的账号未指定受理单位，请联系管理员", code="forbidden_scope")
        items += q.filter(TitleApplication.state == SUBMITTED,
                          TitleApplication.unit_id == scope["unit_id"]).all()
    if principal.has_any(ADMIN):
        items += q.filter(TitleApplication.state == FORWARDED).all()
    if principal.has_any(COMMITTEE):
        items += [a for a in q.filter(TitleApplication.state == SCHEDULED).all()
                  if scope.get("committee") in (None, _committee(session, a))]
    now = clock.now()
    seen: dict[str, TitleApplication] = {a.id: a for a in items}
    out = [{**applications.summary(a), "holder_name": a.basic.get("name"),
            "overdue": applications.overdue(a, now), "meeting_on": a.meeting_on,
            "review_started_at": a.review_started_at} for a in seen.values()]
    far = clock.now().replace(year=9999)
    return sorted(out, key=lambda x: (x["deadline_at"] or far, x["application_number"]))


# -- steps ---------------------------------------------------------------------------------------
def return_(uow, application_id: str, principal, reason: str) -> TitleApplication:
    application = _held(uow, application_id, principal, SUBMITTED, FORWARDED)
    now = clock.now()
    if application.state == FORWARDED:
        actor_unit = catalog.plan(uow.session, application.plan_id)["authority"]
    else:
        actor_unit = application.unit_name
    application.return_(now, actor=staff_name(principal), actor_unit=actor_unit, reason=reason,
                        deadline_at=rules.deadline(now, rules.PROFESSIONAL_DAYS))
    uow.audit(principal.username or principal.sub, "title.return", application.id, reason=reason)
    uow.commit()
    return application


def forward(uow, application_id: str, principal, note: str | None) -> TitleApplication:
    application = _held(uow, application_id, principal, SUBMITTED)
    now = clock.now()
    authority = catalog.plan(uow.session, application.plan_id)["authority"] \
        if application.plan_id else "评审机构"
    application.forward(now, actor=staff_name(principal), note=note, authority=authority,
                        deadline_at=rules.deadline(now, rules.ADMIN_DAYS))
    uow.audit(principal.username or principal.sub, "title.forward", application.id)
    uow.commit()
    return application


def _holder(session, application: TitleApplication) -> tuple[str, str]:
    cand = projections.candidate(session, application.candidate_id)
    masked = cand.document_number_masked if cand is not None else None
    return application.basic.get("name") or (cand.name if cand else "") or "", masked or ""


def unit_decide(uow, application_id: str, principal, *, approved: bool, note: str | None
                ) -> TitleApplication:
    """初定 / 确认: the accepting unit, which holds the power to issue, decides itself."""
    application = _held(uow, application_id, principal, SUBMITTED)
    if not approved and not (note or "").strip():
        raise Invalid("不予通过时请填写原因", code="title_reason_required", field="reason")
    now = clock.now()
    name, masked = _holder(uow.session, application)
    application.decide(now, actor=staff_name(principal), by=application.unit_name,
                       approved=approved, note=note, holder_name=name,
                       document_number_masked=masked, issuing_authority=application.unit_name,
                       today=now.astimezone(BEIJING).date(),
                       issue_deadline=rules.deadline(now, rules.ISSUE_DAYS))
    uow.audit(principal.username or principal.sub, "title.decide", application.id,
              approved=approved)
    uow.commit()
    return application


def schedule(uow, application_id: str, principal, meeting_on: date) -> TitleApplication:
    application = _held(uow, application_id, principal, FORWARDED)
    now = clock.now()
    if meeting_on < now.astimezone(BEIJING).date():
        raise Invalid("评审会议日期不能早于今天", code="title_meeting_in_past", field="meeting_on")
    plan = catalog.plan(uow.session, application.plan_id)
    application.schedule(now, actor=staff_name(principal), authority=plan["authority"],
                         committee=plan["committee"], meeting_on=meeting_on,
                         deadline_at=rules.meeting_deadline(meeting_on))
    uow.audit(principal.username or principal.sub, "title.schedule", application.id,
              meeting_on=meeting_on.isoformat())
    uow.commit()
    return application


def committee_decide(uow, application_id: str, principal, *, votes_for: int, votes_against: int,
                     votes_abstain: int, note: str | None) -> TitleApplication:
    """评审: the committee votes; two thirds of those present must vote for (README)."""
    application = _held(uow, application_id, principal, SCHEDULED)
    plan = catalog.plan(uow.session, application.plan_id) if application.plan_id else None
    votes = rules.Votes(votes_for, votes_against, votes_abstain)
    rules.check_votes(votes, plan["committee_size"] if plan else None)
    now = clock.now()
    if application.meeting_on and now.astimezone(BEIJING).date() < application.meeting_on:
        raise Invalid(f"评审会议定于 {application.meeting_on:%Y-%m-%d}，会议后方可录入评审结果",
                      code="title_meeting_not_held")
    name, masked = _holder(uow.session, application)
    committee = plan["committee"] if plan else "评审委员会"
    application.decide(now, actor=staff_name(principal), by=committee, approved=votes.passes(),
                       note=note, holder_name=name, document_number_masked=masked,
                       issuing_authority=plan["issuing_authority"] if plan else committee,
                       today=now.astimezone(BEIJING).date(), votes=votes,
                       issue_deadline=rules.deadline(now, rules.ISSUE_DAYS))
    uow.audit(principal.username or principal.sub, "title.committee_decide", application.id,
              votes_for=votes_for, votes_against=votes_against, votes_abstain=votes_abstain)
    uow.commit()
    return application


# -- certificates' fact -----------------------------------------------------------------------------
def on_certificate_issued(event, uow) -> None:
    """``certificates.certificate.issued`` for a title certificate: 发放证书, 已办结.

    Title certificates carry the application id as ``qualification_id`` (and, from the
    certificates contract that adds them, ``kind: title`` and ``application_id``); exam
    certificates name a qualification id no title application has, so they are ignored.
    Idempotent: the inbox drops redeliveries, the aggregate ignores a second issue."""
    d = event.data
    if d.get("kind") not in (None, "title"):
        return
    application = uow.session.get(TitleApplication, d.get("application_id")
                                  or d["qualification_id"])
    if application is None or application.state != DECIDED or not application.approved:
        return  # not ours, or already 已办结 (a second certificate event changes nothing)
    uow.track(application)
    application.certificate_issued(clock.now(), number=d["certificate_number"])

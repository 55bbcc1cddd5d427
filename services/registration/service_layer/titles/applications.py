"""The professional's side of a title application: create (pledge signed), sections saved as
they go, archive sync, attachments, submit, withdraw, abandon, and the views."""
from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from services.common import clock
from services.common.errors import Conflict, Invalid, NotFound
from services.common.events.registry import jsonable
from services.registration.adapters.titles_orm import title_applications, title_attachments
from services.registration.domain.catalog import BEIJING
from services.registration.domain.titles import rules
from services.registration.domain.titles.application import (
    ABANDONED,
    RETURNED,
    TitleApplication,
    application_number,
)
from services.registration.domain.titles.sections import (
    LEVELS_BY_TYPE,
    LIST_SECTIONS,
    REVIEW,
    TYPES,
    completeness,
    incomplete,
    masked,
)
from services.registration.service_layer.applications import next_sequence
from services.registration.service_layer.titles import catalog, profiles

MAX_ATTACHMENTS = 20


def create(uow, *, candidate_id: str, name: str, data: dict) -> TitleApplication:
    """Open an application after the integrity pledge; the base profile is copied into it."""
    if not data.get("pledge"):
        raise Invalid("请先阅读并勾选《重庆市专业技术人员诚信承诺书》", code="title_pledge_required",
                      field="pledge")
    now = clock.now()
    kind = data["application_type"]
    if kind not in TYPES:
        raise Invalid("申报项目应为职称初定、职称确认或职称评审", code="title_type_unknown")
    unit = catalog.unit(uow.session, data["unit_id"])
    if not unit["active"] or kind not in unit["accepts"]:
        raise Invalid(f"{unit['name']}未开通{TYPES[kind]}受理", code="title_unit_not_accepting",
                      field="unit_id")
    if data["title_level"] not in LEVELS_BY_TYPE[kind]:
        raise Invalid(f"{TYPES[kind]}可申报的职称等级为：{'、'.join(LEVELS_BY_TYPE[kind])}",
                      code="title_level_not_allowed", field="title_level")
    plan = None
    if kind == REVIEW:
        if not data.get("plan_id"):
            raise Invalid("职称评审请选择申报计划", code="title_plan_required", field="plan_id")
        plan = catalog.plan(uow.session, data["plan_id"])
        rules.check_window(plan["starts_at"], plan["ends_at"], now, plan["name"])
        catalog.check_title(plan, data["series"], data["title_name"], data["title_level"],
                            data.get("specialty"))
    elif data.get("plan_id"):
        raise Invalid("职称初定、职称确认不使用申报计划", code="title_plan_not_applicable",
                      field="plan_id")
    basic = {k: v for k, v in profiles.profile(uow.session, candidate_id, name).items()
             if k != "updated_at"}
    day = now.astimezone(BEIJING).date()
    application = TitleApplication(
        candidate_id=candidate_id, application_type=kind, unit_id=unit["id"],
        unit_name=unit["name"], plan_id=plan["id"] if plan else None,
        plan_name=plan["name"] if plan else None, series=data["series"],
        title_name=data["title_name"], title_level=data["title_level"],
        specialty=data.get("specialty"), basic=basic, holder=name or "申报人",
        holder_deadline=plan["ends_at"] if plan else None, actor=name or "申报人", now=now,
        number="pending")
    if _live(uow.session, application.live_key):
        raise Conflict("您已有一份相同申报项目的申报书在办理中，请在“我的申报”中继续填报",
                       code="title_application_exists")
    try:
        application.application_number = application_number(
            day, next_sequence(uow.session, f"title:{day:%Y%m%d}"))
        uow.add(application)
        uow.commit()
    except IntegrityError:  # a twin request created it first
        uow.rollback()
        raise Conflict("您已有一份相同申报项目的申报书在办理中", code="title_application_exists") from None
    return application


def _live(session, key: str) -> bool:
    return session.execute(select(title_applications.c.id).where(
        title_applications.c.live_key == key)).first() is not None


def get(uow, application_id: str, *, lock: bool = False) -> TitleApplication:
    application = uow.session.get(TitleApplication, application_id, with_for_update=lock)
    if application is None:
        raise NotFound("没有找到该申报书", code="title_application_not_found")
    return application


def owned(uow, application_id: str, candidate_id: str, *, lock: bool = False) -> TitleApplication:
    application = uow.session.get(TitleApplication, application_id, with_for_update=lock)
    if application is None or application.candidate_id != candidate_id \
            or application.state == ABANDONED:
        raise NotFound("没有找到该申报书", code="title_application_not_found")
    return uow.track(application)


def mine(session, candidate_id: str) -> list[TitleApplication]:
    return list(session.query(TitleApplication).filter(
        TitleApplication.candidate_id == candidate_id, TitleApplication.state != ABANDONED)
        .order_by(TitleApplication.created_at.desc()))


# -- sections --------------------------------------------------------------------------------------
def save_section(uow, application_id: str, candidate_id: str, section: str, value
                 ) -> TitleApplication:
    application = owned(uow, application_id, candidate_id, lock=True)
    if section == "basic":
        value = {k: v for k, v in value.items() if k != "name"}  # the name is the real name
    application.save_section(section, jsonable(value), clock.now())  # dates as ISO text
    uow.commit()
    return application


def sync_archive(uow, application_id: str, candidate_id: str) -> TitleApplication:
    """Copy the archive into achievements: rows from the archive are refreshed, rows typed into
    the application by hand stay, rows whose archive item was deleted go."""
    application = owned(uow, application_id, candidate_id, lock=True)
    synced = profiles.as_achievements(profiles.archive(uow.session, candidate_id))
    manual = [a for a in application.achievements if not a.get("archive_id")]
    application.save_section("achievements", synced + manual, clock.now())
    uow.commit()
    return application


# -- attachments ----------------------------------------------------------------------------------
def attachments(session, application_id: str) -> list[dict]:
    t = title_attachments
    return [dict(r._mapping) for r in session.execute(
        select(t.c.id, t.c.label, t.c.filename, t.c.size, t.c.uploaded_at)
        .where(t.c.application_id == application_id).order_by(t.c.uploaded_at)).all()]


def add_attachment(uow, application_id: str, candidate_id: str, *, label: str, filename: str,
                   content: bytes) -> dict:
    application = owned(uow, application_id, candidate_id)
    application.check_editable()
    label = (label or "").strip()
    if not label or len(label) > 60:
        raise Invalid("请填写材料名称（60 字以内）", code="title_attachment_label", field="label")
    rules.check_attachment(content)
    if len(attachments(uow.session, application_id)) >= MAX_ATTACHMENTS:
        raise Invalid(f"每份申报书最多上传 {MAX_ATTACHMENTS} 份附件", code="title_attachment_limit",
                      field="file")
    row = dict(id=str(uuid.uuid4()), application_id=application_id, label=label,
               filename=(filename or "附件.pdf")[-200:], size=len(content),
               sha256=hashlib.sha256(content).hexdigest(), content=content,
               uploaded_at=clock.now())
    uow.session.execute(insert(title_attachments).values(**row))
    application.updated_at = row["uploaded_at"]
    uow.commit()
    return {k: row[k] for k in ("id", "label", "filename", "size", "uploaded_at")}


def delete_attachment(uow, application_id: str, candidate_id: str, attachment_id: str) -> None:
    application = owned(uow, application_id, candidate_id)
    application.check_editable()
    gone = uow.session.execute(delete(title_attachments).where(
        title_attachments.c.id == attachment_id,
        title_attachments.c.application_id == application_id))
    if gone.rowcount == 0:
        raise NotFound("没有找到该附件", code="title_attachment_not_found")
    uow.commit()


def attachment_content(session, application_id: str, attachment_id: str):
    row = session.execute(select(title_attachments).where(
        title_attachments.c.id == attachment_id,
        title_attachments.c.application_id == application_id)).first()
    if row is None:
        raise NotFound("没有找到该附件", code="title_attachment_not_found")
    return row


# -- submit, withdraw, abandon --------------------------------------------------------------------
def rules_for(session, application: TitleApplication) -> list[dict]:
    """The attachment rules that apply: the plan's for 评审, else the unit's."""
    if application.plan_id:
        return catalog.plan(session, application.plan_id)["attachment_rules"] or []
    return catalog.unit(session, application.unit_id)["attachment_rules"] or []


def report(session, application: TitleApplication) -> dict:
    return completeness(
        application_type=application.application_type, basic=application.basic,
        lists={name: getattr(application, name) for name in LIST_SECTIONS},
        probation_summary=application.probation_summary,
        attachment_labels={a["label"] for a in attachments(session, application.id)},
        attachment_rules=rules_for(session, application))


def unit_deadline(session, application: TitleApplication, now):
    """The unit's deadline: the plan's 单位审核截止时间 when it has one, else 10 working days."""
    if application.plan_id:
        ends = catalog.plan(session, application.plan_id)["unit_review_ends_at"]
        if ends is not None and ends > now:
            return ends
    return rules.deadline(now, rules.UNIT_DAYS)


def submit(uow, application_id: str, candidate_id: str, name: str) -> TitleApplication:
    application = owned(uow, application_id, candidate_id, lock=True)
    now = clock.now()
    if application.plan_id:
        plan = catalog.plan(uow.session, application.plan_id)
        # a returned application may come back until its return deadline, even after the window
        late_ok = (application.state == RETURNED and application.deadline_at is not None
                   and now <= application.deadline_at)
        if not late_ok:
            rules.check_window(plan["starts_at"], plan["ends_at"], now, plan["name"])
    application.submit(now, actor=name or application.basic.get("name") or "申报人",
                       incomplete=incomplete(report(uow.session, application)),
                       unit_deadline=unit_deadline(uow.session, application, now))
    uow.commit()
    return application


def withdraw(uow, application_id: str, candidate_id: str, name: str) -> TitleApplication:
    application = owned(uow, application_id, candidate_id, lock=True)
    application.withdraw(clock.now(), actor=name or "申报人")
    uow.commit()
    return application


def abandon(uow, application_id: str, candidate_id: str, name: str) -> None:
    application = owned(uow, application_id, candidate_id, lock=True)
    application.abandon(clock.now(), actor=name or "申报人")
    uow.commit()


# -- views ------------------------------------------------------------------------------------------
def summary(application: TitleApplication) -> dict:
    return dict(id=application.id, application_number=application.application_number,
                application_type=application.application_type, type_label=application.type_label,
                state=application.state, state_label=application.state_label,
                approved=application.approved, unit_id=application.unit_id,
                unit_name=application.unit_name, plan_id=application.plan_id,
                plan_name=application.plan_name, series=application.series,
                title_name=application.title_name, title_level=application.title_level,
                specialty=application.specialty, submitted_at=application.submitted_at,
                pending_holder=application.pending_holder, pending_role=application.pending_role,
                deadline_at=application.deadline_at, created_at=application.created_at,
                updated_at=application.updated_at, actions=application.actions(),
                certificate_number=application.certificate_number)


def is_owner(application: TitleApplication, principal) -> bool:
    return principal.has_any("candidate") and application.candidate_id == principal.sub


def basic_for(application: TitleApplication, *, owner: bool) -> dict:
    """基本信息 in full for the professional, the phone masked for anyone else."""
    return dict(application.basic) if owner else masked(application.basic)


def view(session, application: TitleApplication, *, owner: bool) -> dict:
    """The whole application; ``owner`` decides whether the phone shows in full."""
    plan = catalog.plan(session, application.plan_id) if application.plan_id else None
    return {**summary(application),
            "pledge_signed_at": application.pledge_signed_at,
            "plan_ends_at": plan["ends_at"] if plan else None,
            "fee_fen": plan["fee_fen"] if plan else None,
            "committee": plan["committee"] if plan else None,
            "sections": {"basic": basic_for(application, owner=owner), "education": application.education,
                         "work_history": application.work_history,
                         "achievements": application.achievements,
                         "probation_summary": application.probation_summary},
            "completeness": report(session, application),
            "attachments": attachments(session, application.id),
            "attachment_rules": rules_for(session, application),
            "return_reasons": application.return_reasons(),
            "meeting_on": application.meeting_on, "votes_for": application.votes_for,
            "votes_against": application.votes_against,
            "votes_abstain": application.votes_abstain, "decided_on": application.decided_on,
            "decided_by": application.decided_by}


def record(application: TitleApplication) -> dict:
    """The handling record, newest first, with who holds the application now and until when."""
    return {"application_id": application.id,
            "application_number": application.application_number,
            "state": application.state, "state_label": application.state_label,
            "pending_holder": application.pending_holder,
            "pending_role": application.pending_role, "deadline_at": application.deadline_at,
            "overdue": overdue(application, clock.now()),
            "entries": list(reversed(application.records))}


def overdue(application: TitleApplication, now) -> bool:
    return application.deadline_at is not None and now > application.deadline_at \
        and application.pending_role in ("unit", "admin", "committee", "issuer")

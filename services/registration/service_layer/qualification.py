"""After the scores: post-exam check, public notice (公示), then the candidate qualified event.

Per exam (``exams.post_exam_check``, ``exams.notice_days``): a commitment-mode candidate who
passed everything is re-checked (verification's integrity list over HTTP, with the checking
staff member's token, plus the latest education outcome) when the exam asks for it; then a
notice period of N days during which objections are recorded and decided; when it ends with no
objection pending, ``registration.candidate.qualified`` goes to certificates. With no check and
0 days (the demo's 统计 exam) the candidate is qualified at publication, as in the skeleton.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import insert, select, update

from services.common import clock
from services.common.errors import Conflict, Invalid, NotFound
from services.registration.adapters import orm
from services.registration.adapters.verification import VerificationUnavailable
from services.registration.domain.application import Application
from services.registration.service_layer import catalog, projections

POST_EXAM_CHECK, PUBLIC_NOTICE, QUALIFIED, REJECTED = ("post_exam_check", "public_notice",
                                                      "qualified", "rejected")
STAGE_LABELS = {POST_EXAM_CHECK: "考后资格核查中", PUBLIC_NOTICE: "合格人员公示中",
                QUALIFIED: "已取得资格，证书制作中", REJECTED: "资格核查未通过"}


def _set(uow, application_id: str, stage: str, note: str | None, notice_ends_at=None) -> None:
    t = orm.qualification_checks
    values = dict(stage=stage, note=note, notice_ends_at=notice_ends_at, updated_at=clock.now())
    if uow.session.execute(select(t.c.application_id).where(
            t.c.application_id == application_id)).first() is None:
        uow.session.execute(insert(t).values(application_id=application_id, **values))
    else:
        uow.session.execute(update(t).where(t.c.application_id == application_id).values(**values))


def start(uow, application: Application, settings: dict, now) -> None:
    """A candidate passed everything: begin the exam's post-exam steps."""
    if settings["post_exam_check"] and application.commitment_mode:
        _set(uow, application.id, POST_EXAM_CHECK, "告知承诺制考生考后核查：诚信档案与学历核验")
    else:
        _after_check(uow, application, settings, now)


def _after_check(uow, application: Application, settings: dict, now) -> None:
    days = settings["notice_days"]
    if days <= 0:
        qualify(uow, application, now)
        return
    ends = now + timedelta(days=days)
    _set(uow, application.id, PUBLIC_NOTICE, f"公示 {days} 天，期间可向考试机构反映问题", ends)
    uow.emit("registration.notice.started", {
        "application_id": application.id, "candidate_id": application.candidate_id,
        "exam_code": application.exam_code, "notice_ends_at": ends}, subject=application.id)


def qualify(uow, application: Application, now) -> None:
    from services.registration.service_layer import scores
    s = catalog.sitting(uow.session, application.sitting_id)
    authority = catalog.province_names(uow.session)[application.province]["authority"]
    if uow.session.execute(select(orm.qualifications.c.id).where(
            orm.qualifications.c.application_id == application.id)).first() is not None:
        return
    scores._qualify(uow, application, s, authority, now)
    _set(uow, application.id, QUALIFIED, None)


def view(session, application_id: str) -> dict | None:
    row = session.execute(select(orm.qualification_checks).where(
        orm.qualification_checks.c.application_id == application_id)).first()
    if row is None:
        return None
    return {"stage": row.stage, "stage_label": STAGE_LABELS[row.stage], "note": row.note,
            "notice_ends_at": row.notice_ends_at}


def waiting(session, sitting_id: str, stage: str) -> list:
    qc, a = orm.qualification_checks, orm.applications
    return session.execute(select(a.c.id, a.c.application_number, a.c.candidate_id, a.c.province,
                                  a.c.review_point, qc.c.stage, qc.c.note, qc.c.notice_ends_at)
                           .join(qc, qc.c.application_id == a.c.id)
                           .where(a.c.sitting_id == sitting_id, qc.c.stage == stage)
                           .order_by(a.c.application_number)).all()


# -- post-exam check -------------------------------------------------------------------------------
def run_checks(uow, sitting_id: str, *, verification, token: str | None, actor: str) -> dict:
    """Re-check every waiting commitment-mode candidate; stop at the first outage (retry later)."""
    s = catalog.sitting(uow.session, sitting_id)
    settings = catalog.exam_settings(uow.session, s.exam_code)
    today = clock.now().date()
    out = {"checked": 0, "passed": 0, "flagged": 0, "unavailable": False}
    for row in waiting(uow.session, sitting_id, POST_EXAM_CHECK):
        application = uow.track(uow.session.get(Application, row.id))
        try:
            listed = verification.on_integrity_list(application.candidate_id, today, token)
        except VerificationUnavailable:
            out["unavailable"] = True
            break
        cand = projections.candidate(uow.session, application.candidate_id)
        out["checked"] += 1
        problems = []
        if listed:
            problems.append("被记入诚信档案库")
        if cand is None or cand.education_outcome != "passed":
            problems.append("学历核验未通过或未完成")
        if problems:
            out["flagged"] += 1
            _set(uow, application.id, POST_EXAM_CHECK, "需人工核查：" + "、".join(problems))
        else:
            out["passed"] += 1
            _after_check(uow, application, settings, clock.now())
    uow.audit(actor, "post_exam_check.run", sitting_id, **{k: v for k, v in out.items()})
    uow.commit()
    return out


def decide_check(uow, application_id: str, *, passed: bool, note: str, actor: str) -> None:
    application = uow.session.get(Application, application_id)
    row = view(uow.session, application_id) if application else None
    if row is None or row["stage"] != POST_EXAM_CHECK:
        raise NotFound("没有待核查的该考生", code="check_not_found")
    uow.track(application)
    if passed:
        s = catalog.sitting(uow.session, application.sitting_id)
        _after_check(uow, application, catalog.exam_settings(uow.session, s.exam_code), clock.now())
    else:
        if not note.strip():
            raise Invalid("请填写核查不通过的原因", code="reason_required", field="note")
        _set(uow, application_id, REJECTED, note.strip())
    uow.audit(actor, "post_exam_check.decide", application_id, passed=passed, note=note)
    uow.commit()


# -- public notice ---------------------------------------------------------------------------------
def record_objection(uow, application_id: str, content: str, actor: str) -> dict:
    row = view(uow.session, application_id)
    if row is None or row["stage"] != PUBLIC_NOTICE:
        raise Conflict("该考生不在公示期内", code="not_in_notice")
    if not content.strip():
        raise Invalid("请填写异议内容", code="content_required", field="content")
    oid = str(uuid.uuid4())
    uow.session.execute(insert(orm.objections).values(
        id=oid, application_id=application_id, content=content.strip(), status="pending",
        recorded_at=clock.now(), recorded_by=actor))
    uow.audit(actor, "objection.record", application_id)
    uow.commit()
    return {"id": oid, "status": "pending"}


def decide_objection(uow, objection_id: str, *, upheld: bool, decision: str, actor: str) -> None:
    o = orm.objections
    row = uow.session.execute(select(o).where(o.c.id == objection_id)).first()
    if row is None:
        raise NotFound("没有找到该异议", code="objection_not_found")
    if row.status != "pending":
        raise Conflict("该异议已处理", code="objection_decided")
    if not decision.strip():
        raise Invalid("请填写处理意见", code="reason_required", field="decision")
    uow.session.execute(update(o).where(o.c.id == objection_id).values(
        status="upheld" if upheld else "dismissed", decision=decision.strip(),
        decided_at=clock.now()))
    if upheld:
        _set(uow, row.application_id, REJECTED, f"公示期异议成立：{decision.strip()}")
    uow.audit(actor, "objection.decide", row.application_id, upheld=upheld)
    uow.commit()


def objections(session, application_id: str | None = None, sitting_id: str | None = None) -> list:
    o, a = orm.objections, orm.applications
    q = select(o, a.c.application_number).join(a, a.c.id == o.c.application_id)
    if application_id:
        q = q.where(o.c.application_id == application_id)
    if sitting_id:
        q = q.where(a.c.sitting_id == sitting_id)
    return session.execute(q.order_by(o.c.recorded_at)).all()


def end_notices(uow, *, sitting_id: str | None = None, now=None) -> int:
    """Qualify those whose notice ended with no objection pending (periodic, or the admin's
    "end notice now" for a sitting)."""
    now = now or clock.now()
    qc, a, o = orm.qualification_checks, orm.applications, orm.objections
    q = (select(qc.c.application_id).join(a, a.c.id == qc.c.application_id)
         .where(qc.c.stage == PUBLIC_NOTICE, qc.c.notice_ends_at <= now))
    if sitting_id:
        q = q.where(a.c.sitting_id == sitting_id)
    pending = {r.application_id for r in uow.session.execute(
        select(o.c.application_id).where(o.c.status == "pending")).all()}
    done = 0
    for (application_id,) in uow.session.execute(q).all():
        if application_id in pending:
            continue
        qualify(uow, uow.track(uow.session.get(Application, application_id)), now)
        done += 1
    uow.commit()
    return done


def end_notice_now(uow, sitting_id: str, actor: str) -> int:
    """Exam admin: close the sitting's notice today (demos, or a notice published elsewhere)."""
    catalog.sitting(uow.session, sitting_id)
    now = clock.now()
    qc, a = orm.qualification_checks, orm.applications
    ids = select(a.c.id).where(a.c.sitting_id == sitting_id).scalar_subquery()
    uow.session.execute(update(qc).where(qc.c.stage == PUBLIC_NOTICE, qc.c.application_id.in_(ids))
                        .values(notice_ends_at=now))
    uow.audit(actor, "notice.end", sitting_id)
    return end_notices(uow, sitting_id=sitting_id, now=now)


def end_notices_job(runtime) -> int:
    with runtime.uow() as uow:
        return end_notices(uow)


def public_list(session, sitting_id: str) -> list[dict]:
    """The public notice: masked names, level and notice end (never full personal data)."""
    from services.registration.service_layer.admit_cards import mask_name
    levels = {lv["code"]: lv["name"] for lv in catalog.levels(session, sitting_id)}
    out = []
    for row in waiting(session, sitting_id, PUBLIC_NOTICE):
        cand = projections.candidate(session, row.candidate_id)
        application = session.get(Application, row.id)
        out.append({"name_masked": mask_name(cand.name if cand else None),
                    "application_number": row.application_number[:-4] + "****",
                    "province": row.province, "level_name": levels.get(application.level),
                    "notice_ends_at": row.notice_ends_at})
    return out

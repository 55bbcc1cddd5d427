"""Pass marks set by the exam admin, and score review requests (成绩复核, seed 004: within 30 days
of publication) answered in the dashboard.

A corrected score that completes a candidate's pass starts the post-exam steps; a correction
downwards after qualification is only recorded (revoking is certificates' business).
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import insert, select, update

from services.common import clock
from services.common.errors import Conflict, Invalid, NotFound
from services.registration.adapters import orm
from services.registration.domain import scores as rules
from services.registration.domain.application import Application
from services.registration.domain.catalog import Window
from services.registration.service_layer import catalog, qualification


def set_pass_mark(uow, sitting_id: str, subject_code: str, pass_mark: int, actor: str) -> dict:
    """Set a subject's pass mark before publication; unpublished scores are re-judged."""
    subjects = catalog.subject_map(uow.session, sitting_id)
    sub = subjects.get(subject_code)
    if sub is None:
        raise NotFound("没有找到该科目", code="subject_not_found")
    if not 0 < pass_mark <= sub["full_mark"]:
        raise Invalid(f"合格标准应在 1 至 {sub['full_mark']} 分之间", code="pass_mark_invalid",
                      field="pass_mark")
    sc, a = orm.scores, orm.applications
    ids = select(a.c.id).where(a.c.sitting_id == sitting_id).scalar_subquery()
    if uow.session.execute(select(sc.c.application_id).where(
            sc.c.subject_code == subject_code, sc.c.application_id.in_(ids),
            sc.c.published_at.is_not(None)).limit(1)).first():
        raise Conflict("该科目成绩已发布，不能再修改合格标准", code="scores_published")
    uow.session.execute(update(orm.subjects).where(orm.subjects.c.sitting_id == sitting_id,
                                                   orm.subjects.c.code == subject_code)
                        .values(pass_mark=pass_mark))
    for row in uow.session.execute(select(sc).where(sc.c.subject_code == subject_code,
                                                    sc.c.application_id.in_(ids))).all():
        uow.session.execute(update(sc).where(sc.c.application_id == row.application_id,
                                             sc.c.subject_code == subject_code).values(
            passed=rules.passed(row.tenths, row.status_code, pass_mark)))
    uow.audit(actor, "subject.pass_mark", f"{sitting_id}/{subject_code}", pass_mark=pass_mark)
    uow.commit()
    return {"subject_code": subject_code, "pass_mark": pass_mark}


def _view(row, names: dict) -> dict:
    return {"id": row.id, "application_id": row.application_id, "subject_code": row.subject_code,
            "subject_name": names.get(row.subject_code, {}).get("name"), "reason": row.reason,
            "status": row.status, "answer": row.answer,
            "old_score": rules.display(row.old_tenths, None) if row.old_tenths is not None else None,
            "new_score": rules.display(row.new_tenths, None) if row.new_tenths is not None else None,
            "requested_at": row.requested_at, "answered_at": row.answered_at}


def request(uow, application: Application, subject_code: str, reason: str) -> dict:
    sc = orm.scores
    score = uow.session.execute(select(sc).where(sc.c.application_id == application.id,
                                                 sc.c.subject_code == subject_code)).first()
    if score is None or score.published_at is None:
        raise Invalid("该科目成绩尚未发布", code="score_not_published", field="subject_code")
    window = Window("score_review", score.published_at,
                    score.published_at + timedelta(days=rules.REVIEW_DAYS))
    window.check(clock.now())
    if not reason.strip():
        raise Invalid("请填写复核理由", code="reason_required", field="reason")
    rid = str(uuid.uuid4())
    t = orm.score_reviews
    if uow.session.execute(select(t.c.id).where(t.c.application_id == application.id,
                                                t.c.subject_code == subject_code)).first():
        raise Conflict("该科目已申请过成绩复核", code="score_review_exists")
    uow.session.execute(insert(t).values(
        id=rid, application_id=application.id, subject_code=subject_code, reason=reason.strip(),
        status="pending", old_tenths=score.tenths, requested_at=clock.now()))
    uow.commit()
    return _view(uow.session.execute(select(t).where(t.c.id == rid)).first(),
                 catalog.subject_map(uow.session, application.sitting_id))


def mine(session, application: Application) -> list[dict]:
    t = orm.score_reviews
    names = catalog.subject_map(session, application.sitting_id)
    return [_view(r, names) for r in session.execute(
        select(t).where(t.c.application_id == application.id).order_by(t.c.requested_at)).all()]


def pending(session, sitting_id: str | None = None) -> list[dict]:
    t, a = orm.score_reviews, orm.applications
    q = (select(t, a.c.application_number, a.c.sitting_id)
         .join(a, a.c.id == t.c.application_id).order_by(t.c.requested_at))
    if sitting_id:
        q = q.where(a.c.sitting_id == sitting_id)
    out = []
    for r in session.execute(q).all():
        v = _view(r, catalog.subject_map(session, r.sitting_id))
        v["application_number"] = r.application_number
        out.append(v)
    return out


def answer(uow, review_id: str, *, corrected: bool, new_score: str | None, answer: str,
           actor: str) -> dict:
    t, sc = orm.score_reviews, orm.scores
    row = uow.session.execute(select(t).where(t.c.id == review_id)).first()
    if row is None:
        raise NotFound("没有找到该复核申请", code="score_review_not_found")
    if row.status != "pending":
        raise Conflict("该复核申请已答复", code="score_review_answered")
    if not answer.strip():
        raise Invalid("请填写复核结果说明", code="reason_required", field="answer")
    application = uow.track(uow.session.get(Application, row.application_id))
    subjects = catalog.subject_map(uow.session, application.sitting_id)
    sub = subjects[row.subject_code]
    now = clock.now()
    new_tenths = None
    if corrected:
        try:
            new_tenths, status = rules.parse_score(new_score or "", sub["full_mark"])
        except ValueError as exc:
            raise Invalid(str(exc), code="score_invalid", field="new_score") from None
        if status is not None:
            raise Invalid("复核更正只能填写分数", code="score_invalid", field="new_score")
        uow.session.execute(update(sc).where(sc.c.application_id == application.id,
                                             sc.c.subject_code == row.subject_code).values(
            tenths=new_tenths, status_code=None,
            passed=rules.passed(new_tenths, None, sub["pass_mark"])))
    uow.session.execute(update(t).where(t.c.id == review_id).values(
        status="corrected" if corrected else "unchanged", answer=answer.strip(),
        new_tenths=new_tenths, answered_at=now, answered_by=actor))
    uow.emit("registration.score_review.answered", {
        "review_id": review_id, "application_id": application.id,
        "candidate_id": application.candidate_id, "subject_code": row.subject_code,
        "outcome": "corrected" if corrected else "unchanged",
        "old_score": rules.display(row.old_tenths, None) if row.old_tenths is not None else None,
        "new_score": rules.display(new_tenths, None) if new_tenths is not None else None,
        "answer": answer.strip(), "answered_at": now}, subject=application.id)
    if corrected and not application.qualified:
        _requalify(uow, application, now)
    uow.audit(actor, "score_review.answer", review_id, corrected=corrected)
    uow.commit()
    return {"id": review_id, "status": "corrected" if corrected else "unchanged"}


def _requalify(uow, application: Application, now) -> None:
    from services.registration.service_layer import scores
    s = catalog.sitting(uow.session, application.sitting_id)
    settings = catalog.exam_settings(uow.session, s.exam_code)
    rows = uow.session.execute(select(orm.scores).where(
        orm.scores.c.application_id == application.id)).all()
    if scores.qualifies(uow.session, application, s, settings, rows):
        application.qualified = True
        application.remark(now, "成绩复核更正后全部科目合格")
        qualification.start(uow, application, settings, now)

"""Scores: import the authority's CSV (all or nothing), then publish them to candidates.

Publishing is idempotent: an application whose scores are published is in state
``scores_published`` and is skipped, so pressing the button twice emits nothing new.
"""
from __future__ import annotations

import uuid

from sqlalchemy import delete, insert, select, update

from services.common import clock
from services.common.errors import Invalid
from services.registration.adapters import orm
from services.registration.domain import scores as rules
from services.registration.domain.application import ADMIT_CARD_ISSUED, Application
from services.registration.domain.catalog import BEIJING
from services.registration.service_layer import catalog, projections, qualification

QUALIFIED_NAMESPACE = uuid.UUID("6f1d3c2e-5b7a-4f0e-9a51-0c2d8e7b4a10")


def import_csv(uow, sitting_id: str, text: str, actor: str) -> dict:
    """Validate every row first; any bad row refuses the whole file with a row-by-row report."""
    catalog.sitting(uow.session, sitting_id)
    subjects = catalog.subject_map(uow.session, sitting_id)
    rows, report = rules.read_csv(text, {c: s["full_mark"] for c, s in subjects.items()})
    cards = {r.number: r for r in uow.session.execute(
        select(orm.admit_cards.c.number, orm.applications.c.id, orm.applications.c.subjects,
               orm.applications.c.state)
        .join(orm.applications, orm.applications.c.id == orm.admit_cards.c.application_id)
        .where(orm.admit_cards.c.sitting_id == sitting_id)).all()}
    for row in rows:
        errors = []
        app = cards.get(row.admit_card_number)
        if app is None:
            errors.append(f"准考证号 {row.admit_card_number} 不属于本次考试")
        elif row.subject_code not in app.subjects:
            errors.append(f"考生未报考科目 {row.subject_code}")
        elif app.state != ADMIT_CARD_ISSUED:
            errors.append("该考生成绩已发布，不能再导入（请走成绩复核）")
        if errors:
            report.append({"row": row.line, "errors": errors})
    if report:
        report.sort(key=lambda r: r["row"])
        _record_import(uow, sitting_id, actor, len(rows) + len(report), 0, report)
        uow.commit()  # the report only: no score of a bad file is ever written
        raise Invalid(f"成绩文件有 {len(report)} 行错误，未导入任何成绩，请修改后重新上传",
                      code="scores_invalid", rows=report)
    now = clock.now()
    for row in rows:
        app = cards[row.admit_card_number]
        subject = subjects[row.subject_code]
        uow.session.execute(delete(orm.scores).where(orm.scores.c.application_id == app.id,
                                                     orm.scores.c.subject_code == row.subject_code))
        uow.session.execute(insert(orm.scores).values(
            application_id=app.id, subject_code=row.subject_code, tenths=row.tenths,
            status_code=row.status_code,
            passed=rules.passed(row.tenths, row.status_code, subject["pass_mark"]),
            imported_at=now, imported_by=actor))
    _record_import(uow, sitting_id, actor, len(rows), len(rows), [])
    uow.audit(actor, "scores.import", sitting_id, rows=len(rows))
    uow.commit()
    return {"rows": len(rows), "accepted": len(rows)}


def _record_import(uow, sitting_id: str, actor: str, rows: int, accepted: int, errors) -> None:
    uow.session.execute(insert(orm.score_imports).values(
        id=str(uuid.uuid4()), sitting_id=sitting_id, at=clock.now(), actor=actor, rows=rows,
        accepted=accepted, errors=errors[:500]))


def imports(session, sitting_id: str, limit: int = 20) -> list:
    t = orm.score_imports
    return session.execute(select(t).where(t.c.sitting_id == sitting_id)
                           .order_by(t.c.at.desc()).limit(limit)).all()


def _rows(session, application_id: str) -> list:
    return session.execute(select(orm.scores).where(orm.scores.c.application_id == application_id)
                           .order_by(orm.scores.c.subject_code)).all()


def _view(rows, subjects: dict) -> list[dict]:
    return [{"subject_code": r.subject_code, "subject_name": subjects[r.subject_code]["name"],
             "score": rules.display(r.tenths, r.status_code), "status_code": r.status_code,
             "status_label": rules.STATUS_CODES.get(r.status_code), "passed": r.passed,
             "pass_mark": subjects[r.subject_code]["pass_mark"]} for r in rows]


def published_view(session, application: Application) -> list[dict] | None:
    rows = [r for r in _rows(session, application.id) if r.published_at is not None]
    if not rows:
        return None
    return _view(rows, catalog.subject_map(session, application.sitting_id))


def publish(uow, sitting_id: str, actor: str) -> dict:
    """Publish every complete score sheet of the sitting; qualify those who passed everything."""
    # Take the sitting's row lock first: two admins publishing at once run one after the other,
    # and the second finds everything already published (PostgreSQL row lock, SQLite write lock).
    uow.session.execute(update(orm.sittings).where(orm.sittings.c.id == sitting_id)
                        .values(id=orm.sittings.c.id))
    s = catalog.sitting(uow.session, sitting_id)
    subjects = catalog.subject_map(uow.session, sitting_id)
    now = clock.now()
    published = qualified = incomplete = 0
    settings = catalog.exam_settings(uow.session, s.exam_code)
    for application in uow.session.query(Application).filter(
            Application.sitting_id == sitting_id, Application.state == ADMIT_CARD_ISSUED).all():
        rows = _rows(uow.session, application.id)
        if not rows:
            continue
        if {r.subject_code for r in rows} != set(application.subjects):
            incomplete += 1
            continue
        uow.track(application)
        view = _view(rows, subjects)
        application.scores_published(now, exam_name=s.exam_name, scores=[
            {k: v[k] for k in ("subject_code", "subject_name", "score", "status_code", "passed")}
            for v in view], qualified=qualifies(uow.session, application, s, settings, rows))
        uow.session.execute(update(orm.scores).where(orm.scores.c.application_id == application.id)
                            .values(published_at=now))
        published += 1
        if application.qualified:
            qualified += 1
            qualification.start(uow, application, settings, now)
    uow.audit(actor, "scores.publish", sitting_id, published=published, qualified=qualified)
    uow.commit()
    return {"published": published, "qualified": qualified, "incomplete": incomplete}


def qualifies(session, application: Application, s, settings: dict, rows) -> bool:
    """Every subject of the level passed now, carried over (rolling exams) or exempt."""
    from services.registration.service_layer import archive
    lv = catalog.level(session, application.sitting_id, application.level) or {"subjects": []}
    carried = archive.carried(session, application.candidate_id, application.exam_code, s.year,
                              settings["rolling_years"])
    return rules.qualifies({x["code"] for x in lv["subjects"]},
                           {r.subject_code for r in rows if r.passed},
                           {c["subject_code"] for c in carried},
                           {e["code"] for e in application.exempt_subjects or []})


def qualification_name(exam_name: str) -> str:
    """The qualification an exam confers: 经济专业技术资格考试 → 经济专业技术资格."""
    return exam_name[:-2] if exam_name.endswith("考试") and len(exam_name) > 2 else exam_name


def _qualify(uow, application: Application, s, authority: str, now) -> None:
    qid = str(uuid.uuid5(QUALIFIED_NAMESPACE, application.id))
    cand = projections.candidate(uow.session, application.candidate_id)
    lv = catalog.level(uow.session, application.sitting_id, application.level) or {}
    specialty = next((x["name"] for x in lv.get("specialties", [])
                      if x["code"] == application.specialty), application.specialty)
    today = now.astimezone(BEIJING).date()
    uow.session.execute(insert(orm.qualifications).values(
        id=qid, application_id=application.id, candidate_id=application.candidate_id,
        qualified_on=today))
    uow.emit("registration.candidate.qualified", {
        "qualification_id": qid, "candidate_id": application.candidate_id,
        "holder_name": (cand.name if cand and cand.name else "（姓名待核实）"),
        "document_number_masked": (cand.document_number_masked if cand and
                                   cand.document_number_masked else "（待核实）"),
        "exam_code": application.exam_code, "exam_name": qualification_name(application.exam_name),
        "level": lv.get("grade") or lv.get("name", application.level), "specialty": specialty,
        "sitting_year": s.year, "issuing_authority": authority, "qualified_on": today},
        subject=application.id)

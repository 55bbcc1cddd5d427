"""Returning candidates (老考生, seed 002): the archive number links a candidate's sittings of one
exam, and subjects passed within the rolling period (seed 004: N consecutive exam years) carry
over, so the form offers only the rest."""
from __future__ import annotations

from sqlalchemy import select

from services.common.errors import Invalid
from services.registration.adapters import orm
from services.registration.domain import scores as score_rules


def archive_number(session, candidate_id: str, exam_code: str) -> str | None:
    a = orm.applications
    return session.execute(select(a.c.archive_number).where(
        a.c.candidate_id == candidate_id, a.c.exam_code == exam_code,
        a.c.archive_number.is_not(None)).order_by(a.c.created_at).limit(1)).scalar()


def earlier(session, candidate_id: str, exam_code: str) -> list:
    """The candidate's applications for this exam, oldest first (live key, archive number):
    one read answers "already applied for this sitting?" and "which archive number?"."""
    a = orm.applications
    return session.execute(select(a.c.live_key, a.c.archive_number).where(
        a.c.candidate_id == candidate_id, a.c.exam_code == exam_code)
        .order_by(a.c.created_at)).all()


def first_number(rows: list) -> str | None:
    """The archive number of ``earlier``'s rows (the first one given)."""
    return next((r.archive_number for r in rows if r.archive_number is not None), None)


def carried(session, candidate_id: str, exam_code: str, year: int, rolling_years: int) -> list[dict]:
    """Subjects passed in the previous ``rolling_years - 1`` exam years (published scores)."""
    if rolling_years <= 1:
        return []
    a, sc, st = orm.applications, orm.scores, orm.sittings
    rows = session.execute(
        select(sc.c.subject_code, sc.c.tenths, sc.c.status_code, st.c.year)
        .join(a, a.c.id == sc.c.application_id).join(st, st.c.id == a.c.sitting_id)
        .where(a.c.candidate_id == candidate_id, a.c.exam_code == exam_code,
               sc.c.passed.is_(True), sc.c.published_at.is_not(None),
               st.c.year >= year - rolling_years + 1, st.c.year < year)
        .order_by(st.c.year.desc())).all()
    out: dict[str, dict] = {}
    for r in rows:
        out.setdefault(r.subject_code, {"subject_code": r.subject_code, "year": r.year,
                                        "score": score_rules.display(r.tenths, r.status_code)})
    return sorted(out.values(), key=lambda x: x["subject_code"])


def me(session, candidate_id: str, sitting) -> dict:
    from services.registration.service_layer import catalog
    settings = catalog.exam_settings(session, sitting.exam_code)
    return {"sitting_id": sitting.id, "archive_number": archive_number(session, candidate_id,
                                                                       sitting.exam_code),
            "rolling_years": settings["rolling_years"],
            "carried": carried(session, candidate_id, sitting.exam_code, sitting.year,
                               settings["rolling_years"])}


def check_not_carried(session, candidate_id: str, sitting, subjects: list[str], *,
                      applied_before: bool = True) -> list[str]:
    """Refuse a subject already passed within validity; → the carried subject codes.
    ``applied_before=False``: the candidate never applied for this exam, so nothing carries."""
    from services.registration.service_layer import catalog
    if not applied_before:
        return []
    rolling = catalog.exam_settings(session, sitting.exam_code)["rolling_years"]
    done = [c["subject_code"] for c in carried(session, candidate_id, sitting.exam_code,
                                               sitting.year, rolling)]
    again = [s for s in subjects if s in done]
    if again:
        raise Invalid(f"科目 {'、'.join(again)} 已在滚动有效期内合格，无需再次报考",
                      code="subject_already_passed", field="subjects")
    return done

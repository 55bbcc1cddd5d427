"""Reading the catalog: open sittings, a sitting's levels and subjects, windows and fees."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from services.common.errors import NotFound
from services.registration.adapters import catalog_cache, orm
from services.registration.domain.catalog import Window


@dataclass(frozen=True)
class SittingInfo:
    id: str
    exam_code: str
    exam_name: str
    year: int
    name: str
    exam_date: date
    review_mode: str


# -- what a process keeps in memory per catalog version (see adapters/catalog_cache.py) ------
@dataclass(frozen=True)
class SittingData:
    info: SittingInfo
    status: str
    levels: list[dict]  # ordered by position: code, name, min_education, grade, specialties, subjects
    subjects: dict[str, dict]
    fees: dict[str, int]  # province → fee per subject (fen), provinces in descending code order
    windows: dict[str, dict[str, Window]]  # province → kind → window


@dataclass(frozen=True)
class Places:
    provinces: dict[str, dict]  # code → code, name, authority
    cities: dict[str, dict]  # code → code, province_code, name (in code order)
    review_points: dict[str, dict]  # code → code, city_code, name, address (in code order)


class Snapshot:
    """The catalog of one version, read lazily (a sitting when first asked for) and shared by
    the requests of one process. Treat what it returns as read-only."""

    def __init__(self, version: int):
        self.version = version
        self._sittings: dict[str, SittingData | None] = {}
        self._exams: dict[str, dict | None] = {}
        self._places: Places | None = None

    def sitting(self, session, sitting_id: str) -> SittingData | None:
        if sitting_id not in self._sittings:
            self._sittings[sitting_id] = _load_sitting(session, sitting_id)
        return self._sittings[sitting_id]

    def exam(self, session, exam_code: str) -> dict | None:
        if exam_code not in self._exams:
            row = session.execute(select(*(orm.exams.c[n] for n in SETTING_NAMES)).where(
                orm.exams.c.code == exam_code)).first()
            self._exams[exam_code] = None if row is None else row._asdict()
        return self._exams[exam_code]

    def places(self, session) -> Places:
        if self._places is None:
            self._places = Places(
                {r.code: r._asdict() for r in session.execute(select(orm.provinces)).all()},
                {r.code: r._asdict() for r in session.execute(
                    select(orm.cities).order_by(orm.cities.c.code)).all()},
                {r.code: r._asdict() for r in session.execute(
                    select(orm.review_points).order_by(orm.review_points.c.code)).all()})
        return self._places


def _load_sitting(session, sitting_id: str) -> SittingData | None:
    row = session.execute(
        select(orm.sittings, orm.exams.c.name.label("exam_name"), orm.exams.c.review_mode)
        .join(orm.exams, orm.exams.c.code == orm.sittings.c.exam_code)
        .where(orm.sittings.c.id == sitting_id)).first()
    if row is None:
        return None
    specs = session.execute(select(orm.specialties).where(
        orm.specialties.c.sitting_id == sitting_id).order_by(orm.specialties.c.code)).all()
    subs = [r._asdict() for r in session.execute(select(orm.subjects).where(
        orm.subjects.c.sitting_id == sitting_id).order_by(orm.subjects.c.code)).all()]
    levels = [{"code": lv.code, "name": lv.name, "min_education": lv.min_education,
               "grade": lv.grade,
               "specialties": [{"code": s.code, "name": s.name} for s in specs
                               if s.level_code == lv.code],
               "subjects": [s for s in subs if s["level_code"] == lv.code]}
              for lv in session.execute(select(orm.levels).where(
                  orm.levels.c.sitting_id == sitting_id)
                  .order_by(orm.levels.c.position, orm.levels.c.code)).all()]
    fees = {r.province_code: r.fee_per_subject_fen for r in session.execute(
        select(orm.sitting_provinces).where(orm.sitting_provinces.c.sitting_id == sitting_id)
        .order_by(orm.sitting_provinces.c.province_code.desc())).all()}
    windows: dict[str, dict[str, Window]] = {}
    for w in session.execute(select(orm.windows).where(orm.windows.c.sitting_id == sitting_id)):
        windows.setdefault(w.province_code, {})[w.kind] = Window(w.kind, w.starts_at, w.ends_at)
    info = SittingInfo(row.id, row.exam_code, row.exam_name, row.year, row.name, row.exam_date,
                       row.review_mode)
    return SittingData(info, row.status, levels, {s["code"]: s for s in subs}, fees, windows)


def snapshot(session) -> Snapshot:
    """The catalog as this request sees it (one version read per request, see catalog_cache)."""
    return catalog_cache.snapshot(session, Snapshot)


def _sitting_data(session, sitting_id: str) -> SittingData | None:
    return snapshot(session).sitting(session, sitting_id)


def sitting(session, sitting_id: str) -> SittingInfo:
    data = _sitting_data(session, sitting_id)
    if data is None:
        raise NotFound("没有找到该考试", code="sitting_not_found")
    return data.info


def sitting_status(session, sitting_id: str) -> str | None:
    data = _sitting_data(session, sitting_id)
    return None if data is None else data.status


SETTING_NAMES = ("review_mode", "commitment_offered", "admit_card_mode", "rolling_years",
                 "notice_days", "post_exam_check")


def exam_settings(session, exam_code: str) -> dict:
    """How an exam is run (per exam, edited by the exam admin): see README "Exam settings"."""
    settings = snapshot(session).exam(session, exam_code)
    if settings is None:
        raise NotFound("没有找到该考试", code="exam_not_found")
    return dict(settings)


def windows(session, sitting_id: str, province: str) -> dict[str, Window]:
    data = _sitting_data(session, sitting_id)
    return dict(data.windows.get(province, {})) if data is not None else {}


def window_view(w: Window | None) -> dict | None:
    return {"start": w.start, "end": w.end} if w else None


def province_names(session) -> dict[str, dict]:
    return snapshot(session).places(session).provinces


def city_names(session) -> dict[str, str]:
    return {c["code"]: c["name"] for c in snapshot(session).places(session).cities.values()}


def city_name(session, code: str | None) -> str | None:
    c = snapshot(session).places(session).cities.get(code) if code else None
    return None if c is None else c["name"]


def city_in_province(session, city: str, province: str) -> bool:
    c = snapshot(session).places(session).cities.get(city)
    return c is not None and c["province_code"] == province


def review_point_names(session) -> dict[str, str]:
    return {p["code"]: p["name"] for p in snapshot(session).places(session).review_points.values()}


def review_point_name(session, code: str | None) -> str | None:
    p = snapshot(session).places(session).review_points.get(code) if code else None
    return None if p is None else p["name"]


def review_point_in_city(session, review_point: str, city: str) -> bool:
    p = snapshot(session).places(session).review_points.get(review_point)
    return p is not None and p["city_code"] == city


def open_sittings(session, now: datetime) -> list[dict]:
    """Sittings whose application window is open in at least one province."""
    provinces = province_names(session)
    out = []
    for s in session.execute(select(orm.sittings, orm.exams.c.name.label("exam_name"))
                             .join(orm.exams, orm.exams.c.code == orm.sittings.c.exam_code)
                             .where(orm.sittings.c.status == "open")
                             .order_by(orm.sittings.c.exam_code)).all():
        rows = session.execute(select(orm.windows).where(
            orm.windows.c.sitting_id == s.id, orm.windows.c.kind == "application")
            .order_by(orm.windows.c.province_code.desc())).all()
        open_rows = [r for r in rows if Window(r.kind, r.starts_at, r.ends_at).contains(now)]
        if not open_rows:
            continue
        out.append({"sitting_id": s.id, "exam_code": s.exam_code, "exam_name": s.exam_name,
                    "year": s.year, "provinces": [
                        {"code": r.province_code, "name": provinces[r.province_code]["name"],
                         "application_window": {"start": r.starts_at, "end": r.ends_at}}
                        for r in open_rows]})
    return out


def levels(session, sitting_id: str) -> list[dict]:
    """Levels with their specialties and subjects (codes, names, pass marks, times)."""
    data = _sitting_data(session, sitting_id)
    return data.levels if data is not None else []


def level(session, sitting_id: str, code: str) -> dict | None:
    return next((lv for lv in levels(session, sitting_id) if lv["code"] == code), None)


def subject_map(session, sitting_id: str) -> dict[str, dict]:
    data = _sitting_data(session, sitting_id)
    return data.subjects if data is not None else {}


def fee_per_subject(session, sitting_id: str, province: str) -> int | None:
    data = _sitting_data(session, sitting_id)
    return None if data is None else data.fees.get(province)


def sitting_detail(session, sitting_id: str) -> dict:
    s = sitting(session, sitting_id)
    data = _sitting_data(session, sitting_id)
    places = snapshot(session).places(session)
    provinces = places.provinces
    fees = data.fees
    uniform = next(iter(set(fees.values()))) if len(set(fees.values())) == 1 else None
    cities = places.cities.values()
    points: dict[str, list[dict]] = {}
    for r in places.review_points.values():
        points.setdefault(r["city_code"], []).append({"code": r["code"], "name": r["name"],
                                                      "address": r["address"]})
    return {
        "sitting_id": s.id, "exam_code": s.exam_code, "exam_name": s.exam_name, "year": s.year,
        "name": s.name, "exam_date": s.exam_date, "review_mode": s.review_mode,
        "settings": exam_settings(session, s.exam_code),
        "levels": [{"code": lv["code"], "name": lv["name"], "min_education": lv["min_education"],
                    "specialties": lv["specialties"],
                    "subjects": [{"code": x["code"], "name": x["name"], "fee_fen": uniform,
                                  "pass_mark": x["pass_mark"], "full_mark": x["full_mark"],
                                  "exemptable": x["exemptable"]}
                                 for x in lv["subjects"]]}
                   for lv in levels(session, sitting_id)],
        "provinces": [{"code": p, "name": provinces[p]["name"], "fee_per_subject_fen": fee,
                       "cities": [{"code": c["code"], "name": c["name"],
                                   "review_points": points.get(c["code"], [])}
                                  for c in cities if c["province_code"] == p],
                       "windows": {k: window_view(w) for k, w in
                                   ((k, windows(session, sitting_id, p).get(k)) for k in
                                    ("application", "payment", "admit_card", "scores"))}}
                      for p, fee in fees.items()],
    }

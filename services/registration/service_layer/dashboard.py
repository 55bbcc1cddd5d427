"""What the registration dashboard shows: funnels, review backlog, seats used, score charts."""
from __future__ import annotations

from sqlalchemy import func, select

from services.common import clock
from services.registration.adapters import orm
from services.registration.domain import stats
from services.registration.domain.application import SUBMITTED, UNDER_REVIEW
from services.registration.service_layer import catalog


def funnels(session) -> list[dict]:
    """Per sitting, and per province within it: the funnel as bars."""
    a = orm.applications
    counts: dict[tuple, dict[str, int]] = {}
    for r in session.execute(select(a.c.sitting_id, a.c.province, a.c.state,
                                    func.count().label("n"))
                             .group_by(a.c.sitting_id, a.c.province, a.c.state)).all():
        counts.setdefault((r.sitting_id, None), {}).setdefault(r.state, 0)
        counts[(r.sitting_id, None)][r.state] += r.n
        counts.setdefault((r.sitting_id, r.province), {})[r.state] = r.n
    provinces = catalog.province_names(session)
    out = []
    for (sitting_id, province), by_state in sorted(counts.items(), key=lambda kv: (
            kv[0][0], kv[0][1] or "")):
        stages = stats.funnel(by_state)
        out.append({"sitting_id": sitting_id, "province": province,
                    "province_name": provinces[province]["name"] if province else "全部",
                    "bars": stats.bars([(label, n) for _, label, n in stages], 300)})
    return out


def backlog(session) -> list[dict]:
    """Applications waiting for review per sitting and province, with the oldest's age."""
    a = orm.applications
    now = clock.now()
    rows = session.execute(select(a.c.sitting_id, a.c.province, a.c.review_mode,
                                  func.count().label("n"), func.min(a.c.updated_at).label("oldest"))
                           .where(a.c.state.in_([SUBMITTED, UNDER_REVIEW]))
                           .group_by(a.c.sitting_id, a.c.province, a.c.review_mode)).all()
    out = []
    for r in rows:
        oldest = r.oldest if r.oldest.tzinfo else r.oldest.replace(tzinfo=now.tzinfo)
        out.append({**r._asdict(), "hours": int((now - oldest).total_seconds() // 3600)})
    return out


def seats_used(session) -> list[dict]:
    """Admit cards issued against the room capacity of the cities applied for, per sitting."""
    a, c = orm.applications, orm.admit_cards
    out = []
    for s in session.execute(select(orm.sittings.c.id)).all():
        cities = [r.city for r in session.execute(select(a.c.city).distinct()
                                                  .where(a.c.sitting_id == s.id)).all()]
        capacity = session.execute(
            select(func.coalesce(func.sum(orm.rooms.c.capacity), 0))
            .join(orm.exam_sites, orm.exam_sites.c.code == orm.rooms.c.site_code)
            .where(orm.exam_sites.c.city_code.in_(cities))).scalar() if cities else 0
        used = session.execute(select(func.count()).select_from(c).where(
            c.c.sitting_id == s.id)).scalar()
        draws = session.execute(select(orm.seat_draws).where(
            orm.seat_draws.c.sitting_id == s.id)).all()
        out.append({"sitting_id": s.id, "used": used, "capacity": capacity,
                    "percent": used * 100 // capacity if capacity else 0,
                    "draws": [d._asdict() for d in draws]})
    return out


def distributions(session, sitting_id: str) -> list[dict]:
    """Per subject: a histogram of imported scores (codes counted apart) and the pass rate."""
    sc, a = orm.scores, orm.applications
    out = []
    for code, sub in sorted(catalog.subject_map(session, sitting_id).items()):
        rows = session.execute(select(sc.c.tenths, sc.c.status_code, sc.c.passed)
                               .join(a, a.c.id == sc.c.application_id)
                               .where(a.c.sitting_id == sitting_id,
                                      sc.c.subject_code == code)).all()
        if not rows:
            continue
        scores = [r.tenths for r in rows if r.tenths is not None]
        passed = sum(1 for r in rows if r.passed)
        out.append({"code": code, "name": sub["name"], "pass_mark": sub["pass_mark"],
                    "full_mark": sub["full_mark"], "count": len(rows), "passed": passed,
                    "codes": len(rows) - len(scores),
                    "bars": stats.bars(stats.histogram(scores, sub["full_mark"]), 160)})
    return out

"""Figures for the dashboard: queue sizes, time to decision, outcomes per day, registry health."""
from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from services.common import clock
from services.verification.adapters.orm import checks, registry_calls, review_items
from services.verification.domain.calendar import BEIJING

KINDS = {"chsi": "education", "degree": "degree", "public_security": "identity"}
TITLES = {"chsi": "学信网", "degree": "学位网", "public_security": "公安部门身份核查"}


def median_hours_to_decision(session, days: int = 30) -> float | None:
    """Median time from opening to final decision of items decided in the last ``days``."""
    since = clock.now() - timedelta(days=days)
    rows = session.execute(select(review_items.c.created_at, review_items.c.decided_at)
                           .where(review_items.c.status == "decided",
                                  review_items.c.decided_at >= since).limit(10000)).all()
    if not rows:
        return None
    return statistics.median((d - c).total_seconds() / 3600 for c, d in rows)


def outcomes_by_day(session, days: int = 14) -> list[dict]:
    """Review decisions per Beijing day, oldest first: [{day, passed, failed}]."""
    today = clock.now().astimezone(BEIJING).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=BEIJING)
    out = {first + timedelta(days=i): {"passed": 0, "failed": 0} for i in range(days)}
    for outcome, at in session.execute(
            select(review_items.c.outcome, review_items.c.decided_at)
            .where(review_items.c.status == "decided", review_items.c.decided_at >= since)):
        day = at.astimezone(BEIJING).date()
        if day in out and outcome in out[day]:
            out[day][outcome] += 1
    return [{"day": d, **v} for d, v in sorted(out.items())]


def chart(rows: list[dict], *, width: int = 560, height: int = 160) -> dict:
    """Bar geometry for a server-rendered SVG (no script, no inline style: CSP-safe)."""
    peak = max([r["passed"] + r["failed"] for r in rows] + [1])
    slot = width / max(len(rows), 1)
    bar = max(slot * 0.6, 2)
    plot = height - 20
    bars = []
    for i, r in enumerate(rows):
        x = i * slot + (slot - bar) / 2
        hp = plot * r["passed"] / peak
        hf = plot * r["failed"] / peak
        bars.append({"x": round(x, 1), "w": round(bar, 1), "label": _md(r["day"]),
                     "passed": r["passed"], "failed": r["failed"],
                     "yp": round(plot - hp, 1), "hp": round(hp, 1),
                     "yf": round(plot - hp - hf, 1), "hf": round(hf, 1),
                     "tx": round(x + bar / 2, 1)})
    return {"width": width, "height": height, "plot": plot, "peak": peak, "bars": bars}


def _md(d: date) -> str:
    return f"{d.month}/{d.day}"


def registry_health(session, registry: str, minutes: int = 60) -> dict:
    """Calls, failures and latency of the last hour, and the checks waiting to retry."""
    since = clock.now() - timedelta(minutes=minutes)
    rows = session.execute(select(registry_calls.c.latency_ms, registry_calls.c.ok,
                                  registry_calls.c.at, registry_calls.c.error)
                           .where(registry_calls.c.registry == registry,
                                  registry_calls.c.at >= since)
                           .order_by(registry_calls.c.at)).all()
    latencies = sorted(r.latency_ms for r in rows if r.ok)
    failures = [r for r in rows if not r.ok]
    pending = session.execute(select(func.count()).select_from(checks).where(
        checks.c.kind == KINDS.get(registry, registry), checks.c.status == "checking",
        checks.c.next_attempt_at.is_not(None), checks.c.attempts > 0)).scalar()
    return {"registry": registry, "title": TITLES.get(registry, registry),
            "minutes": minutes, "calls": len(rows), "failures": len(failures),
            "failure_rate": len(failures) / len(rows) if rows else 0.0,
            "p50_ms": _pct(latencies, 0.5), "p95_ms": _pct(latencies, 0.95),
            "last_failure_at": failures[-1].at if failures else None,
            "last_error": failures[-1].error if failures else None,
            "retries_pending": pending}


def _pct(sorted_values: list[int], q: float) -> int | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]

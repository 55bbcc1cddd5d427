"""Numbers for the dashboard: verifications per day as an SVG bar chart, queues' sizes."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from services.certificates.adapters.orm import verification_counts
from services.certificates.domain.model import CHINA
from services.common import clock

CHANNELS = {"number": "编号+姓名", "credential": "上传凭证", "share": "分享链接"}


def verifications_per_day(uow, days: int = 30) -> list[dict]:
    """[{day, total, by channel}] for the last ``days`` Beijing dates, oldest first, zeros kept."""
    today = clock.now().astimezone(CHINA).date()
    start = today - timedelta(days=days - 1)
    t = verification_counts
    rows = uow.session.execute(select(t.c.day, t.c.channel, func.sum(t.c.count))
                               .where(t.c.day >= start).group_by(t.c.day, t.c.channel)).all()
    by_day: dict = {}
    for day, channel, n in rows:
        by_day.setdefault(day, {})[channel] = int(n)
    out = []
    for i in range(days):
        d = start + timedelta(days=i)
        counts = by_day.get(d, {})
        out.append({"day": d, "total": sum(counts.values()), **{c: counts.get(c, 0)
                                                                  for c in CHANNELS}})
    return out


def chart(series: list[dict], width: int = 720, height: int = 180) -> dict:
    """Bar geometry for a server-rendered SVG (no JavaScript: the CSP allows none inline)."""
    top = max((d["total"] for d in series), default=0) or 1
    step = width / max(len(series), 1)
    bars = []
    for i, d in enumerate(series):
        h = round((height - 20) * d["total"] / top, 1)
        bars.append({"x": round(i * step + 1, 1), "w": round(step - 2, 1), "h": h,
                     "y": round(height - 16 - h, 1), "day": d["day"], "total": d["total"],
                     "label": d["day"].strftime("%m-%d") if i % 5 == 0 or i == len(series) - 1
                     else ""})
    return {"width": width, "height": height, "bars": bars, "max": top,
            "sum": sum(d["total"] for d in series)}

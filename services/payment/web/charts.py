"""Server-rendered bar chart of daily paid totals: plain SVG, no JavaScript (CSP script-src 'self')."""
from __future__ import annotations

from services.payment.domain.money import format_yuan

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 64, 28, 12


def daily_bars(totals: list[dict], days: list[str]) -> dict:
    """Bars for every day in ``days`` (oldest first); a day without payments gets an empty bar."""
    by_day = {t["day"]: t for t in totals}
    top = max([t["fen"] for t in totals] or [0]) or 1
    step = (WIDTH - PAD_LEFT) / max(len(days), 1)
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    bars = []
    for i, day in enumerate(days):
        t = by_day.get(day, {"fen": 0, "count": 0})
        h = round(plot_h * t["fen"] / top, 1)
        bars.append({"x": round(PAD_LEFT + i * step + step * 0.15, 1), "w": round(step * 0.7, 1),
                     "y": round(PAD_TOP + plot_h - h, 1), "h": h, "day": day,
                     "label": day[5:], "show_label": i % max(len(days) // 10, 1) == 0,
                     "title": f"{day}：{t['count']} 笔，{format_yuan(t['fen'])}"})
    ticks = [{"y": round(PAD_TOP + plot_h - plot_h * k / 4, 1), "label": format_yuan(top * k // 4)}
             for k in range(5)]
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "ticks": ticks,
            "left": PAD_LEFT, "base": HEIGHT - PAD_BOTTOM}

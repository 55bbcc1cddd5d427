"""Template filters: times as candidates read them (Beijing time), money in yuan."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.web.device import device

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO timestamp from an API, shown in Beijing time (what every candidate's clock says)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime(fmt)
    return moment.astimezone(BEIJING).strftime(fmt)


def yuan(fen) -> str:
    return f"{int(fen or 0) / 100:.2f}"


def install(app) -> None:
    app.add_template_filter(beijing, "beijing")
    app.add_template_filter(yuan, "yuan")
    app.add_template_filter(device, "device")

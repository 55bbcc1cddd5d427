"""One clock for the whole platform, so tests and demos can move time (windows, expiry)."""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

_offset = timedelta(seconds=float(os.environ.get("BAOKAO_CLOCK_OFFSET_SECONDS", "0") or 0))


def now() -> datetime:
    return datetime.now(UTC) + _offset


def shift(delta: timedelta) -> None:
    """Move the process clock (tests and the demo 'time travel' only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)

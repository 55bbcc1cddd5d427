"""The integrity records (诚信档案库): who is listed on a given day.

A record lists a person from ``listed_from`` to ``listed_until`` (inclusive; open-ended when
None) unless staff removed it. Seed 004: a listed person cannot choose commitment mode.
"""
from __future__ import annotations

from datetime import date


def listed_on(records: list[dict], on: date) -> list[dict]:
    """The records in force on ``on``."""
    return [r for r in records if r.get("removed_at") is None and r["listed_from"] <= on
            and (r.get("listed_until") is None or on <= r["listed_until"])]

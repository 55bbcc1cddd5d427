"""Verification's settings read once at bootstrap: review rules and the holiday calendar.

``Settings.extra`` wins over the environment: ``review_deadline_days`` /
``BAOKAO_REVIEW_DEADLINE_DAYS`` (2), ``review_second_reviewer`` / ``BAOKAO_REVIEW_SECOND_REVIEWER``
(off), ``review_default_province`` / ``BAOKAO_REVIEW_DEFAULT_PROVINCE`` ("" = 未分配),
``holidays_file`` / ``BAOKAO_HOLIDAYS_FILE`` (``data/holidays_cn.json``).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from services.verification.domain.calendar import WorkCalendar
from services.verification.domain.review import ReviewConfig

HOLIDAYS = Path(__file__).parent / "data" / "holidays_cn.json"


def setting(settings, key: str, env: str, default: str) -> str:
    value = settings.extra.get(key) if settings is not None else None
    return str(value) if value is not None else (os.environ.get(env) or default)


def load_calendar(path: Path = HOLIDAYS) -> WorkCalendar:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    holidays, workdays = [], []
    for year in data["years"].values():
        holidays += year.get("holidays", [])
        workdays += year.get("workdays", [])
    return WorkCalendar.from_lists(holidays, workdays)


def review_config(settings) -> ReviewConfig:
    days = int(setting(settings, "review_deadline_days", "BAOKAO_REVIEW_DEADLINE_DAYS", "2"))
    second = setting(settings, "review_second_reviewer", "BAOKAO_REVIEW_SECOND_REVIEWER", "0")
    seats = int(setting(settings, "onsite_slot_capacity", "BAOKAO_ONSITE_SLOT_CAPACITY", "20"))
    return ReviewConfig(
        deadline_days=max(1, days),
        second_reviewer=second.strip().lower() in ("1", "true", "yes", "on"),
        slot_capacity=max(1, seats),
        default_province=setting(settings, "review_default_province",
                                 "BAOKAO_REVIEW_DEFAULT_PROVINCE", "").strip(),
        calendar=load_calendar(Path(setting(settings, "holidays_file", "BAOKAO_HOLIDAYS_FILE",
                                            str(HOLIDAYS)))))

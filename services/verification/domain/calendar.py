"""Working days for review deadlines: weekends and public holidays off, make-up days on.

Seed 001 gives a first-round review "within 2 days"; we count working days in Beijing time,
so an item created before a holiday is not overdue when the office reopens. The calendar's
data (a file per deployment, see ``adapters/data/holidays_cn.json``) is injected.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # make-up days (调休上班)

    @classmethod
    def from_lists(cls, holidays: Iterable, workdays: Iterable = ()) -> WorkCalendar:
        def dates(xs):
            return frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in xs)
        return cls(dates(holidays), dates(workdays))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def deadline(self, start: datetime, working_days: int) -> datetime:
        """End (24:00 Beijing time) of the ``working_days``-th working day after ``start``'s day.

        The day an item arrives does not count, whatever the hour: an item created on Friday
        afternoon with 2 working days is due at the end of Tuesday.
        """
        if working_days < 1:
            raise ValueError("a deadline needs at least one working day")
        day = start.astimezone(BEIJING).date()
        for _ in range(working_days):
            day = self.next_working_day(day)
        end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=BEIJING)
        return end.astimezone(UTC)

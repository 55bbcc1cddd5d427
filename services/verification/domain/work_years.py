"""Professional work years (专业工作年限, seed 004), counted to 31 December of the exam year.

- Full-time study (全日制): years count from work after graduation; work before graduation
  (internships, work before the degree) does not count.
- Part-time study (非全日制): work while studying in spare time counts; periods released from
  work to study full-time (脱产学习) do not.
- Overlapping jobs count once. A period still running counts to the cut-off.

Whole months are counted per continuous stretch (calendar months, so leap years do not bend
the result); the leftover days of all stretches add up to further months at 30 days each.
Years are whole: ``months // 12``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

STUDY_MODES = ("全日制", "非全日制")


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None = None  # None: still running

    def clipped(self, lo: date, hi: date) -> Period | None:
        s, e = max(self.start, lo), min(self.end or hi, hi)
        return Period(s, e) if s <= e else None


@dataclass(frozen=True)
class WorkYears:
    years: int
    months: int
    days: int
    cutoff: date
    counted: tuple[Period, ...]


def cutoff_of(exam_year: int) -> date:
    return date(exam_year, 12, 31)


def _merge(periods: list[Period]) -> list[Period]:
    out: list[Period] = []
    for p in sorted(periods, key=lambda p: p.start):
        if out and p.start <= out[-1].end + timedelta(days=1):
            out[-1] = Period(out[-1].start, max(out[-1].end, p.end))
        else:
            out.append(p)
    return out


def _subtract(stretches: list[Period], holes: list[Period]) -> list[Period]:
    for h in _merge(holes):
        nxt = []
        for s in stretches:
            if h.end < s.start or h.start > s.end:
                nxt.append(s)
                continue
            if s.start < h.start:
                nxt.append(Period(s.start, h.start - timedelta(days=1)))
            if h.end < s.end:
                nxt.append(Period(h.end + timedelta(days=1), s.end))
        stretches = nxt
    return stretches


def _months_and_days(p: Period) -> tuple[int, int]:
    """Whole calendar months from p.start through p.end (inclusive), and the days left over."""
    end_excl = p.end + timedelta(days=1)
    months = (end_excl.year - p.start.year) * 12 + end_excl.month - p.start.month
    while months > 0 and _add_months(p.start, months) > end_excl:
        months -= 1
    return months, (end_excl - _add_months(p.start, months)).days


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(d.day, last))


def work_years(*, exam_year: int, study_mode: str, graduation_date: date | None,
               work: list[Period], off_work_study: list[Period] = ()) -> WorkYears:
    """Count the years of ``work`` that the rules of seed 004 accept for ``exam_year``."""
    if study_mode not in STUDY_MODES:
        raise ValueError(f"study mode must be one of {STUDY_MODES}")
    cutoff = cutoff_of(exam_year)
    lo = date.min
    if study_mode == "全日制" and graduation_date is not None:
        lo = graduation_date
    clipped = [c for c in (p.clipped(lo, cutoff) for p in work) if c is not None]
    stretches = _merge(clipped)
    if study_mode == "非全日制":
        holes = [c for c in (p.clipped(date.min, cutoff) for p in off_work_study) if c]
        stretches = _subtract(stretches, holes)
    months, leftover = 0, 0
    for s in stretches:
        m, d = _months_and_days(s)
        months += m
        leftover += d
    months += leftover // 30
    days = sum((s.end - s.start).days + 1 for s in stretches)
    return WorkYears(years=months // 12, months=months, days=days, cutoff=cutoff,
                     counted=tuple(stretches))

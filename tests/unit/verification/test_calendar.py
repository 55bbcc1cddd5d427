"""Working-day deadlines: properties over any start time, and the 2026 calendar's real dates."""
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.verification.adapters.settings import load_calendar
from services.verification.domain.calendar import BEIJING, WorkCalendar

CAL = load_calendar()
starts = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 20),
                      timezones=st.just(UTC))


@settings(deadline=None)  # busy CI machines: no per-example time limit
@given(starts, st.integers(min_value=1, max_value=10))
def test_deadline_ends_a_working_day_after_exactly_n_working_days(start, n):
    due = CAL.deadline(start, n)
    assert due > start and due.tzinfo is not None
    local = due.astimezone(BEIJING)
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    last = local.date() - timedelta(days=1)
    assert CAL.is_working_day(last)
    first = start.astimezone(BEIJING).date()
    days = [first + timedelta(days=i) for i in range(1, (last - first).days + 1)]
    assert sum(CAL.is_working_day(d) for d in days) == n


@settings(deadline=None)  # busy CI machines: no per-example time limit
@given(starts, st.integers(min_value=1, max_value=5))
def test_more_days_never_shorten_the_deadline(start, n):
    assert CAL.deadline(start, n) < CAL.deadline(start, n + 1)


@settings(deadline=None)  # busy CI machines: no per-example time limit
@given(starts)
def test_without_holidays_a_deadline_is_at_most_four_calendar_days_for_two(start):
    due = WorkCalendar().deadline(start, 2)
    assert due - start <= timedelta(days=5)


def test_weekends_holidays_and_make_up_days_2026():
    assert not CAL.is_working_day(date(2026, 10, 5))   # 国庆
    assert CAL.is_working_day(date(2026, 10, 10))      # Saturday make-up day
    assert CAL.is_working_day(date(2026, 2, 14))       # Saturday before 春节
    assert not CAL.is_working_day(date(2026, 2, 17))   # 春节
    assert not CAL.is_working_day(date(2026, 11, 21))  # an ordinary Saturday


def test_an_item_on_the_eve_of_national_day_is_due_after_the_holiday():
    # 2026-09-30 (Wed) 10:00 Beijing: 10-01..07 off, 10-08 Thu and 10-09 Fri count.
    start = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    assert CAL.deadline(start, 2) == datetime(2026, 10, 10, 0, 0, tzinfo=BEIJING)


def test_friday_afternoon_is_due_tuesday_night():
    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Friday 16:00 Beijing
    assert CAL.deadline(start, 2) == datetime(2026, 11, 25, 0, 0, tzinfo=BEIJING)

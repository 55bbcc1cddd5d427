"""Work years to 31 December of the exam year (seed 004), with property-based tests."""
from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.verification.domain.work_years import Period, work_years

days = st.dates(min_value=date(1985, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def periods(draw):
    start = draw(days)
    end = draw(st.one_of(st.none(), st.dates(min_value=start, max_value=date(2028, 12, 31))))
    return Period(start, end)


work_lists = st.lists(periods(), max_size=5)
modes = st.sampled_from(["全日制", "非全日制"])


def wy(work, mode="全日制", grad=None, off=(), year=2026):
    return work_years(exam_year=year, study_mode=mode, graduation_date=grad, work=list(work),
                      off_work_study=list(off))


@settings(deadline=None)  # busy CI machines: no per-example time limit
@given(work_lists, modes, st.one_of(st.none(), days), st.integers(2000, 2030))
def test_never_negative_and_never_more_than_the_calendar_allows(work, mode, grad, year):
    r = wy(work, mode, grad, year=year)
    assert r.years >= 0 and r.months >= 0 and r.days >= 0
    assert r.years == r.months // 12
    if work:
        first = min(p.start for p in work)
        span = (r.cutoff - first).days + 1
        assert r.days <= max(span, 0)
        assert r.months <= max(span, 0) // 28 + 1
    assert all(p.end <= r.cutoff for p in r.counted)


@settings(deadline=None)  # busy CI machines: no per-example time limit
@given(work_lists, modes, st.one_of(st.none(), days), st.integers(2000, 2029))
def test_a_later_exam_year_never_counts_less(work, mode, grad, year):
    assert wy(work, mode, grad, year=year + 1).months >= wy(work, mode, grad, year=year).months


@settings(deadline=None)  # busy CI machines: no per-example time limit
@given(work_lists, periods(), modes, st.one_of(st.none(), days))
def test_another_job_never_counts_less(work, extra, mode, grad):
    assert wy([*work, extra], mode, grad).days >= wy(work, mode, grad).days


@settings(deadline=None)  # busy CI machines: no per-example time limit
@given(work_lists, days)
def test_full_time_ignores_work_before_graduation(work, grad):
    before = [Period(grad - timedelta(days=400), grad - timedelta(days=1))]
    assert wy([*work, *before], grad=grad).days == wy(work, grad=grad).days


@settings(deadline=None)  # busy CI machines: no per-example time limit
@given(work_lists, periods(), st.one_of(st.none(), days))
def test_part_time_full_release_study_never_adds(work, off, grad):
    assert wy(work, "非全日制", grad, off=[off]).days <= wy(work, "非全日制", grad).days


@settings(deadline=None)  # busy CI machines: no per-example time limit
@given(st.integers(1990, 2026), st.integers(0, 30))
def test_whole_calendar_years_count_exactly(start_year, span):
    assume(start_year + span <= 2026)
    r = wy([Period(date(start_year, 1, 1), None)], year=start_year + span)
    assert r.years == span + 1 and r.months == 12 * (span + 1)


def test_seed_004_examples():
    # full-time graduate of 2018-07-01 working since: 8 full years to 2026-12-31 is 8 y 6 m
    r = wy([Period(date(2016, 3, 1), None)], grad=date(2018, 7, 1))
    assert (r.years, r.months) == (8, 102)
    # part-time study while working counts, the 2020 full-release year does not
    r = wy([Period(date(2016, 1, 1), None)], "非全日制", date(2021, 6, 30),
           off=[Period(date(2020, 1, 1), date(2020, 12, 31))])
    assert (r.years, r.months) == (10, 120)
    # two overlapping jobs count once
    r = wy([Period(date(2020, 1, 1), date(2022, 12, 31)), Period(date(2021, 1, 1), None)])
    assert r.years == 7

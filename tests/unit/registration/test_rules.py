"""Windows, fees, review rules, next steps and score parsing."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.errors import Invalid
from services.registration.domain import application as a
from services.registration.domain import review
from services.registration.domain import scores as sc
from services.registration.domain.catalog import (
    Window,
    beijing,
    check_choice,
    education_meets,
    fee_total,
    yuan,
)
from services.registration.service_layer.demo import catalog_rows

START = datetime(2026, 2, 28, 1, 0, tzinfo=UTC)   # 09:00 Beijing
END = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)      # 17:00 Beijing


# -- fees --------------------------------------------------------------------------------------
@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=1, max_value=20))
def test_fee_is_per_subject_times_subjects_in_integer_fen(fee, count):
    total = fee_total(fee, count)
    assert isinstance(total, int) and total == fee * count
    assert total - fee_total(fee, count - 1 if count > 1 else 1) in (fee, 0)


@given(st.integers(min_value=0, max_value=10**9))
def test_yuan_display_round_trips(fen):
    whole, cents = yuan(fen).split(".")
    assert int(whole) * 100 + int(cents) == fen and len(cents) == 2


def test_fee_refuses_floats_and_no_subjects():
    with pytest.raises(ValueError):
        fee_total(50.0, 2)
    with pytest.raises(Invalid):
        fee_total(5000, 0)


# -- windows -----------------------------------------------------------------------------------
def test_window_bounds_are_inclusive():
    w = Window("application", START, END)
    assert w.contains(START) and w.contains(END)
    assert not w.contains(START - timedelta(seconds=1)) and not w.contains(END + timedelta(seconds=1))
    assert Window("scores", START).contains(START + timedelta(days=999))


def test_closed_window_names_its_dates_in_beijing_time():
    w = Window("application", START, END)
    with pytest.raises(Invalid) as early:
        w.check(START - timedelta(hours=1))
    assert early.value.code == "window_closed"
    assert "报名时间为 2026年02月28日 09:00 至 2026年03月06日 17:00" in early.value.message
    assert "尚未开始" in early.value.message
    with pytest.raises(Invalid) as late:
        Window("payment", START, END).check(END + timedelta(minutes=1))
    assert late.value.message.startswith("缴费时间为") and "已经结束" in late.value.message
    assert late.value.details["window"]["end"] == END.isoformat()
    assert beijing(END) == "2026年03月06日 17:00"


def test_demo_windows_are_relative_to_the_seeding_day():
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    rows = catalog_rows(now)
    wins = {(w["sitting_id"], w["province_code"], w["kind"]): w for w in rows["windows"]}
    app_w = wins[("2026-TJ", "50", "application")]
    assert app_w["starts_at"] == now - timedelta(days=10) and app_w["ends_at"] == now + timedelta(days=30)
    exam_date = rows["sittings"][0]["exam_date"]
    assert exam_date == date(2027, 1, 22)
    admit = wins[("2026-JJ", "44", "admit_card")]
    assert admit["starts_at"].date() == exam_date - timedelta(days=7)
    assert wins[("2026-JJ", "44", "scores")]["starts_at"].date() > exam_date
    assert {p["name"] for p in rows["provinces"]} == {"重庆市", "广东省"}
    assert all(fee["fee_per_subject_fen"] == 5000 for fee in rows["sitting_provinces"])


# -- choices and review ------------------------------------------------------------------------
def test_choice_must_belong_to_the_level():
    level = {"specialties": ["01"], "subjects": ["TJ201", "TJ202"]}
    check_choice(level=level, specialty="01", subjects=["TJ201"])
    for kw, code in [(dict(level=None, specialty="01", subjects=["TJ201"]), "level_unknown"),
                     (dict(level=level, specialty="02", subjects=["TJ201"]), "specialty_unknown"),
                     (dict(level=level, specialty="01", subjects=["TJ101"]), "subject_unknown"),
                     (dict(level=level, specialty="01", subjects=["TJ201", "TJ201"]), "subjects_duplicate"),
                     (dict(level=level, specialty="01", subjects=[]), "subjects_required")]:
        with pytest.raises(Invalid) as exc:
            check_choice(**kw)
        assert exc.value.code == code


@pytest.mark.parametrize("have,need,ok", [("本科", "大专", True), ("大专", "大专", True),
                                          ("中专", "大专", False), (None, "大专", False),
                                          ("无", None, True), ("博士研究生", "本科", True)])
def test_education_order(have, need, ok):
    assert education_meets(have, need) is ok


def test_automatic_review_rules():
    d = review.automatic(outcome="passed", reason=None, education_level="本科", min_education="大专")
    assert d.verdict == review.APPROVE
    d = review.automatic(outcome="passed", reason=None, education_level="中专", min_education="大专")
    assert d.verdict == review.RETURN and "大专及以上" in d.note
    d = review.automatic(outcome="failed", reason="证书编号不存在", education_level=None,
                         min_education="大专")
    assert d.verdict == review.RETURN and d.note == "证书编号不存在"
    for outcome in (None, "manual_check", "on_site_check"):
        d = review.automatic(outcome=outcome, reason=None, education_level=None, min_education="大专")
        assert d.verdict == review.WAIT and d.note


def test_next_step_for_each_state():
    now = datetime(2026, 11, 23, tzinfo=UTC)
    pay = Window("payment", now - timedelta(days=1), now + timedelta(days=1))
    admit = Window("admit_card", now + timedelta(days=50), now + timedelta(days=61))
    exam = (now + timedelta(days=60)).date()

    def step(state, at=now, **kw):
        args = dict(now=at, payment=pay, admit_card=admit, exam_date=exam, review_reason="原因",
                    qualified=False)
        args.update(kw)
        return review.next_step(state, **args)

    assert step(a.UNDER_REVIEW).action == "wait_review"
    assert step(a.RETURNED).action == "modify" and "原因" in step(a.RETURNED).sentence  # seed 002
    assert step(a.APPROVED).action == "pay"
    assert step(a.APPROVED, at=now + timedelta(days=2)).action == "none"
    assert step(a.PAID).action == "wait_admit_card"
    assert step(a.ADMIT_CARD_ISSUED).action == "wait_admit_card"
    assert step(a.ADMIT_CARD_ISSUED, at=now + timedelta(days=55)).action == "print_admit_card"
    assert step(a.ADMIT_CARD_ISSUED, at=now + timedelta(days=62)).action == "wait_scores"
    assert step(a.SCORES_PUBLISHED).action == "view_scores"
    assert step(a.WITHDRAWN).action == step(a.REFUNDED).action == "none"
    expired = step(a.EXPIRED, at=now + timedelta(days=2))  # seed 004: no late payment
    assert expired.action == "none" and "已过期" in expired.sentence and "下次考试" in expired.sentence
    assert all(step(s).sentence for s in a.STATE_LABELS)


# -- scores -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [("72.5", (725, None)), ("60", (600, None)),
                                           ("0", (0, None)), ("100", (1000, None)),
                                           ("-1", (None, -1)), ("-2", (None, -2)), ("-4", (None, -4))])
def test_parse_score(text, expected):
    assert sc.parse_score(text) == expected


@pytest.mark.parametrize("text", ["-3", "100.5", "abc", "", "59.55", "nan", "-1.5", "inf"])
def test_parse_score_refuses(text):
    with pytest.raises(ValueError):
        sc.parse_score(text)


@given(st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=100))
def test_pass_mark_boundary(tenths, pass_mark):
    assert sc.passed(tenths, None, pass_mark) is (tenths >= pass_mark * 10)
    assert sc.parse_score(sc.display(tenths, None)) == (tenths, None)


def test_status_codes_never_pass():
    assert not any(sc.passed(None, code, 0) for code in sc.STATUS_CODES)


def test_read_csv_reports_every_bad_row():
    text = ("\ufeffadmit_card_number,subject_code,score\nA,S1,60\nA,S1,70\n,S2,50\nB,S2\nC,S3,-9\n\n")
    rows, report = sc.read_csv(text)
    assert [r.line for r in rows] == [2]
    assert {r["row"] for r in report} == {3, 4, 5, 6}
    assert "重复" in report[0]["errors"][0]
    assert sc.read_csv("x,y,z\n")[1][0]["row"] == 1

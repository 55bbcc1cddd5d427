"""Order amounts and yuan strings: integer fen only, exact both ways."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.errors import Invalid
from services.payment.domain.money import (
    MAX_ORDER_FEN,
    fen_to_yuan,
    format_yuan,
    order_amount,
    yuan_to_fen,
)

fees = st.integers(min_value=0, max_value=1_000_000)
counts = st.integers(min_value=1, max_value=20)


@given(fees, counts)
def test_amount_is_fee_times_subjects(fee, count):
    total = order_amount(fee, count)
    assert isinstance(total, int) and total == fee * count
    if count > 1:
        assert total == order_amount(fee, count - 1) + fee


@given(st.integers(min_value=0, max_value=10**12))
def test_yuan_round_trip(fen):
    text = fen_to_yuan(fen)
    assert yuan_to_fen(text) == fen
    whole, frac = text.split(".")
    assert len(frac) == 2 and int(whole) == fen // 100


@given(fees, counts)
def test_sum_of_subject_fees_in_yuan_matches_total(fee, count):
    assert yuan_to_fen(fen_to_yuan(order_amount(fee, count))) == sum([fee] * count)


@pytest.mark.parametrize("text,fen", [("100", 10000), ("100.5", 10050), ("0.01", 1),
                                      ("0", 0), (" 12.30 ", 1230)])
def test_yuan_forms(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["", "-1.00", "1.001", "1e3", "01.00", "1,000.00", "abc",
                                  "1.", ".5", "NaN", None, 1.5])
def test_bad_yuan_is_refused(text):
    with pytest.raises(ValueError):
        yuan_to_fen(text)


@pytest.mark.parametrize("fee,count", [(-1, 1), (100, 0), (1.5, 2), (True, 2), (100, 2.0),
                                       (MAX_ORDER_FEN, 2)])
def test_bad_amounts_are_refused(fee, count):
    with pytest.raises(Invalid):
        order_amount(fee, count)


def test_format():
    assert format_yuan(5) == "¥0.05" and format_yuan(12345) == "¥123.45"
    with pytest.raises(ValueError):
        fen_to_yuan(-1)

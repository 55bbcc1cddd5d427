"""Statement lines: what is accepted, and the reason given for each kind of bad line."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.payment.domain import statement

DAY = "2026-11-22"
OK = ["2026112222000000000000000001", "BK20261122000000000001", "payment", "100.00",
      "TRADE_SUCCESS", "2026-11-22 10:00:00", ""]


def test_a_good_payment_line():
    line = statement.parse_row(OK, 2, DAY)
    assert line.amount_fen == 10000 and line.type == "payment" and line.line_no == 2
    assert line.occurred_at == datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # Beijing → UTC


def test_a_good_refund_line():
    row = OK[:2] + ["refund", "0.5", "REFUND_SUCCESS", "2026-11-22 23:59:59", "RF1"]
    assert statement.parse_row(row, 3, DAY).amount_fen == 50


@pytest.mark.parametrize("index,value,reason", [
    (0, "", "交易号"), (0, "T\t1", "交易号"), (1, "x" * 65, "商户订单号"),
    (2, "pay", "类型"), (4, "TRADE_CLOSED", "状态"), (3, "abc", "金额"), (3, "1.234", "金额"),
    (3, "0.00", "金额必须"), (3, "-1.00", "金额"), (3, "01.00", "金额"), (3, "１.00", "金额"),
    (5, "2026-11-22 24:00:00", "时间"), (5, "2026/11/22 10:00:00", "时间"),
    (5, "2026-11-21 10:00:00", "不在"), (6, "RF1", "退款请求号"),
])
def test_bad_lines_say_why(index, value, reason):
    row = list(OK)
    row[index] = value
    assert reason in statement.parse_row(row, 2, DAY)


def test_wrong_column_count():
    assert "列" in statement.parse_row(OK[:-1], 2, DAY)


def test_day_bounds_are_beijing_days():
    start, end = statement.day_bounds(DAY)
    assert start == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    assert (end - start).days == 1 and statement.beijing_day(start) == DAY

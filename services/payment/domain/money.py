"""Money in integer fen: the order amount, and the yuan strings payment providers speak.

Providers (Alipay, WeChat) carry amounts as decimal yuan strings ("100.00"); we never let a
float near them: conversion is string <-> int only.
"""
from __future__ import annotations

import re

from services.common.errors import Invalid

MAX_ORDER_FEN = 100_000_000  # 100万元: far above any exam fee; a larger amount is a bug upstream
_YUAN = re.compile(r"^(0|[1-9]\d{0,11})(?:\.(\d{1,2}))?$")


def order_amount(fee_per_subject_fen: int, subject_count: int) -> int:
    """The amount to pay: fee per subject × number of subjects, in fen."""
    if isinstance(fee_per_subject_fen, bool) or not isinstance(fee_per_subject_fen, int):
        raise Invalid("每科费用必须是整数（分）", code="fee_not_integer")
    if isinstance(subject_count, bool) or not isinstance(subject_count, int):
        raise Invalid("科目数必须是整数", code="subject_count_not_integer")
    if fee_per_subject_fen < 0:
        raise Invalid("每科费用不能为负数", code="fee_negative")
    if subject_count < 1:
        raise Invalid("至少要缴一科的费用", code="no_subjects")
    total = fee_per_subject_fen * subject_count
    if total > MAX_ORDER_FEN:
        raise Invalid("订单金额超出上限", code="amount_too_large")
    return total


def fen_to_yuan(fen: int) -> str:
    """12345 -> "123.45" (always two decimals, as providers expect)."""
    if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
        raise ValueError(f"not a fen amount: {fen!r}")
    return f"{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(text: str) -> int:
    """"123.45" -> 12345; anything that is not a plain non-negative yuan amount is refused."""
    m = _YUAN.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"not a yuan amount: {text!r}")
    whole, frac = m.group(1), (m.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(frac)


def format_yuan(fen: int) -> str:
    """For people: 12345 -> "¥123.45"."""
    return "¥" + fen_to_yuan(fen)

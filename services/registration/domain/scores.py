"""Scores (成绩): parsing the authority's CSV and deciding pass or fail.

A score is kept in tenths of a point (an integer, like money in fen); special codes of seed 004
stand instead of a score: -1 absent (缺考), -2 violation (违纪), -4 void (成绩无效).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

HEADER = ["admit_card_number", "subject_code", "score"]
STATUS_CODES = {-1: "缺考", -2: "违纪", -4: "成绩无效"}
MAX_ROWS = 200_000


@dataclass(frozen=True)
class ScoreRow:
    line: int
    admit_card_number: str
    subject_code: str
    tenths: int | None  # None when a status code stands instead
    status_code: int | None


def parse_score(text: str, full_mark: int = 100) -> tuple[int | None, int | None]:
    """``"72.5"`` → (725, None); ``"-1"`` → (None, -1). Raises ValueError with a Chinese reason."""
    text = (text or "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"成绩“{text}”不是数字") from None
    if not value.is_finite():
        raise ValueError(f"成绩“{text}”不是数字")
    if value < 0:
        if value == value.to_integral_value() and int(value) in STATUS_CODES:
            return None, int(value)
        raise ValueError(f"成绩代码“{text}”无效，只能为 -1（缺考）、-2（违纪）、-4（成绩无效）")
    tenths = value * 10
    if tenths != tenths.to_integral_value():
        raise ValueError(f"成绩“{text}”最多保留一位小数")
    if value > full_mark:
        raise ValueError(f"成绩“{text}”超过满分 {full_mark}")
    return int(tenths), None


def passed(tenths: int | None, status_code: int | None, pass_mark: int) -> bool:
    return status_code is None and tenths is not None and tenths >= pass_mark * 10


def display(tenths: int | None, status_code: int | None) -> str | None:
    """The score as candidates see it: ``72.5``, ``60`` or the code itself (``-1``)."""
    if status_code is not None:
        return str(status_code)
    if tenths is None:
        return None
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


def read_csv(text: str, full_marks: dict[str, int] | None = None
             ) -> tuple[list[ScoreRow], list[dict]]:
    """Rows and a row-by-row error report (line numbers as a spreadsheet shows them)."""
    full_marks = full_marks or {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != HEADER:
        return [], [{"row": 1, "errors": [f"表头应为 {','.join(HEADER)}"]}]
    rows, report, seen = [], [], {}
    for line, fields in enumerate(reader, start=2):
        if not any(f.strip() for f in fields):
            continue
        if len(rows) + len(report) >= MAX_ROWS:
            report.append({"row": line, "errors": [f"一次最多导入 {MAX_ROWS} 行"]})
            break
        errors = []
        if len(fields) != 3:
            report.append({"row": line, "errors": ["每行应有 3 列：准考证号、科目代码、成绩"]})
            continue
        number, subject, raw = (f.strip() for f in fields)
        if not number:
            errors.append("准考证号为空")
        if not subject:
            errors.append("科目代码为空")
        tenths = status = None
        try:
            tenths, status = parse_score(raw, full_marks.get(subject, 100))
        except ValueError as exc:
            errors.append(str(exc))
        key = (number, subject)
        if key in seen and number and subject:
            errors.append(f"与第 {seen[key]} 行重复")
        seen.setdefault(key, line)
        if errors:
            report.append({"row": line, "errors": errors})
        else:
            rows.append(ScoreRow(line, number, subject, tenths, status))
    return rows, report


def qualifies(required: set[str], passed_now: set[str], carried: set[str], exempt: set[str]) -> bool:
    """Every required subject of the level passed now, carried over within the rolling period,
    or exempt (seed 004: 滚动考试 / 非滚动考试). Nothing required means nothing to qualify for."""
    return bool(required) and required <= (passed_now | carried | exempt)


REVIEW_DAYS = 30  # score review requests within 30 days of publication (seed 004)

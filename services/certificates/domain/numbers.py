"""Certificate numbers: readable, sortable by year and exam, and typo-evident.

Layout (no separators, upper case): ``BK`` + sitting year (4 digits) + exam code (1-8 letters or
digits, from the exam catalog) + a 6-digit sequence per (year, exam) + 2 check characters.
Professional-title certificates have their own series: ``ZC`` + year decided + level code
(``ZJ`` 中级, ``FG`` 副高级 …) + a 6-digit sequence per (year, level) + 2 check characters.
The check characters are ISO 7064 MOD 1271-36 over everything before them, which catches every
single mistyped character and every swap of two neighbours before any look-up (MOD 37,36 with
one character misses some swaps; MOD 37-2 would need a ``*``).
Numbers are not secret: verification always needs the holder's name as well.
"""
from __future__ import annotations

import re

from services.common.errors import Invalid

PREFIX = "BK"
PREFIXES = (PREFIX, "ZC")  # qualification, professional title
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SEQUENCE_DIGITS = 6
CHECK_CHARS = 2
MAX_LENGTH = len(PREFIX) + 4 + 8 + SEQUENCE_DIGITS + CHECK_CHARS
PATTERN = re.compile(rf"^(?:{'|'.join(PREFIXES)})\d{{4}}[0-9A-Z]{{1,8}}\d{{{SEQUENCE_DIGITS}}}[0-9A-Z]{{2}}$")
_MODULUS, _RADIX = 1271, 36


def exam_part(exam_code: str) -> str:
    """The exam code as it appears in numbers: letters and digits only, upper case, ≤ 8."""
    part = re.sub(r"[^0-9A-Za-z]", "", exam_code).upper()[:8]
    if not part:
        raise Invalid("考试代码不能用于证书编号", code="exam_code_unusable")
    return part


def check_chars(body: str) -> str:
    """ISO 7064 MOD 1271-36 check characters of ``body`` (digits and A-Z): the whole number,
    read as base-36 digits, is then congruent to 1 modulo 1271."""
    value = 0
    for ch in body:
        value = (value * _RADIX + ALPHABET.index(ch)) % _MODULUS
    check = (1 - value * _RADIX * _RADIX) % _MODULUS
    return ALPHABET[check // _RADIX] + ALPHABET[check % _RADIX]


def compose(year: int, exam_code: str, sequence: int, prefix: str = PREFIX) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown certificate number prefix {prefix}")
    if not 1 <= sequence < 10**SEQUENCE_DIGITS:
        raise Invalid("本年度该考试的证书编号已用完", code="number_space_exhausted")
    body = f"{prefix}{year:04d}{exam_part(exam_code)}{sequence:0{SEQUENCE_DIGITS}d}"
    return body + check_chars(body)


def normalise(text: str) -> str:
    """What a person typed, as a number: spaces and hyphens dropped, upper case."""
    return re.sub(r"[\s\-]", "", text or "").upper()


def is_well_formed(number: str) -> bool:
    """Layout and check character are right (says nothing about whether it was issued)."""
    return bool(PATTERN.match(number)) and check_chars(number[:-CHECK_CHARS]) == number[-CHECK_CHARS:]

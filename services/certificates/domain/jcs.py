"""JSON Canonicalization Scheme (RFC 8785): the exact bytes a certificate's signature covers.

Keys sorted by UTF-16 code units, no whitespace, strings escaped as ECMAScript's
``JSON.stringify`` does, numbers in ECMAScript's shortest round-trip form, UTF-8 output.
Anyone re-implementing the offline check (in any language with a JCS library) gets the same bytes.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal

MAX_SAFE_INTEGER = 2**53 - 1
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
            "\t": "\\t"}


class CanonicalizationError(ValueError):
    """The value has no JSON canonical form (NaN, a huge integer, a lone surrogate, a set…)."""


def canonicalize(value) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (dict, list, str, int, float, bool, None)."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts).encode("utf-8")


def _write(value, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalizationError(f"integer {value} is outside the IEEE-754 exact range")
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalizationError(f"object key {key!r} is not a string")
        out.append("{")
        for i, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise CanonicalizationError(f"{type(value).__name__} is not a JSON value")


_PLAIN = re.compile("[\x00-\x1f\"\\\\\ud800-\udfff]")  # what needs escaping or refusing


def _string(s: str) -> str:
    if _PLAIN.search(s) is None:  # the common case: nothing to escape
        return f'"{s}"'
    chars = ['"']
    for ch in s:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            raise CanonicalizationError("string holds a lone surrogate")
        if ch in _ESCAPES:
            chars.append(_ESCAPES[ch])
        elif code < 0x20:
            chars.append(f"\\u{code:04x}")
        else:
            chars.append(ch)
    chars.append('"')
    return "".join(chars)


def _number(x: float) -> str:
    """ECMAScript Number::toString for a finite double (RFC 8785 section 3.2.2.3)."""
    if math.isnan(x) or math.isinf(x):
        raise CanonicalizationError("NaN and Infinity are not JSON numbers")
    if x == 0:
        return "0"  # also -0
    sign = "-" if x < 0 else ""
    # repr() gives the shortest digits that round-trip, as ECMAScript requires.
    _, digit_tuple, exp = Decimal(repr(abs(x))).as_tuple()
    raw = "".join(map(str, digit_tuple))
    digits = raw.rstrip("0")
    k = len(digits)
    n = exp + (len(raw) - k) + k  # value = 0.<digits> × 10^n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body

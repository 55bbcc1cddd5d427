"""RFC 8785 canonicalisation: the published test vectors and round-trip properties."""
import json
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.certificates.domain.jcs import CanonicalizationError, canonicalize


@pytest.mark.parametrize("value, expected", [
    (1e30, "1e+30"), (4.50, "4.5"), (2e-3, "0.002"), (0.000001, "0.000001"), (1e-7, "1e-7"),
    (333333333.33333329, "333333333.3333333"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
    (-0.0, "0"), (0, "0"), (-1.5, "-1.5"), (5e-324, "5e-324"), (100.0, "100"),
    (1.7976931348623157e308, "1.7976931348623157e+308"), (9007199254740991, "9007199254740991"),
])
def test_numbers_follow_ecmascript(value, expected):
    assert canonicalize(value) == expected.encode()


def test_keys_sorted_by_utf16_code_units():
    value = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew", "1": "One",
             "\U0001f600": "Emoji", "\u0080": "Control", "\u00f6": "o"}
    keys = list(json.loads(canonicalize(value)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_no_whitespace_minimal_escapes_and_utf8():
    value = {"b": [1, True, None, "x"], "a": {"z": "张三\n\"\\\u001f\u007f/"}}
    assert canonicalize(value) == ('{"a":{"z":"张三\\n\\"\\\\\\u001f\u007f/"},'
                                   '"b":[1,true,null,"x"]}').encode("utf-8")


@pytest.mark.parametrize("bad", [math.nan, math.inf, 2**53, {1: "x"}, "\ud800", {1, 2}, b"x"])
def test_values_without_canonical_form_are_refused(bad):
    with pytest.raises(CanonicalizationError):
        canonicalize(bad)


_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_json = st.recursive(
    st.none() | st.booleans() | _text
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20)


def parse(data: bytes):
    """Read JSON as I-JSON does: every number is a double (Python would make big ones ints)."""
    return json.loads(data, parse_int=lambda s: int(s) if abs(int(s)) < 2**53 else float(s))


@given(_json)
def test_round_trip_preserves_the_value(value):
    assert parse(canonicalize(value)) == value


@given(_json)
def test_canonical_form_is_a_fixed_point(value):
    once = canonicalize(value)
    assert canonicalize(parse(once)) == once


@given(st.dictionaries(_text, _json, max_size=6), st.randoms())
def test_member_order_does_not_matter(value, rnd: random.Random):
    items = list(value.items())
    rnd.shuffle(items)
    assert canonicalize(dict(items)) == canonicalize(value)

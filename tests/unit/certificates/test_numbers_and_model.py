"""Certificate numbers, titles and the name check used by public verification."""
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.certificates.domain import numbers
from services.certificates.domain.model import Certificate, Qualification, names_match
from services.common.errors import Invalid


def test_layout():
    n = numbers.compose(2026, "jj-s", 17)
    assert n.startswith("BK2026JJS000017") and len(n) == 17
    assert numbers.is_well_formed(n)


@given(st.integers(2000, 2099), st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1,
                                        max_size=8), st.integers(1, 999_999), st.data())
def test_single_typos_and_swaps_are_caught(year, exam, seq, data):
    n = numbers.compose(year, exam, seq)
    assert numbers.is_well_formed(n)
    i = data.draw(st.integers(2, len(n) - 1))
    other = data.draw(st.sampled_from(numbers.ALPHABET).filter(lambda c: c != n[i]))
    assert not numbers.is_well_formed(n[:i] + other + n[i + 1:])
    j = data.draw(st.integers(2, len(n) - 2))
    if n[j] != n[j + 1]:
        assert not numbers.is_well_formed(n[:j] + n[j + 1] + n[j] + n[j + 2:])


def test_normalise_forgives_spaces_hyphens_and_case():
    assert numbers.normalise(" bk2026-jjs 000017v5 ") == "BK2026JJS000017V5"


@pytest.mark.parametrize("bad", ["", "BK", "XX2026JJS000017V5", "BK2026JJS00001", "BK2026JJS000017V5" * 2,
                                 "BK2026JJS000017V", "BK2026JJS000017V6",
                                 "BK2026张三000017K"])
def test_malformed_numbers(bad):
    assert not numbers.is_well_formed(bad)


def test_exam_code_and_sequence_limits():
    with pytest.raises(Invalid):
        numbers.compose(2026, "--", 1)
    with pytest.raises(Invalid):
        numbers.compose(2026, "JJS", 1_000_000)


def q(**over):
    base = dict(qualification_id="q", candidate_id="c", holder_name="欧阳 娜娜",
                document_number_masked="x", exam_code="JJS", exam_name="经济专业技术资格",
                level="中级", specialty=None, sitting_year=2026, issuing_authority="人社部",
                qualified_on=date(2026, 1, 1))
    base.update(over)
    return Qualification(**base)


def test_title_joins_exam_and_level_once():
    assert q().title == "经济专业技术资格（中级）"
    assert q(exam_name="一级建造师", level="一级").title == "一级建造师"
    assert q(level="").title == "经济专业技术资格"


def test_issued_on_is_the_beijing_date():
    cert = Certificate(number="N", qualification=q(), status_index=0,
                       issued_at=datetime(2026, 12, 31, 17, 0, 0, 123, tzinfo=UTC))
    assert cert.issued_on == date(2027, 1, 1) and cert.issued_at.microsecond == 0


@pytest.mark.parametrize("given_name, ok", [("欧阳娜娜", True), (" 欧阳  娜娜 ", True),
                                            ("欧阳", False), ("", False), ("欧阳娜娜娜", False)])
def test_names_match(given_name, ok):
    assert names_match(given_name, "欧阳 娜娜") is ok


def test_latin_names_match_ignoring_case_and_width():
    assert names_match("ＪＯＨＮ·smith", "John·Smith")

"""GB 11643 check digits and the other document formats, property-based where arithmetic."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.errors import Invalid
from services.identity.domain import documents

TODAY = date(2026, 11, 23)
provinces = st.sampled_from(sorted(documents.PROVINCE_CODES))
births = st.dates(min_value=date(1920, 1, 1), max_value=date(2010, 12, 31))


def make_id(province: int, born: date, seq: int) -> str:
    first17 = f"{province:02d}0101{born:%Y%m%d}{seq:03d}"
    return first17 + documents.check_digit(first17)


@given(provinces, births, st.integers(0, 999))
def test_any_well_formed_number_is_accepted_and_normalised(province, born, seq):
    number = make_id(province, born, seq)
    assert documents.validate("resident_id", number.lower(), TODAY) == number
    assert documents.resident_id_birth_date(number) == born


@given(provinces, births, st.integers(0, 999), st.sampled_from("0123456789X"))
def test_a_wrong_check_digit_is_always_refused(province, born, seq, digit):
    number = make_id(province, born, seq)
    if digit == number[-1]:
        return
    with pytest.raises(Invalid) as exc:
        documents.validate("resident_id", number[:17] + digit, TODAY)
    assert exc.value.code == "document_number_checksum"


@given(provinces, births, st.integers(0, 999), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_is_detected(province, born, seq, position, delta):
    number = make_id(province, born, seq)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    with pytest.raises(Invalid):
        documents.validate("resident_id", changed, TODAY)


@pytest.mark.parametrize("number,code", [
    ("110105491231002", "document_number_15_digits"),
    ("11010519491231002", "document_number_format"),
    ("99010519491231002X", "document_number_region"),
    ("110105194913310029", "document_number_birth_date"),
    ("110105203012310025", "document_number_birth_date"),
])
def test_refusals_name_the_rule(number, code):
    with pytest.raises(Invalid) as exc:
        documents.validate("resident_id", number, TODAY)
    assert exc.value.code == code and exc.value.message


@pytest.mark.parametrize("kind,good,bad", [
    ("hk_macao_permit", "H12345678", "X12345678"),
    ("taiwan_permit", "12345678", "1234567"),
    ("foreign_passport", "E12345678", "E1"),
])
def test_other_documents_have_their_own_formats(kind, good, bad):
    assert documents.validate(kind, good.lower(), TODAY) == good
    with pytest.raises(Invalid):
        documents.validate(kind, bad, TODAY)


def test_masks_keep_four_and_four():
    assert documents.mask("500103199003072311") == "5001**********2311"
    assert documents.mask_phone("13800138000") == "138****8000"

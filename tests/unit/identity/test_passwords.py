"""Password rules of seed 000: each refusal names the rule."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.errors import Invalid
from services.identity.domain.passwords import validate_password, validate_username
from services.identity.service_layer.accounts import name_pinyin


def refused(password: str, **kw) -> str:
    with pytest.raises(Invalid) as exc:
        validate_password(password, **kw)
    return exc.value.code


def test_a_strong_password_passes():
    validate_password("Kao!shi#Ren7", username="zhangsan01", name_pinyin=name_pinyin("张三"),
                      phone="13800138000", birth_date=date(1990, 3, 7))


@pytest.mark.parametrize("password,code,kw", [
    ("Ab1!", "password_length", {}),
    ("Ab1!" * 6, "password_length", {}),
    ("abcdefg1!", "password_classes", {}),
    ("P@ssw0rd1", "password_common", {}),
    ("Xzhangsan01!Q", "password_username", {"username": "zhangsan01"}),
    ("Zhangsan#9q", "password_name", {"name_pinyin": name_pinyin("张三")}),
    ("Aa#13800138000", "password_phone", {"phone": "13800138000"}),
    ("Qq#19900307x", "password_birth_date", {"birth_date": date(1990, 3, 7)}),
    ("Qq#19800101x", "password_date", {}),
    ("Qw#1234xyZ", "password_sequence", {}),
    ("Zz#qwerT9m", "password_sequence", {}),
    ("Mm#aaaa9Kq", "password_sequence", {}),
])
def test_each_rule(password, code, kw):
    assert refused(password, **kw) == code


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=8, max_size=20))
def test_lowercase_only_is_never_enough(password):
    assert refused(password) in ("password_classes",)


def test_pinyin_forms_of_a_name():
    forms = name_pinyin("欧阳修远")
    assert "ouyangxiuyuan" in forms
    assert all(len(f) >= 4 for f in forms)
    assert name_pinyin("Anna") == ("Anna",)  # a foreign name is refused as written


@pytest.mark.parametrize("username,ok", [
    ("abcd", True), ("a" * 30, True), ("abc", False), ("a" * 31, False), ("1abc", False),
    ("ab-cd", False), ("李华abc", False),
])
def test_user_names(username, ok):
    if ok:
        validate_username(username)
    else:
        with pytest.raises(Invalid):
            validate_username(username)

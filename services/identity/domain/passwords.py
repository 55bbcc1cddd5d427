"""Password and user-name rules of seed 000: each refusal names the rule it broke."""
from __future__ import annotations

import re
from datetime import date

from services.common.errors import Invalid

_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz")
COMMON_PASSWORDS = frozenset({
    "password1!", "p@ssw0rd", "p@ssword1", "passw0rd!", "qwerty123!", "admin@123", "admin123!",
    "abc@12345", "abcd@1234", "aa123456!", "woaini1314!", "iloveyou1!", "welcome1!", "1qaz@wsx",
    "1qaz!qaz", "qaz@wsx123", "zaq1@wsx", "p@ssw0rd1", "password@123", "root@123", "test@123",
})


def validate_username(username: str) -> None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,29}", username or ""):
        raise Invalid("用户名须为 4 至 30 位，以英文字母开头，只含字母、数字和下划线",
                      code="username_format", field="username")


def _has_run(text: str, length: int = 4) -> bool:
    """Ascending or descending runs (1234, dcba, qwer) and repeats (aaaa)."""
    low = text.lower()
    for i in range(len(low) - length + 1):
        chunk = low[i:i + length]
        if len(set(chunk)) == 1:
            return True
        for row in _KEYBOARD_ROWS:
            if chunk in row or chunk in row[::-1]:
                return True
    return False


def validate_password(password: str, *, username: str = "", name_pinyin: tuple[str, ...] = (),
                      phone: str = "", birth_date: date | None = None) -> None:
    def refuse(code: str, message: str):
        raise Invalid(message, code=code, field="password")

    if not 8 <= len(password or "") <= 20:
        refuse("password_length", "密码长度须为 8 至 20 位")
    classes = [r"[A-Z]", r"[a-z]", r"\d", r"[^A-Za-z0-9]"]
    if not all(re.search(c, password) for c in classes):
        refuse("password_classes", "密码须同时包含大写字母、小写字母、数字和特殊字符")
    low = password.lower()
    if low in COMMON_PASSWORDS:
        refuse("password_common", "该密码属于常见泄露密码，请换一个")
    if username and username.lower() in low:
        refuse("password_username", "密码不能包含用户名")
    for part in name_pinyin:
        if part.lower() in low:
            refuse("password_name", "密码不能由姓名拼音构成")
    if phone and (phone in password or (len(phone) >= 8 and phone[-8:] in password)):
        refuse("password_phone", "密码不能包含手机号码")
    if birth_date:
        for form in (birth_date.strftime("%Y%m%d"), birth_date.strftime("%y%m%d"),
                     birth_date.strftime("%m%d%Y")):
            if form in password:
                refuse("password_birth_date", "密码不能包含出生日期")
    if re.search(r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])", password):
        refuse("password_date", "密码不能包含日期（如 19800101）")
    if _has_run(password):
        refuse("password_sequence", "密码不能包含连续或重复的字符（如 1234、abcd、qwer、aaaa）")

"""Rules for security questions and the captcha threshold (plain Python)."""
from __future__ import annotations

import unicodedata

from services.common.errors import Invalid

SECURITY_QUESTIONS = (
    "您母亲的姓名是？", "您父亲的姓名是？", "您小学班主任的姓名是？", "您出生的城市是？",
    "您高中的校名是？", "您的第一份工作在哪家单位？",
)
# Failures (per login name in 15 minutes, or per IP) after which a sign-in needs a captcha.
CAPTCHA_AFTER_LOGIN_FAILURES = 3
CAPTCHA_AFTER_IP_FAILURES = 10


def normalise_answer(answer: str) -> str:
    """Answers compare without case, width or spaces: 'Chong Qing' == 'chongqing' == 'ｃｈｏｎｇｑｉｎｇ'."""
    text = unicodedata.normalize("NFKC", answer or "")
    return "".join(text.split()).lower()


def validate_question(question: str, answer: str) -> str:
    if question not in SECURITY_QUESTIONS:
        raise Invalid("请选择一个密保问题", code="security_question_unknown", field="question")
    norm = normalise_answer(answer)
    if not 2 <= len(norm) <= 50:
        raise Invalid("密保答案须为 2 至 50 个字符", code="security_answer_length", field="answer")
    return norm


def captcha_needed(login_failures: int, ip_failures: int) -> bool:
    return (login_failures >= CAPTCHA_AFTER_LOGIN_FAILURES
            or ip_failures >= CAPTCHA_AFTER_IP_FAILURES)

"""One-time codes sent by SMS or e-mail: how often, how long they live, how many tries.

Seed 002's real failures were codes that never arrived and candidates who kept pressing
"send": so one code per 60 s, at most 10 a day per phone or address, 5 minutes of life and
5 attempts, and every refusal says when to try again.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from services.common.errors import DomainError, Invalid

RESEND_AFTER = timedelta(seconds=60)
DAILY_LIMIT = 10
CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
PURPOSES = {
    "bind_phone": "绑定手机", "bind_email": "绑定邮箱", "forgot_username": "找回用户名",
    "reset_password": "重置密码", "change_phone_old": "更换手机（原号码）",
    "change_phone_new": "更换手机（新号码）",
}


class RateLimited(DomainError):
    """Too many requests; ``retry_after`` seconds tell the client when to try again."""
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code, retry_after=max(1, int(retry_after)))
        self.retry_after = max(1, int(retry_after))


def new_code() -> str:
    return f"{secrets.randbelow(10 ** 6):06d}"


def check_can_send(sent_at: list[datetime], now: datetime) -> None:
    """``sent_at``: times codes went to this target in the last 24 hours."""
    if sent_at:
        last = max(sent_at)
        if now - last < RESEND_AFTER:
            wait = int((last + RESEND_AFTER - now).total_seconds()) + 1
            raise RateLimited(f"验证码已发送，请 {wait} 秒后再重新获取", code="code_too_soon",
                              retry_after=wait)
    day = [t for t in sent_at if now - t < timedelta(days=1)]
    if len(day) >= DAILY_LIMIT:
        wait = int((min(day) + timedelta(days=1) - now).total_seconds()) + 1
        raise RateLimited("今日获取验证码次数已达上限（10 次），请明天再试",
                          code="code_daily_limit", retry_after=wait)


def check_attempt(*, expires_at: datetime, attempts: int, used: bool, now: datetime) -> None:
    """Raise when the stored code can no longer be tried (before comparing it)."""
    if used:
        raise Invalid("验证码已使用，请重新获取", code="code_used", field="code")
    if expires_at <= now:
        raise Invalid("验证码已过期（有效期 5 分钟），请重新获取", code="code_expired", field="code")
    if attempts >= MAX_ATTEMPTS:
        raise Invalid("验证码错误次数过多，请重新获取", code="code_attempts_exceeded", field="code")


def message_for(purpose: str, code: str) -> str:
    return (f"【报考】您正在{PURPOSES.get(purpose, '验证身份')}，验证码 {code}，5 分钟内有效。"
            "工作人员不会向您索取验证码，请勿告诉他人。")

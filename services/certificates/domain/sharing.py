"""Verification links a holder gives an employer, protected by a PIN of the holder's choosing.

The PIN is stored only as an Argon2 hash (by the adapter); after ``MAX_ATTEMPTS`` wrong PINs the
link locks for good and the holder makes a new one. Links expire; the holder can revoke them.
"""
from __future__ import annotations

from datetime import datetime

from services.common.errors import DomainError, Invalid

MAX_ATTEMPTS = 5
DEFAULT_DAYS = 30
MAX_DAYS = 180
_WEAK = {"123456", "654321", "123123", "112233", "121212", "abcdef", "password"}


def check_pin(pin: str) -> str:
    pin = (pin or "").strip()
    if not 6 <= len(pin) <= 12 or not pin.isascii() or not pin.isalnum():
        raise Invalid("查验码应为 6-12 位字母或数字", code="bad_pin")
    if pin.lower() in _WEAK or len(set(pin)) == 1:
        raise Invalid("查验码过于简单，请换一个", code="weak_pin")
    return pin


def usable(*, revoked_at, expires_at: datetime, locked_at, now: datetime) -> None:
    """Refuse a link that was revoked, has expired or is locked; the same answer for all three
    would hide from a guesser which is which, but the employer needs to know what to ask for."""
    if revoked_at is not None:
        raise DomainError("持证人已撤销此查验链接", code="link_revoked", status=410)
    if expires_at <= now:
        raise DomainError("此查验链接已过期", code="link_expired", status=410)
    if locked_at is not None:
        raise DomainError("查验码错误次数过多，链接已锁定，请联系持证人重新分享",
                          code="link_locked", status=423)

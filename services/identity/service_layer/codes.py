"""Sending and checking one-time codes (SMS or e-mail) within the rules of domain.codes."""
from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import timedelta

from sqlalchemy import insert, select, update

from services.common import clock
from services.common.errors import Invalid
from services.identity.adapters.orm import codes
from services.identity.domain import codes as rules


def _target_hash(cipher, channel: str, target: str) -> str:
    return cipher.lookup_hash(f"{channel}:{target.strip().lower()}")


def _code_hash(cipher, code_id: str, code: str) -> str:
    return hmac.new(cipher.hash_key, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def send(uow, cipher, gateway, *, channel: str, target: str, purpose: str,
         account_id: str | None = None, body: str | None = None) -> dict:
    """Check the per-target limits, store the code's hash, and hand the text to the gateway.

    ``body`` replaces the code message (an e-mail reset link obeys the same limits).
    """
    now = clock.now()
    th = _target_hash(cipher, channel, target)
    sent = uow.session.execute(select(codes.c.created_at).where(
        codes.c.target_hash == th, codes.c.created_at > now - timedelta(days=1))).scalars().all()
    rules.check_can_send(list(sent), now)
    code, code_id = rules.new_code(), str(uuid.uuid4())
    uow.session.execute(insert(codes).values(
        id=code_id, channel=channel, target_hash=th, purpose=purpose,
        code_hash=_code_hash(cipher, code_id, code), account_id=account_id, created_at=now,
        expires_at=now + rules.CODE_TTL, attempts=0))
    gateway.send(uow, channel, target.strip(), purpose, body or rules.message_for(purpose, code))
    return {"sent": True, "expires_in": int(rules.CODE_TTL.total_seconds()),
            "resend_after": int(rules.RESEND_AFTER.total_seconds())}


def verify(uow, cipher, *, channel: str, target: str, purpose: str, code: str) -> None:
    """Check the newest code for this target and purpose; a wrong try is counted and committed."""
    now = clock.now()
    row = uow.session.execute(select(codes).where(
        codes.c.target_hash == _target_hash(cipher, channel, target or ""),
        codes.c.purpose == purpose).order_by(codes.c.created_at.desc())).first()
    if row is None:
        raise Invalid("请先获取验证码", code="code_missing", field="code")
    rules.check_attempt(expires_at=row.expires_at, attempts=row.attempts,
                        used=row.used_at is not None, now=now)
    if not hmac.compare_digest(row.code_hash, _code_hash(cipher, row.id, (code or "").strip())):
        uow.session.execute(update(codes).where(codes.c.id == row.id)
                            .values(attempts=row.attempts + 1))
        uow.commit()  # the attempt counts even though the use case fails
        left = rules.MAX_ATTEMPTS - row.attempts - 1
        raise Invalid(f"验证码错误，还可尝试 {left} 次" if left else "验证码错误次数过多，请重新获取",
                      code="code_wrong", field="code")
    uow.session.execute(update(codes).where(codes.c.id == row.id).values(used_at=now))

"""``Idempotency-Key`` on sign-up: a retried request gets the first answer, never a 2nd account.

The request body (which holds a password) is kept only as a keyed hash.
"""
from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from services.common import clock
from services.common.errors import Conflict, Invalid
from services.identity.adapters.orm import idempotency_keys as t


def _hash(cipher, body: bytes) -> str:
    return hmac.new(cipher.hash_key, body, hashlib.sha256).hexdigest()


def replay(uow, cipher, key: str, body: bytes):
    row = uow.session.execute(select(t).where(t.c.key == key)).first()
    if row is None:
        return None
    if row.request_hash != _hash(cipher, body):
        raise Invalid("该 Idempotency-Key 已用于另一个请求", code="idempotency_key_reused")
    return row.response, row.status


def store(uow, cipher, key: str, body: bytes, status: int, response: dict) -> None:
    uow.session.execute(insert(t).values(key=key, request_hash=_hash(cipher, body), status=status,
                                         response=response, created_at=clock.now()))


def commit(uow) -> None:
    try:
        uow.commit()
    except IntegrityError:
        uow.rollback()
        raise Conflict("请求正在处理或已完成，请勿重复提交", code="duplicate_request") from None

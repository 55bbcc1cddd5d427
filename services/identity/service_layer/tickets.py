"""Single-use, short-lived proofs (reset links, second-factor steps); only their hash is kept."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import insert, select, update

from services.common import clock
from services.common.errors import Invalid
from services.identity.adapters.orm import tickets

TTL = {"totp": timedelta(minutes=5), "totp_enrol": timedelta(minutes=10),
       "reset_password": timedelta(minutes=15), "reset_link": timedelta(minutes=30)}


def _h(raw: str) -> str:
    return hashlib.sha256((raw or "").encode()).hexdigest()


def issue(uow, purpose: str, account_id: str, *, secret: str | None = None,
          data: dict | None = None) -> str:
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    uow.session.execute(insert(tickets).values(
        token_hash=_h(raw), purpose=purpose, account_id=account_id, secret=secret, data=data,
        created_at=now, expires_at=now + TTL[purpose]))
    return raw


def peek(uow, raw: str, purposes: tuple[str, ...]):
    row = uow.session.execute(select(tickets).where(tickets.c.token_hash == _h(raw))).first()
    if (row is None or row.purpose not in purposes or row.used_at is not None
            or row.expires_at <= clock.now()):
        raise Invalid("操作已过期或链接已使用，请重新开始", code="ticket_invalid", field="ticket")
    return row


def spend(uow, raw: str, purposes: tuple[str, ...]):
    row = peek(uow, raw, purposes)
    uow.session.execute(update(tickets).where(tickets.c.token_hash == row.token_hash)
                        .values(used_at=clock.now()))
    return row


def update_data(uow, row, data: dict) -> None:
    uow.session.execute(update(tickets).where(tickets.c.token_hash == row.token_hash)
                        .values(data=data))




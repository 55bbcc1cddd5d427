"""Verification links with a PIN: the holder makes and revokes them, an employer opens them."""
from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from services.certificates.adapters.orm import share_links
from services.certificates.adapters.stats import count_verification
from services.certificates.domain import sharing
from services.certificates.domain.model import Certificate
from services.certificates.service_layer import queries
from services.common import clock
from services.common.errors import DomainError, Invalid, NotFound

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)  # OWASP Argon2id minimum


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_url(base_url: str, token: str) -> str:
    """The gateway page an employer opens (it asks for the PIN)."""
    return f"{base_url}/shared/{token}"


def create(uow, cert: Certificate, pin: str, label: str | None, days: int | None,
           base_url: str) -> dict:
    pin = sharing.check_pin(pin)
    days = days or sharing.DEFAULT_DAYS
    if not 1 <= days <= sharing.MAX_DAYS:
        raise Invalid(f"有效期应为 1-{sharing.MAX_DAYS} 天", code="bad_days")
    if cert.status != "valid":
        raise DomainError("已吊销的证书不能分享", code="certificate_revoked", status=409)
    token = secrets.token_urlsafe(24)
    now = clock.now()
    row = dict(id=secrets.token_hex(8), token_hash=_token_hash(token), number=cert.number,
               candidate_id=cert.candidate_id, label=(label or "").strip()[:100] or None,
               pin_hash=_hasher.hash(pin), created_at=now, expires_at=now + timedelta(days=days),
               failed_attempts=0, views=0)
    uow.session.execute(share_links.insert().values(**row))
    return _view(row) | {"url": share_url(base_url, token)}


def _view(r) -> dict:
    r = dict(r)
    now = clock.now()
    state = ("revoked" if r.get("revoked_at") else "locked" if r.get("locked_at")
             else "expired" if r["expires_at"] <= now else "active")
    return {"id": r["id"], "number": r["number"], "label": r.get("label"),
            "created_at": r["created_at"], "expires_at": r["expires_at"], "state": state,
            "views": r.get("views", 0), "failed_attempts": r.get("failed_attempts", 0),
            "last_viewed_at": r.get("last_viewed_at")}


def listing(uow, cert: Certificate) -> list[dict]:
    t = share_links
    return [_view(r._mapping) for r in uow.session.execute(
        select(t).where(t.c.number == cert.number).order_by(t.c.created_at.desc()))]


def revoke(uow, link_id: str, candidate_id: str) -> None:
    t = share_links
    done = uow.session.execute(update(t).where(
        t.c.id == link_id, t.c.candidate_id == candidate_id, t.c.revoked_at.is_(None))
        .values(revoked_at=clock.now())).rowcount
    if not done:
        raise NotFound("没有这个分享链接", code="link_not_found")


def open_link(uow, keys, token: str, pin: str) -> dict:
    """An employer's view of a shared certificate, after the right PIN.

    Wrong PINs are counted in the same transaction the caller commits; the link locks after
    ``sharing.MAX_ATTEMPTS``. The caller must commit even when this raises ``wrong_pin``.
    """
    t = share_links
    row = uow.session.execute(select(t).where(t.c.token_hash == _token_hash(token or ""))
                              .with_for_update()).first()
    if row is None:
        raise NotFound("链接无效", code="link_not_found")
    now = clock.now()
    sharing.usable(revoked_at=row.revoked_at, expires_at=row.expires_at, locked_at=row.locked_at,
                   now=now)
    try:
        _hasher.verify(row.pin_hash, (pin or "").strip())
    except (VerificationError, InvalidHashError):
        failed = row.failed_attempts + 1
        locked = failed >= sharing.MAX_ATTEMPTS
        uow.session.execute(update(t).where(t.c.id == row.id).values(
            failed_attempts=failed, locked_at=now if locked else None))
        if locked:
            raise DomainError("查验码错误次数过多，链接已锁定，请联系持证人重新分享",
                              code="link_locked", status=423) from None
        raise DomainError(f"查验码错误，还可尝试 {sharing.MAX_ATTEMPTS - failed} 次",
                          code="wrong_pin", status=403,
                          remaining=sharing.MAX_ATTEMPTS - failed) from None
    uow.session.execute(update(t).where(t.c.id == row.id).values(
        views=row.views + 1, last_viewed_at=now))  # wrong PINs stay counted
    count_verification(uow.session, "share")
    cert = uow.session.get(Certificate, row.number)
    out = queries.answer(cert, keys)
    out["expires_at"] = row.expires_at
    out["candidate_id"] = cert.candidate_id  # for ``holder_photo``, asked after the commit
    return out


PHOTO_PLACEHOLDERS = {
    "none": "持证人暂无审核通过的照片",
    "unavailable": "照片暂时无法显示（身份服务暂不可用），请稍后刷新本页",
}


def holder_photo(photos, candidate_id: str) -> dict:
    """The holder's locked photo from identity (only ever after the right PIN), inline as a
    data URL so it needs no second authorised request; else a placeholder saying why."""
    photo = photos.fetch(candidate_id)
    if photo.status == "ok":
        return {"available": True, "status": "ok", "placeholder": None,
                "url": "data:image/jpeg;base64," + base64.b64encode(photo.jpeg).decode()}
    return {"available": False, "status": photo.status, "url": None,
            "placeholder": PHOTO_PLACEHOLDERS[photo.status]}

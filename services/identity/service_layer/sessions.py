"""Sessions are refresh-token families: listing them and signing out everywhere."""
from __future__ import annotations

from sqlalchemy import func, select, update

from services.common import clock
from services.identity.adapters.orm import refresh_tokens as rt


def list_for(uow, account_id: str) -> list[dict]:
    now = clock.now()
    rows = uow.session.execute(
        select(rt.c.family, func.min(rt.c.issued_at).label("started_at"),
               func.max(rt.c.issued_at).label("last_active_at"),
               func.max(rt.c.expires_at).label("expires_at"), func.min(rt.c.ip).label("ip"),
               func.min(rt.c.user_agent).label("user_agent"),
               func.count(rt.c.revoked_at).label("revoked"))
        .where(rt.c.account_id == account_id).group_by(rt.c.family)
        .order_by(func.max(rt.c.issued_at).desc())).all()
    return [{"id": r.family, "started_at": r.started_at, "last_active_at": r.last_active_at,
             "expires_at": r.expires_at, "ip": r.ip, "user_agent": r.user_agent}
            for r in rows if not r.revoked and r.expires_at > now]


def revoke_all(uow, account_id: str) -> int:
    """Sign out everywhere: every refresh family is revoked (access tokens end within 15 min)."""
    result = uow.session.execute(update(rt).where(rt.c.account_id == account_id,
                                                  rt.c.revoked_at.is_(None))
                                 .values(revoked_at=clock.now()))
    return result.rowcount or 0


def revoke(uow, account_id: str, family: str) -> None:
    uow.session.execute(update(rt).where(rt.c.account_id == account_id, rt.c.family == family,
                                         rt.c.revoked_at.is_(None)).values(revoked_at=clock.now()))

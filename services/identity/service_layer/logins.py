"""Login history (time, IP, user agent, result) and the failure counts behind the captcha."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from services.common import clock
from services.identity.adapters.orm import login_events
from services.identity.domain import security

WINDOW = timedelta(minutes=15)
FAILURES = ("bad_credentials", "locked", "captcha_wrong", "totp_wrong")
RESULTS = {"success": "登录成功", "bad_credentials": "密码错误", "locked": "账号已锁定",
           "captcha_required": "需要图形验证码", "captcha_wrong": "图形验证码错误",
           "totp_required": "等待动态码", "totp_wrong": "动态码错误",
           "totp_enrolment_required": "需要绑定身份验证器",
           "password_reset_required": "需重置密码", "password_reset": "已重置密码"}


def login_key(cipher, login: str) -> str:
    return cipher.lookup_hash("login:" + (login or "").strip().lower())


def record(uow, cipher, *, login: str, account_id: str | None, ip: str, user_agent: str,
           result: str) -> None:
    uow.session.execute(insert(login_events).values(
        account_id=account_id, login_hash=login_key(cipher, login), at=clock.now(),
        ip=(ip or "")[:64], user_agent=(user_agent or "")[:300], result=result))


def captcha_needed(uow, cipher, login: str, ip: str) -> bool:
    """Failures in the last 15 minutes: for this login since its last success or password
    reset, and from this IP address."""
    since = clock.now() - WINDOW
    key = login_key(cipher, login)
    last_ok = uow.session.execute(select(func.max(login_events.c.at)).where(
        login_events.c.login_hash == key,
        login_events.c.result.in_(("success", "password_reset")))).scalar()
    failed = login_events.c.result.in_(FAILURES) & (login_events.c.at > since)
    by_login = uow.session.execute(select(func.count()).where(
        failed, login_events.c.login_hash == key,
        login_events.c.at > last_ok if last_ok else True)).scalar()
    by_ip = uow.session.execute(select(func.count()).where(
        failed, login_events.c.ip == (ip or "")[:64])).scalar() if ip else 0
    return security.captcha_needed(by_login, by_ip)


def history(uow, account_id: str, limit: int = 50) -> list[dict]:
    rows = uow.session.execute(select(login_events).where(login_events.c.account_id == account_id)
                               .order_by(login_events.c.at.desc(), login_events.c.id.desc())
                               .limit(limit)).all()
    return [{"at": r.at, "ip": r.ip, "user_agent": r.user_agent, "result": r.result,
             "result_text": RESULTS.get(r.result, r.result)} for r in rows]

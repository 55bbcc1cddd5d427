"""Getting back in: forgotten user name (document + phone code) and password reset by security
question, SMS code or e-mail link (seed 002). Every proof is single-use and short-lived."""
from __future__ import annotations

from argon2.exceptions import InvalidHashError, VerificationError

from services.common import clock
from services.common.errors import Invalid, NotFound, Unauthorized
from services.identity.domain import documents, security
from services.identity.domain.model import Account
from services.identity.service_layer import codes, logins, tickets
from services.identity.service_layer.accounts import find_for_login, hasher
from services.identity.service_layer.profile import set_password


def _by_document_and_phone(uow, cipher, document_number: str, phone: str) -> Account:
    for doc_type in documents.DOCUMENT_TYPES:
        h = cipher.lookup_hash(f"{doc_type}:{documents.normalise(doc_type, document_number)}")
        account = uow.session.query(Account).filter_by(document_hash=h).first()
        if account is not None:
            break
    else:
        account = None
    if account is None or account.phone_hash != cipher.lookup_hash((phone or "").strip()):
        raise NotFound("证件号码与绑定的手机号不匹配，请核对；手机号已停用请联系客服",
                       code="recovery_mismatch", field="phone")
    return account


def send_username_code(uow, cipher, gateway, document_number: str, phone: str) -> dict:
    account = _by_document_and_phone(uow, cipher, document_number, phone)
    out = codes.send(uow, cipher, gateway, channel="sms", target=phone.strip(),
                     purpose="forgot_username", account_id=account.id)
    uow.commit()
    return out


def recover_username(uow, cipher, document_number: str, phone: str, code: str) -> dict:
    account = _by_document_and_phone(uow, cipher, document_number, phone)
    codes.verify(uow, cipher, channel="sms", target=phone.strip(), purpose="forgot_username",
                 code=code)
    uow.commit()
    return {"username": account.username}


def _account_for(uow, cipher, login: str) -> Account:
    account = find_for_login(uow, cipher, login)
    if account is None:
        raise NotFound("没有找到该账号，请核对用户名、证件号码或手机号", code="account_not_found",
                       field="login")
    return account


def options(uow, cipher, login: str) -> dict:
    """Which ways this account can reset its password (the page offers only those)."""
    a = _account_for(uow, cipher, login)
    return {"security_question": a.security_question,
            "sms": bool(a.phone and a.phone_verified_at),
            "phone_masked": documents.mask_phone(a.phone) if a.phone_verified_at else None,
            "email": bool(a.email and a.email_verified_at)}


def send_reset(uow, cipher, gateway, base_url: str, login: str, channel: str) -> dict:
    account = _account_for(uow, cipher, login)
    if channel == "sms":
        if not account.phone_verified_at:
            raise Invalid("该账号未绑定手机，请用密保问题或邮箱找回", code="phone_not_bound",
                          field="channel")
        out = codes.send(uow, cipher, gateway, channel="sms", target=account.phone,
                         purpose="reset_password", account_id=account.id)
    else:
        if not account.email_verified_at:
            raise Invalid("该账号未绑定邮箱，请用密保问题或手机找回", code="email_not_bound",
                          field="channel")
        raw = tickets.issue(uow, "reset_link", account.id)
        codes.send(uow, cipher, gateway, channel="email", target=account.email,
                   purpose="reset_password", account_id=account.id, body=(
                       "您正在重置报考平台密码。请在 30 分钟内打开以下链接设置新密码（仅可使用一次）：\n"
                       f"{base_url.rstrip('/')}/account/reset?token={raw}\n如非本人操作，请忽略本邮件。"))
        out = {"sent": True, "expires_in": 1800, "resend_after": 60}
    uow.commit()
    return out


def verify_for_reset(uow, cipher, login: str, *, code: str | None = None,
                     answer: str | None = None) -> dict:
    """An SMS code or the security answer buys a reset ticket; wrong answers count as failures."""
    account = uow.track(_account_for(uow, cipher, login))
    now = clock.now()
    if answer is not None:
        # A security answer can be guessed like a password, so a lockout stops it too; a code
        # sent to the bound phone proves possession and works while locked (reset unlocks).
        if account.locked_until and account.locked_until > now:
            raise Unauthorized("账号已锁定，请用短信验证码或邮箱找回密码，或 15 分钟后再试",
                               code="account_locked", status=423, field="answer")
        if not account.security_answer_hash:
            raise Invalid("该账号未设置密保问题", code="no_security_question", field="answer")
        try:
            hasher.verify(account.security_answer_hash, security.normalise_answer(answer))
        except (VerificationError, InvalidHashError):
            account.sign_in_failed(now)
            uow.commit()
            account.check_can_sign_in(now)
            raise Invalid("密保答案不正确", code="security_answer_wrong", field="answer") from None
    else:
        codes.verify(uow, cipher, channel="sms", target=account.phone or "",
                     purpose="reset_password", code=code or "")
    raw = tickets.issue(uow, "reset_password", account.id)
    uow.commit()
    return {"reset_token": raw, "expires_in": 900}


def reset_password(uow, cipher, token: str, new_password: str, ip: str = "",
                   user_agent: str = "") -> dict:
    row = tickets.peek(uow, token, ("reset_password", "reset_link"))
    account = uow.track(uow.session.get(Account, row.account_id))
    set_password(uow, account, new_password)
    tickets.spend(uow, token, (row.purpose,))
    logins.record(uow, cipher, login=account.username, account_id=account.id, ip=ip,
                  user_agent=user_agent, result="password_reset")
    uow.commit()
    return {"username": account.username}

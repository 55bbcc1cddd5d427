"""What a signed-in account changes about itself: phone, e-mail, password, security question."""
from __future__ import annotations

from argon2.exceptions import InvalidHashError, VerificationError

from services.common import clock
from services.common.errors import Conflict, Invalid, Unauthorized
from services.identity.domain import documents, passwords, security
from services.identity.domain.model import Account
from services.identity.service_layer import codes, sessions
from services.identity.service_layer.accounts import _issue, hasher, name_pinyin


def _account(uow, account_id: str) -> Account:
    return uow.track(uow.session.get(Account, account_id))


def _phone_taken(uow, cipher, phone: str, account_id: str) -> None:
    other = uow.session.query(Account).filter_by(phone_hash=cipher.lookup_hash(phone)).first()
    if other is not None and other.id != account_id and other.phone_verified_at is not None:
        raise Conflict("该手机号已绑定其他账号", code="phone_taken", field="phone")


def send_phone_codes(uow, cipher, gateway, account_id: str, phone: str) -> dict:
    """Binding: a code to the new phone; changing a verified phone: to the old one too."""
    account = _account(uow, account_id)
    _phone_taken(uow, cipher, phone, account_id)
    old_verified = account.phone_verified_at is not None and account.phone != phone
    out = codes.send(uow, cipher, gateway, channel="sms", target=phone, purpose="bind_phone",
                     account_id=account_id)
    if old_verified:
        codes.send(uow, cipher, gateway, channel="sms", target=account.phone,
                   purpose="change_phone_old", account_id=account_id)
    uow.commit()
    return {**out, "old_phone_code_sent": old_verified,
            "old_phone_masked": documents.mask_phone(account.phone) if old_verified else None}


def bind_phone(uow, cipher, account_id: str, phone: str, code: str,
               old_code: str | None = None) -> Account:
    account = _account(uow, account_id)
    _phone_taken(uow, cipher, phone, account_id)
    if account.phone_verified_at is not None and account.phone != phone:
        if not old_code:
            raise Invalid("请输入原手机号收到的验证码", code="old_code_required", field="old_code")
        codes.verify(uow, cipher, channel="sms", target=account.phone, purpose="change_phone_old",
                     code=old_code)
    codes.verify(uow, cipher, channel="sms", target=phone, purpose="bind_phone", code=code)
    now = clock.now()
    changed = account.phone != phone
    account.phone, account.phone_hash = phone, cipher.lookup_hash(phone)
    account.phone_verified_at = now
    if changed:
        account.profile_changed(["phone"], now, phone_masked=documents.mask_phone(phone))
    uow.commit()
    return account


def send_email_code(uow, cipher, gateway, account_id: str, email: str) -> dict:
    _account(uow, account_id)
    email = email.strip().lower()
    out = codes.send(uow, cipher, gateway, channel="email", target=email, purpose="bind_email",
                     account_id=account_id)
    uow.commit()
    return out


def bind_email(uow, cipher, account_id: str, email: str, code: str) -> Account:
    account = _account(uow, account_id)
    codes.verify(uow, cipher, channel="email", target=email, purpose="bind_email", code=code)
    now = clock.now()
    email = email.strip().lower()
    changed = account.email != email
    account.email, account.email_hash = email, cipher.lookup_hash("email:" + email)
    account.email_verified_at = now
    if changed:
        account.profile_changed(["email"], now)
    uow.commit()
    return account


def _check_password(account: Account, password: str) -> None:
    try:
        hasher.verify(account.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        raise Unauthorized("当前密码错误", code="bad_password", field="old_password") from None


def set_password(uow, account: Account, new_password: str) -> None:
    """Shared by change and reset: the sign-up rules apply, every session is signed out."""
    passwords.validate_password(new_password, username=account.username,
                                name_pinyin=name_pinyin(account.name), phone=account.phone or "",
                                birth_date=account.birth_date)
    try:
        hasher.verify(account.password_hash, new_password)
        raise Invalid("新密码不能与当前密码相同", code="password_unchanged", field="new_password")
    except (VerificationError, InvalidHashError):
        pass
    account.password_hash = hasher.hash(new_password)
    account.must_change_password = False
    account.unlock()
    sessions.revoke_all(uow, account.id)


def change_password(uow, keys, account_id: str, old_password: str, new_password: str,
                    ip: str = "", user_agent: str = "") -> dict:
    """Other sessions end; this one continues with a fresh token pair."""
    import uuid
    account = _account(uow, account_id)
    _check_password(account, old_password)
    set_password(uow, account, new_password)
    tokens = _issue(uow, keys, account, family=str(uuid.uuid4()), ip=ip, user_agent=user_agent)
    uow.commit()
    return tokens


def set_security_question(uow, account_id: str, password: str, question: str,
                          answer: str) -> None:
    account = _account(uow, account_id)
    _check_password(account, password)
    norm = security.validate_question(question, answer)
    account.security_question = question
    account.security_answer_hash = hasher.hash(norm)
    uow.commit()


def change_education(uow, account_id: str, education: dict, degree: dict | None) -> Account:
    """A corrected education (and degree) claim: verification checks it again."""
    from services.identity.domain.model import Education, degree_claim
    account = _account(uow, account_id)
    edu = Education(**education)
    changed, fields = [], {}
    if edu.as_dict() != account.education:
        account.education = edu.as_dict()
        changed.append("education")
        fields["education"] = account.education
    if degree is not None:
        claim = degree_claim(degree, edu)
        if claim != account.degree:
            account.degree = claim
            changed.append("degree")
            fields["degree"] = claim
    if changed:
        account.profile_changed(changed, clock.now(), name=account.name, **fields)
    uow.commit()
    return account


def correct_name(uow, account_id: str, name: str) -> Account:
    """The name, corrected after the public-security check said it does not match the document
    (``Account.name_correctable``); verification checks the new one."""
    account = _account(uow, account_id)
    account.correct_name(name, clock.now())
    uow.audit(account_id, "account.name_corrected", account_id)
    uow.commit()
    return account


def on_identity_verified(event, uow) -> None:
    """verification.identity.verified: remember the outcome (the newest check wins)."""
    d = event.data
    account = uow.session.get(Account, d["candidate_id"])
    if account is None:
        return
    account.identity_checked(d["outcome"], d["checked_at"])  # the inbox loaded it: a datetime

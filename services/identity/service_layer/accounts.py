"""Use cases on accounts: sign up, sign in, refresh. Each runs in one unit of work."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import date, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pypinyin import lazy_pinyin
from sqlalchemy import insert, or_, select, update

from services.common import clock
from services.common.errors import Conflict, Invalid, Unauthorized
from services.identity.adapters import captcha
from services.identity.adapters import totp as totp_adapter
from services.identity.adapters.orm import accounts, refresh_tokens
from services.identity.domain import documents, passwords
from services.identity.domain.model import AGREEMENT_VERSION, Account, Education, degree_claim
from services.identity.service_layer import logins, tickets

# OWASP's minimum for Argon2id: m=19 MiB, t=2, p=1.
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
REFRESH_TTL = timedelta(days=7)
# A hash to verify against when the account does not exist, so timing does not reveal it.
_DUMMY_HASH = hasher.hash("Dummy#Password1")


def name_pinyin(name: str) -> tuple[str, ...]:
    """Forms of a name a password may not contain: full pinyin, given name, surname + initials.

    Single syllables (kao, li, wei) are too common to refuse on their own.
    """
    syllables = [s for s in lazy_pinyin(name) if s.isascii() and s.isalpha()]
    if not syllables:
        return ()
    full = "".join(syllables)
    given = "".join(syllables[1:])
    initials = "".join(s[0] for s in syllables)
    mixed = syllables[0] + "".join(s[0] for s in syllables[1:])
    return tuple(x for x in {full, given, initials, mixed} if len(x) >= 4)


def sign_up(uow, cipher, *, username: str, password: str, name: str, document_type: str,
            document_number: str, phone: str | None, education: dict,
            agreement_version: str, roles: list[str] | None = None,
            scope: dict | None = None, document_valid_until: date | None = None,
            document_long_term: bool = False, degree: dict | None = None,
            must_change_password: bool = False, commit: bool = True) -> Account:
    now = clock.now()
    if roles is None and agreement_version != AGREEMENT_VERSION:
        raise Invalid("请阅读并同意最新版注册协议", code="agreement_not_accepted",
                      field="agreement_version")
    passwords.validate_username(username)
    number = documents.validate(document_type, document_number, now.date())
    if document_valid_until is not None or document_long_term:
        documents.check_validity(document_valid_until, document_long_term, now.date())
    birth = documents.resident_id_birth_date(number) if document_type == "resident_id" else None
    passwords.validate_password(password, username=username, name_pinyin=name_pinyin(name),
                                phone=phone or "", birth_date=birth)
    edu = Education(**education) if education else None
    if roles is None and edu is None:
        raise Invalid("请填写学历信息；没有学历请选择“无”", code="education_missing", field="education")
    if degree is not None:
        degree = degree_claim(degree, edu)
    doc_hash = cipher.lookup_hash(f"{document_type}:{number}")
    clash = uow.session.execute(select(accounts.c.username_lower, accounts.c.document_hash).where(
        or_(accounts.c.username_lower == username.lower(), accounts.c.document_hash == doc_hash)
    )).first()
    if clash is not None:
        if clash.document_hash == doc_hash:
            raise Conflict("该证件号码已注册账号，请直接登录或找回用户名", code="document_taken",
                           field="document_number")
        raise Conflict("该用户名已被使用，请换一个", code="username_taken", field="username")
    account = Account(username=username, password_hash=hasher.hash(password), name=name.strip(),
                      document_type=document_type, document_number=number, document_hash=doc_hash,
                      phone=phone, phone_hash=cipher.lookup_hash(phone) if phone else None,
                      birth_date=birth, education=edu, roles=roles or ["candidate"], now=now,
                      agreement_version=agreement_version if roles is None else None, scope=scope,
                      document_valid_until=document_valid_until, degree=degree)
    account.must_change_password = must_change_password
    uow.add(account)
    if account.is_candidate:
        account.registered(documents.mask(number))
    if commit:
        uow.commit()
    return account


def find_for_login(uow, cipher, login: str) -> Account | None:
    """Sign in with user name, document number or phone."""
    login = (login or "").strip()
    session = uow.session
    account = session.query(Account).filter_by(_username_lower=login.lower()).first()
    if account is None:
        for doc_type in documents.DOCUMENT_TYPES:
            h = cipher.lookup_hash(f"{doc_type}:{documents.normalise(doc_type, login)}")
            account = session.query(Account).filter_by(document_hash=h).first()
            if account:
                break
    if account is None and login.isdigit():
        # An unverified phone may be typed by several people; the verified owner comes first.
        account = (session.query(Account).filter_by(phone_hash=cipher.lookup_hash(login))
                   .order_by(Account.phone_verified_at.is_(None)).first())
    return account


def sign_in(uow, cipher, keys, *, login: str, password: str, totp: str | None = None,
            captcha_id: str | None = None, captcha_answer: str | None = None, ip: str = "",
            user_agent: str = "", totp_replay_check: bool = True) -> dict:
    """Password, then (after failures) a captcha, then for staff the TOTP second factor.

    Every outcome is written to the login history before the answer goes out.
    """
    now = clock.now()

    def fail(result: str, error, account: Account | None = None):
        logins.record(uow, cipher, login=login, account_id=account.id if account else None,
                      ip=ip, user_agent=user_agent, result=result)
        uow.commit()
        raise error

    if logins.captcha_needed(uow, cipher, login, ip):
        if not captcha_id:
            fail("captcha_required", Unauthorized("请输入图形验证码", code="captcha_required",
                                                  field="captcha"))
        try:
            captcha.check(uow, captcha_id, captcha_answer)
        except Invalid as exc:
            fail("captcha_wrong", exc)
    account = find_for_login(uow, cipher, login)
    if account is None:
        try:
            hasher.verify(_DUMMY_HASH, password or "x")
        except VerificationError:
            pass
        fail("bad_credentials", Unauthorized("用户名或密码错误", code="bad_credentials"))
    uow.track(account)
    try:
        account.check_can_sign_in(now)
    except Unauthorized as exc:
        fail("locked", exc, account)
    try:
        hasher.verify(account.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        account.sign_in_failed(now)
        if account.locked_until:
            try:
                account.check_can_sign_in(now)
            except Unauthorized as exc:
                fail("bad_credentials", exc, account)
        fail("bad_credentials", Unauthorized("用户名或密码错误", code="bad_credentials"), account)
    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
    if account.must_change_password:
        ticket = tickets.issue(uow, "reset_password", account.id)
        fail("password_reset_required", Unauthorized(
            "管理员已要求您重置密码，请设置新密码后再登录", code="password_reset_required",
            ticket=ticket), account)
    if account.is_staff:
        if account.totp_secret is None:
            ticket = tickets.issue(uow, "totp_enrol", account.id, secret=totp_adapter.new_secret())
            fail("totp_enrolment_required", Unauthorized(
                "工作人员账号须先绑定身份验证器（双因素认证）", code="totp_enrolment_required",
                ticket=ticket), account)
        if not totp:
            ticket = tickets.issue(uow, "totp", account.id)
            fail("totp_required", Unauthorized("请输入身份验证器中的 6 位动态码",
                                               code="totp_required", ticket=ticket), account)
        step = totp_adapter.verify(account.totp_secret, totp,
                                   account.totp_last_step if totp_replay_check else None)
        if step is None:
            account.sign_in_failed(now)
            fail("totp_wrong", Unauthorized("动态码错误或已使用，请等待下一个动态码",
                                            code="totp_wrong", field="totp"), account)
        account.totp_last_step = step
    return _succeed(uow, cipher, keys, account, login, ip, user_agent)


def _succeed(uow, cipher, keys, account: Account, login: str, ip: str, user_agent: str) -> dict:
    account.signed_in()
    logins.record(uow, cipher, login=login, account_id=account.id, ip=ip,
                  user_agent=user_agent, result="success")
    tokens = _issue(uow, keys, account, family=str(uuid.uuid4()), ip=ip, user_agent=user_agent)
    uow.commit()
    return tokens


def second_factor(uow, cipher, keys, *, ticket: str, code: str, ip: str = "",
                  user_agent: str = "", totp_replay_check: bool = True) -> dict:
    """Finish a staff sign-in (or a first enrolment) with the code from the authenticator."""
    now = clock.now()
    row = tickets.peek(uow, ticket, ("totp", "totp_enrol"))
    account = uow.track(uow.session.get(Account, row.account_id))
    account.check_can_sign_in(now)
    enrolling = row.purpose == "totp_enrol"
    secret = row.secret if enrolling else account.totp_secret
    last = account.totp_last_step if totp_replay_check and not enrolling else None
    step = totp_adapter.verify(secret, code, last)
    if step is None:
        account.sign_in_failed(now)
        logins.record(uow, cipher, login=account.username, account_id=account.id, ip=ip,
                      user_agent=user_agent, result="totp_wrong")
        uow.commit()
        account.check_can_sign_in(now)
        raise Unauthorized("动态码错误或已使用，请等待下一个动态码", code="totp_wrong",
                           field="code")
    tickets.spend(uow, ticket, (row.purpose,))
    account.totp_last_step = step
    if enrolling:
        account.totp_secret, account.totp_enrolled_at = secret, now
    return _succeed(uow, cipher, keys, account, account.username, ip, user_agent)


def totp_enrolment(uow, *, ticket: str) -> dict:
    """The secret and its QR code, shown once per enrolment ticket."""
    row = tickets.peek(uow, ticket, ("totp_enrol",))
    if (row.data or {}).get("shown"):
        raise Conflict("二维码只显示一次；如未保存，请重新登录以获取新的二维码",
                       code="totp_enrolment_shown")
    tickets.update_data(uow, row, {"shown": True})
    account = uow.session.get(Account, row.account_id)
    uri = totp_adapter.provisioning_uri(row.secret, account.username)
    uow.commit()
    return {"secret": row.secret, "otpauth_uri": uri, "qr": totp_adapter.qr_data_url(uri)}


def _issue(uow, keys, account: Account, family: str, ip: str | None = None,
           user_agent: str | None = None) -> dict:
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    uow.session.execute(insert(refresh_tokens).values(
        token_hash=hashlib.sha256(raw.encode()).hexdigest(), family=family, account_id=account.id,
        issued_at=now, expires_at=now + REFRESH_TTL, ip=(ip or "")[:64] or None,
        user_agent=(user_agent or "")[:300] or None))
    access = keys.issue_access(sub=account.id, username=account.username, name=account.name,
                               roles=account.roles, scope=account.scope)
    return {"access_token": access, "refresh_token": raw, "token_type": "Bearer",
            "expires_in": 900, "roles": account.roles, "name": account.name}


def refresh(uow, keys, *, refresh_token: str) -> dict:
    """Rotate a refresh token; reusing an old one revokes its whole family (theft detection)."""
    now = clock.now()
    h = hashlib.sha256((refresh_token or "").encode()).hexdigest()
    row = uow.session.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == h)).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("登录已过期，请重新登录", code="refresh_invalid")
    if row.used_at is not None:
        uow.session.execute(update(refresh_tokens).where(refresh_tokens.c.family == row.family)
                            .values(revoked_at=now))
        uow.commit()
        raise Unauthorized("登录凭证已被使用过，为安全起见请重新登录", code="refresh_reused")
    uow.session.execute(update(refresh_tokens).where(refresh_tokens.c.token_hash == h)
                        .values(used_at=now))
    account = uow.session.get(Account, row.account_id)
    tokens = _issue(uow, keys, account, family=row.family, ip=row.ip, user_agent=row.user_agent)
    uow.commit()
    return tokens


def birth_date_of(account: Account) -> date | None:
    return account.birth_date

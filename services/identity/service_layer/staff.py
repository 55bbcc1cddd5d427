"""Staff accounts made and given roles by a platform admin; unlock and forced password reset."""
from __future__ import annotations

import secrets

from services.common import clock
from services.common.auth import STAFF_ROLES
from services.common.errors import Invalid, NotFound
from services.identity.domain.model import Account
from services.identity.service_layer import accounts, sessions

ASSIGNABLE = ("reviewer", "finance", "certificate_officer", "exam_admin", "auditor",
              "platform_admin", "title_unit", "title_admin", "title_committee")
# Which scope keys each role reads (registration and verification check them again).
SCOPE_KEYS = {"reviewer": ("province", "review_point"), "title_unit": ("unit_id",),
              "title_committee": ("committee",)}


def _clean_roles(roles: list[str], scope: dict | None) -> tuple[list[str], dict]:
    roles = [r for r in dict.fromkeys(roles) if r]
    if not roles or any(r not in STAFF_ROLES for r in roles):
        raise Invalid("请选择至少一个工作人员角色", code="roles_invalid", field="roles")
    keys = {k for r in roles for k in SCOPE_KEYS.get(r, ())}
    scope = {k: (v or "").strip() or None for k, v in (scope or {}).items() if k in keys}
    scope = {k: v for k, v in scope.items() if v}
    if "reviewer" in roles and not scope.get("province"):
        raise Invalid("审核人员须指定负责的省份（及审核点）", code="reviewer_scope_missing",
                      field="province")
    if "title_unit" in roles and not scope.get("unit_id"):
        raise Invalid("受理单位经办人须指定所属受理单位", code="unit_scope_missing",
                      field="unit_id")
    return roles, scope


def temporary_password() -> str:
    """Meets the password rules; the staff member must change it at first sign-in."""
    while True:
        pw = "Tmp#" + secrets.token_urlsafe(9).replace("-", "x").replace("_", "y") + "7a"
        try:
            from services.identity.domain.passwords import validate_password
            validate_password(pw[:20])
            return pw[:20]
        except Invalid:
            continue


def create(uow, cipher, *, actor: str, username: str, name: str, document_type: str,
           document_number: str, roles: list[str], scope: dict | None) -> tuple[Account, str]:
    roles, scope = _clean_roles(roles, scope)
    password = temporary_password()
    account = accounts.sign_up(uow, cipher, username=username, password=password, name=name,
                               document_type=document_type, document_number=document_number,
                               phone=None, education={}, agreement_version="", roles=roles,
                               scope=scope, must_change_password=True, commit=False)
    uow.audit(actor, "staff.create", account.id, username=username, roles=roles, scope=scope)
    uow.commit()
    return account, password


def _get(uow, account_id: str) -> Account:
    account = uow.session.get(Account, account_id)
    if account is None:
        raise NotFound("没有这个账号", code="account_not_found")
    return uow.track(account)


def set_roles(uow, *, actor: str, account_id: str, roles: list[str], scope: dict | None) -> None:
    account = _get(uow, account_id)
    if account.is_candidate:
        raise Invalid("考生账号不能授予工作人员角色", code="candidate_not_staff", field="roles")
    roles, scope = _clean_roles(roles, scope)
    account.roles, account.scope = roles, scope
    sessions.revoke_all(uow, account.id)  # new roles take effect at the next sign-in
    uow.audit(actor, "staff.roles", account.id, roles=roles, scope=scope)
    uow.commit()


def unlock(uow, *, actor: str, account_id: str) -> None:
    _get(uow, account_id).unlock()
    uow.audit(actor, "account.unlock", account_id)
    uow.commit()


def force_password_reset(uow, *, actor: str, account_id: str) -> None:
    account = _get(uow, account_id)
    account.must_change_password = True
    sessions.revoke_all(uow, account.id)
    uow.audit(actor, "account.force_password_reset", account_id, at=clock.now().isoformat())
    uow.commit()


def reset_totp(uow, *, actor: str, account_id: str) -> None:
    """A staff member who lost the phone enrols again at the next sign-in."""
    account = _get(uow, account_id)
    account.totp_secret = account.totp_enrolled_at = account.totp_last_step = None
    uow.audit(actor, "staff.reset_totp", account_id)
    uow.commit()

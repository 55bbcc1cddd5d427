"""Access-token checks every service does locally, with identity's published key set.

Services never call identity per request: the JWKS is fetched once, cached, and fetched
again only when a token names a key id we have not seen (after a rotation).
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt
import requests

from services.common.errors import Unauthorized

ISSUER = "baokao-identity"
AUDIENCE = "baokao"

ROLES = {
    "candidate": "考生",
    "reviewer": "审核人员",
    "finance": "财务人员",
    "certificate_officer": "证书管理人员",
    "exam_admin": "考试管理员",
    "auditor": "审计人员",
    "platform_admin": "平台运维管理员",
    "title_unit": "职称受理单位经办人",  # scope {"unit_id": accepting unit}
    "title_admin": "职称管理员（评审机构）",
    "title_committee": "评审委员会秘书",  # optional scope {"committee": name}
}
STAFF_ROLES = frozenset(ROLES) - {"candidate"}
# Other services calling over HTTP (client credentials, see services/common/service_auth.py).
# Never a person's role: identity's staff tools only assign roles from ROLES.
SERVICE_ROLE = "service"
SERVICE_PREFIX = "service:"


@dataclass(frozen=True)
class Principal:
    sub: str
    username: str
    name: str
    roles: frozenset[str]
    scope: dict = field(default_factory=dict)  # reviewer: province / review point; title_unit: unit_id

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def service(self) -> str | None:
        """The calling service's name for a service token, else None (a person)."""
        if SERVICE_ROLE in self.roles and self.sub.startswith(SERVICE_PREFIX):
            return self.sub[len(SERVICE_PREFIX):]
        return None


def _kid(token: str) -> str | None:
    """The key id from the token's header, without PyJWT's full parse (which checks every
    character of all three segments; ``jwt.decode`` parses and verifies the whole token next)."""
    try:
        head = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, TypeError):
        raise Unauthorized("登录凭证无效，请重新登录", code="token_invalid") from None
    if not isinstance(header, dict):
        raise Unauthorized("登录凭证无效，请重新登录", code="token_invalid")
    return header.get("kid")


class TokenVerifier:
    """Verifies access tokens; a token verified once is remembered (by its SHA-256) until it
    expires, so a candidate's later requests (and a double click's twin) skip the signature
    check and the parse. Only successes are cached; expiry is checked on every hit."""

    CACHE_SIZE = 20_000

    def __init__(self, jwks_url: str | None = None,
                 jwks_provider: Callable[[], dict] | None = None, leeway: int = 10):
        self._verified: dict[bytes, tuple[float, Principal]] = {}
        self.jwks_url = jwks_url
        self._provider = jwks_provider or self._fetch
        self.leeway = leeway
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _fetch(self) -> dict:
        resp = requests.get(self.jwks_url, timeout=3)
        resp.raise_for_status()
        return resp.json()

    def _refresh(self, force: bool) -> None:
        with self._lock:
            if not force and self._keys:
                return
            if force and time.monotonic() - self._fetched_at < 5:
                return  # a flood of unknown kids must not hammer identity
            try:
                jwks = self._provider()
            except Exception as exc:  # noqa: BLE001
                raise Unauthorized("暂时无法校验登录凭证，请稍后再试",
                                   code="key_set_unavailable", status=503) from exc
            keys = {k["kid"]: jwt.PyJWK(k) for k in jwks.get("keys", [])}
            if set(keys) != set(self._keys):
                self._verified.clear()  # a key withdrawn by identity takes its tokens with it
            self._keys = keys
            self._fetched_at = time.monotonic()

    def verify(self, token: str) -> Principal:
        digest = hashlib.sha256(token.encode()).digest()
        hit = self._verified.get(digest)
        if hit is not None:
            if time.time() < hit[0] + self.leeway:
                return hit[1]
            self._verified.pop(digest, None)
        principal, exp = self._verify(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()  # bounded; entries are cheap to make again
        self._verified[digest] = (exp, principal)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        kid = _kid(token)
        self._refresh(force=False)
        if kid not in self._keys:
            self._refresh(force=True)
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("登录凭证无效，请重新登录", code="token_unknown_key")
        try:
            claims = jwt.decode(token, key=key, algorithms=[key.algorithm_name],
                                audience=AUDIENCE, issuer=ISSUER, leeway=self.leeway,
                                options={"require": ["exp", "iat", "sub"]})
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("登录已过期，请重新登录", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("登录凭证无效，请重新登录", code="token_invalid") from exc
        typ, roles = claims.get("typ"), claims.get("roles", [])
        if typ not in ("access", "service") or not isinstance(roles, list):
            raise Unauthorized("登录凭证类型错误", code="token_invalid")
        # A service token is exactly that: typ, subject and the lone role agree. A person's token
        # can never carry the service role, so no route open to services opens to people.
        is_service = (typ == "service", str(claims["sub"]).startswith(SERVICE_PREFIX),
                      SERVICE_ROLE in roles)
        if any(is_service) and not (all(is_service) and roles == [SERVICE_ROLE]):
            raise Unauthorized("登录凭证类型错误", code="token_invalid")
        return Principal(sub=claims["sub"], username=claims.get("username", ""),
                         name=claims.get("name", ""), roles=frozenset(claims.get("roles", [])),
                         scope=claims.get("scope") or {}), float(claims["exp"])

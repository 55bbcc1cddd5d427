"""Service-to-service credentials: each service's client secret, and the client that uses it.

Identity issues short-lived service tokens (OAuth 2.0 client credentials, RFC 6749 §4.4) at
``POST /api/identity/oauth/token``. A caller proves who it is with ``client_id`` (its service
name) and its ``client_secret``; the token it gets back (``sub="service:<name>"``, role
``service``, typ ``service``) is checked by every service exactly like a person's token, with
identity's published key set. Routes open to services name their callers
(``Api.route(roles=("service",), callers=(...))``).

Where secrets come from:

- a caller's own secret: ``BAOKAO_SERVICE_SECRET_<NAME>``; outside production, a key file
  ``service-credentials.json`` (mode 0600) created once in ``BAOKAO_DATA_DIR`` with a secret for
  every service (embedded mode and tests share one data directory, so all agree);
- what identity accepts: SHA-256 hashes only, from ``BAOKAO_SERVICE_CLIENTS``
  (``name:hex,name:hex`` — production can give identity hashes and never the secrets), plus the
  hash of any ``BAOKAO_SERVICE_SECRET_<NAME>`` it sees (one shared env block, e.g. compose), plus,
  outside production, the key file's. Secrets are 256 random bits, so a fast hash is safe (no
  dictionary to try) and a token request costs microseconds, not Argon2's 25 ms.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from pathlib import Path

import requests

from services.common.config import SERVICES, Settings, service_url

log = logging.getLogger(__name__)

KEY_FILE = "service-credentials.json"
TOKEN_PATH = "/api/identity/oauth/token"
REFRESH_MARGIN_SECONDS = 60  # fetch a new token this long before the old one expires


class ServiceUnavailable(Exception):
    """The other service (or identity, for the token) did not answer usefully."""


class CredentialMissing(ServiceUnavailable):
    """This process has no client secret (production without ``BAOKAO_SERVICE_SECRET_<NAME>``)."""


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _env_name(service: str) -> str:
    return f"BAOKAO_SERVICE_SECRET_{service.upper()}"


def _key_file(data_dir: Path) -> dict[str, str]:
    """The embedded-mode secrets, created on first use (O_EXCL: one creator wins a race)."""
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        body = json.dumps({name: new_secret() for name in SERVICES}, indent=2).encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(body)
    for _ in range(50):  # another process may be writing it this instant
        try:
            data = json.loads(path.read_text() or "{}")
            if data:
                return data
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise RuntimeError(f"cannot read {path}")


def own_secret(settings: Settings) -> str | None:
    """This service's client secret, or None when production did not configure one."""
    secret = os.environ.get(_env_name(settings.service))
    if secret:
        return secret
    if settings.production:
        return None
    return _key_file(settings.data_dir).get(settings.service)


def accepted_clients(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Identity's side: client id → SHA-256 of its secrets (the plain secrets are not kept).

    A client may have several at once (``BAOKAO_SERVICE_CLIENTS`` naming it twice): that is how
    a secret is rotated without a moment of refused calls — identity first accepts the old and
    the new hash, the service restarts with the new secret, then the old hash is removed."""
    clients: dict[str, list[str]] = {}

    def accept(name: str, digest: str) -> None:
        if digest not in clients.setdefault(name, []):
            clients[name].append(digest)

    if not settings.production:
        for name, s in _key_file(settings.data_dir).items():
            accept(name, secret_hash(s))
    for name in SERVICES:
        secret = os.environ.get(_env_name(name))
        if secret:
            accept(name, secret_hash(secret))
    for item in (os.environ.get("BAOKAO_SERVICE_CLIENTS") or "").split(","):
        name, _, digest = item.strip().partition(":")
        if name and len(digest) == 64:
            accept(name, digest.lower())
    return {name: tuple(digests) for name, digests in clients.items()}


def check_secret(clients: dict[str, tuple[str, ...]], client_id: str, secret: str) -> bool:
    """Constant time whether the id is known or not, so timing reveals no client names; every
    accepted hash of the client is compared (no early exit reveals which one matched)."""
    presented = secret_hash(secret or "")
    expected = clients.get(client_id) or (secret_hash("unknown-client-" + client_id),)
    ok = False
    for digest in expected:
        ok |= hmac.compare_digest(presented, digest)
    return ok and client_id in clients


class ServiceTokens:
    """Fetches this service's token from identity, caches it, refreshes it before it expires."""

    def __init__(self, client_id: str, secret: str | None, identity_url: str,
                 session: requests.Session | None = None, timeout: float = 3.0):
        self.client_id = client_id
        self._secret = secret
        self.token_url = identity_url.rstrip("/") + TOKEN_PATH
        self.session = session or requests.Session()
        self.timeout = timeout
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() > self._expires - REFRESH_MARGIN_SECONDS:
                self._fetch()
            return self._token

    def invalidate(self, token: str | None = None) -> None:
        with self._lock:
            if token is None or token == self._token:
                self._token = None

    def _fetch(self) -> None:
        if not self._secret:
            raise CredentialMissing(f"no client secret for {self.client_id} "
                                    f"(set {_env_name(self.client_id)})")
        try:
            resp = self.session.post(self.token_url, data={"grant_type": "client_credentials"},
                                     auth=(self.client_id, self._secret), timeout=self.timeout)
        except requests.RequestException as exc:
            raise ServiceUnavailable(f"token: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            if resp.status_code in (400, 401):  # a wrong secret is an operator's problem
                log.error("identity refused the client credentials of %s (%s)",
                          self.client_id, resp.status_code)
            raise ServiceUnavailable(f"token: HTTP {resp.status_code}")
        try:
            body = resp.json()
            self._token = body["access_token"]
            self._expires = time.monotonic() + float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceUnavailable("token: malformed answer") from exc


class ServiceClient:
    """HTTP to another service with this service's token; a 401 refreshes it and tries once more
    (the token may have expired in flight, or identity rotated its key)."""

    def __init__(self, tokens: ServiceTokens, base_url: str, timeout: float = 3.0):
        self.tokens = tokens
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        for attempt in (1, 2):
            token = self.tokens.token()
            headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
            try:
                resp = self.tokens.session.request(method, self.base_url + path,
                                                   headers=headers, **kwargs)
            except requests.RequestException as exc:
                raise ServiceUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
            if resp.status_code != 401 or attempt == 2:
                return resp
            self.tokens.invalidate(token)
            kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
        return resp  # pragma: no cover - the loop always returns

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)


def service_client(settings: Settings, target: str,
                   session: requests.Session | None = None) -> ServiceClient:
    """A client for ``target`` as ``settings.service``. ``settings.extra`` may name other URLs
    (``identity_url``, ``<target>_url``) and tests may pass a session (e.g. over WSGI)."""
    identity = settings.extra.get("identity_url") or service_url("identity")
    base = settings.extra.get(f"{target}_url") or service_url(target)
    tokens = ServiceTokens(settings.service, own_secret(settings), identity, session=session)
    return ServiceClient(tokens, base)

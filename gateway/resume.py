"""Unsaved form sections kept across an expired sign-in ("no section lost").

When a title-application section is posted after the session ended, the posted fields are kept
on the server for a short while and the user is sent to sign in; afterwards the same section
opens with the fields filled in again. What is kept is:

- **tied to the browser**: a random token in an HttpOnly cookie names the entry; the server
  stores it under a hash of the token and encrypts it (AES-GCM) with a key derived from the
  gateway secret *and that token*, so the stored blob is unreadable without the browser's cookie;
- **tied to the person**: the form carries a signed marker (user id, application, section)
  issued while they were signed in; only a post with a valid marker is kept (it stands in for
  the CSRF token the expired session no longer has), and it is restored only to the same user;
- **short-lived**: 30 minutes, then gone (Redis expiry, or file age in the data directory).

With ``BAOKAO_REDIS_URL`` the entries live in Redis (shared by every gateway process);
otherwise in files under the gateway's data directory (one machine, any number of workers).
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "baokao_resume"
TTL_SECONDS = 30 * 60
MARKER_MAX_AGE = 12 * 3600  # a form left open for a working day can still be rescued
MAX_BYTES = 256 * 1024


class _FileStore:
    def __init__(self, directory: Path):
        self.dir = directory

    def _path(self, key: str) -> Path:
        return self.dir / f"{key}.bin"

    def put(self, key: str, blob: bytes) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._purge()
        tmp = self.dir / f".{key}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, self._path(key))

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            if time.time() - path.stat().st_mtime > TTL_SECONDS:
                path.unlink(missing_ok=True)
                return None
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _purge(self) -> None:
        cutoff = time.time() - TTL_SECONDS
        for path in self.dir.glob("*.bin"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except FileNotFoundError:
                continue


class _RedisStore:
    def __init__(self, url: str):
        import redis
        self.client = redis.Redis.from_url(url)

    def put(self, key: str, blob: bytes) -> None:
        self.client.setex(f"baokao:resume:{key}", TTL_SECONDS, blob)

    def get(self, key: str) -> bytes | None:
        return self.client.get(f"baokao:resume:{key}")

    def delete(self, key: str) -> None:
        self.client.delete(f"baokao:resume:{key}")


def _store():
    app = current_app
    store = app.extensions.get("baokao_resume")
    if store is None:
        cfg = app.config["GATEWAY"]
        store = _RedisStore(cfg.redis_url) if cfg.redis_url else _FileStore(cfg.data_dir / "resume")
        app.extensions["baokao_resume"] = store
    return store


def _secret() -> bytes:
    return current_app.config["SECRET_KEY"].encode()


def _key_and_id(token: str) -> tuple[bytes, str]:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=token.encode(),
               info=b"baokao-gateway-resume").derive(_secret())
    entry = hashlib.sha256(_secret() + b"|" + token.encode()).hexdigest()
    return key, entry


# -- the signed marker a section form carries ---------------------------------------------------
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(), salt="baokao-titles-resume-marker")


def marker(sub: str, application_id: str, section: str) -> str:
    return _serializer().dumps({"s": sub, "a": application_id, "f": section})


def read_marker(value: str, application_id: str, section: str) -> str | None:
    """The user id a marker was issued to, if it is ours, recent and for this very form."""
    try:
        data = _serializer().loads(value or "", max_age=MARKER_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") != application_id or data.get("f") != section:
        return None
    return data.get("s") or None


# -- keeping and restoring --------------------------------------------------------------------
def keep(sub: str, application_id: str, section: str, fields: dict[str, list[str]]) -> str:
    """Keep the posted fields; the cookie value to set on the response."""
    token = request.cookies.get(COOKIE) or ""
    if len(token) != 43:
        token = secrets.token_urlsafe(32)
    key, entry = _key_and_id(token)
    plain = json.dumps({"sub": sub, "application_id": application_id, "section": section,
                        "fields": fields, "at": int(time.time())}, ensure_ascii=False).encode()
    if len(plain) > MAX_BYTES:
        raise ValueError("form too large to keep")
    nonce = os.urandom(12)
    _store().put(entry, nonce + AESGCM(key).encrypt(nonce, plain, entry.encode()))
    return token


def peek(sub: str, application_id: str, section: str) -> dict[str, list[str]] | None:
    """The kept fields of this section for this user in this browser, if any."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    key, entry = _key_and_id(token)
    blob = _store().get(entry)
    if not blob:
        return None
    try:
        data = json.loads(AESGCM(key).decrypt(blob[:12], blob[12:], entry.encode()))
    except (InvalidTag, ValueError):
        return None
    if (data.get("sub"), data.get("application_id"), data.get("section")) != \
            (sub, application_id, section):
        return None
    if time.time() - data.get("at", 0) > TTL_SECONDS:
        return None
    return data.get("fields") or {}


def forget() -> None:
    token = request.cookies.get(COOKIE)
    if token:
        _store().delete(_key_and_id(token)[1])


def set_cookie(response, token: str) -> None:
    cfg = current_app.config["GATEWAY"]
    response.set_cookie(COOKIE, token, max_age=TTL_SECONDS, httponly=True, samesite="Lax",
                        secure=cfg.production, path="/titles/")

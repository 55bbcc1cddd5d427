"""Signing keys (Ed25519) and the access tokens they sign; the public halves form the JWKS.

Rotation adds a new active key and keeps the old public keys published until every token they
signed has expired, so a rotation never signs anyone out.
"""
from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select, update

from services.common import clock
from services.common.auth import AUDIENCE, ISSUER, SERVICE_PREFIX, SERVICE_ROLE
from services.identity.adapters.orm import signing_keys

ACCESS_TTL = timedelta(minutes=15)
SERVICE_TTL = timedelta(minutes=5)  # shorter than a person's: callers fetch a new one anyway


class KeyStore:
    def __init__(self, engine):
        self.engine = engine
        self._cache: tuple[str, Ed25519PrivateKey] | None = None

    def ensure_active(self) -> None:
        with self.engine.begin() as conn:
            if conn.execute(select(signing_keys.c.kid).where(
                    signing_keys.c.retired_at.is_(None))).first() is None:
                self._insert(conn)

    def rotate(self) -> str:
        with self.engine.begin() as conn:
            conn.execute(update(signing_keys).where(signing_keys.c.retired_at.is_(None))
                         .values(retired_at=clock.now()))
            kid = self._insert(conn)
        self._cache = None
        return kid

    def _insert(self, conn) -> str:
        key = Ed25519PrivateKey.generate()
        kid = f"{clock.now():%Y%m%d}-{uuid.uuid4().hex[:8]}"
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
        jwk.update(kid=kid, alg="EdDSA", use="sig")
        conn.execute(insert(signing_keys).values(kid=kid, private_pem=pem, public_jwk=jwk,
                                                 created_at=clock.now()))
        return kid

    def active(self) -> tuple[str, Ed25519PrivateKey]:
        if self._cache is None:
            with self.engine.connect() as conn:
                row = conn.execute(select(signing_keys.c.kid, signing_keys.c.private_pem)
                                   .where(signing_keys.c.retired_at.is_(None))
                                   .order_by(signing_keys.c.created_at.desc())).first()
            key = serialization.load_pem_private_key(row.private_pem.encode(), password=None)
            self._cache = (row.kid, key)
        return self._cache

    def jwks(self) -> dict:
        """Active key plus keys retired less than one token lifetime ago."""
        horizon = clock.now() - ACCESS_TTL - timedelta(minutes=5)
        with self.engine.connect() as conn:
            rows = conn.execute(select(signing_keys.c.public_jwk).where(
                (signing_keys.c.retired_at.is_(None)) | (signing_keys.c.retired_at > horizon)
            ).order_by(signing_keys.c.created_at.desc())).all()
        return {"keys": [r.public_jwk for r in rows]}

    def issue_access(self, *, sub: str, username: str, name: str, roles: list[str],
                     scope: dict | None) -> str:
        kid, key = self.active()
        now = clock.now()
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "username": username,
                  "name": name, "roles": roles, "scope": scope or {}, "typ": "access",
                  "iat": int(now.timestamp()), "exp": int((now + ACCESS_TTL).timestamp()),
                  "jti": secrets.token_hex(8)}
        return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})

    def issue_service(self, client_id: str) -> tuple[str, int]:
        """A service token: ``sub="service:<name>"``, the lone role ``service``, typ ``service``.

        It is verified with the same key set as people's tokens; routes accept it only where
        they name the service role and this caller (``Api.route(callers=...)``).
        """
        kid, key = self.active()
        now = int(time.time())  # wall clock, as every verifier's (not the shiftable test clock)
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": SERVICE_PREFIX + client_id,
                  "client_id": client_id, "username": SERVICE_PREFIX + client_id,
                  "name": client_id, "roles": [SERVICE_ROLE], "scope": {}, "typ": "service",
                  "iat": now, "exp": now + int(SERVICE_TTL.total_seconds()),
                  "jti": secrets.token_hex(8)}
        token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})
        return token, int(SERVICE_TTL.total_seconds())

"""Test tokens: a real Ed25519 key and verifier, so service tests need no identity service."""
from __future__ import annotations

import json
import time

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.auth import AUDIENCE, ISSUER, TokenVerifier


class TestTokens:
    __test__ = False  # not a pytest class

    def __init__(self):
        self.key = Ed25519PrivateKey.generate()
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid="test-key", alg="EdDSA", use="sig")
        self.jwks = {"keys": [jwk]}
        self.verifier = TokenVerifier(jwks_provider=lambda: self.jwks)

    def token(self, sub: str = "cand-1", roles=("candidate",), *, username: str = "tester",
              name: str = "测试考生", scope: dict | None = None, ttl: int = 900) -> str:
        now = int(time.time())
        return jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "username": username,
                           "name": name, "roles": list(roles), "scope": scope or {},
                           "typ": "access", "iat": now, "exp": now + ttl},
                          self.key, algorithm="EdDSA", headers={"kid": "test-key"})

    def headers(self, sub: str = "cand-1", roles=("candidate",), **kw) -> dict:
        return {"Authorization": f"Bearer {self.token(sub, roles, **kw)}"}

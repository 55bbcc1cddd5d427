"""The certificate signing keys (Ed25519): generated, kept and rotated in our own database.

Private keys are stored as PKCS#8 PEM encrypted with a passphrase that never enters the database:
``BAOKAO_CERTIFICATES_KEY_PASSPHRASE``, else a file made once in the data directory (mode 0600).
Rotation retires the active key and creates a new one; retired public keys stay published for
ever, because every certificate they signed must keep verifying.
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import insert, select, update

from services.certificates.adapters.orm import signing_keys
from services.certificates.domain import proof
from services.common import clock

log = logging.getLogger(__name__)
ACTIVE_CACHE_SECONDS = 30  # a rotation made by another process is picked up this fast


def load_passphrase(data_dir: Path, production: bool = False) -> bytes:
    value = os.environ.get("BAOKAO_CERTIFICATES_KEY_PASSPHRASE")
    if value:
        return value.encode()
    if production:
        log.warning("BAOKAO_CERTIFICATES_KEY_PASSPHRASE is not set: every process that does not "
                    "share %s makes its own passphrase and cannot sign with the stored key", data_dir)
    path = data_dir / "certificates-signing.pass"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


class KeyStore:
    def __init__(self, engine, passphrase: bytes, base_url: str):
        self.engine = engine
        self._passphrase = passphrase
        self.base_url = base_url
        self._lock = threading.Lock()
        self._active: tuple[float, str, Ed25519PrivateKey] | None = None
        self._public: dict[str, Ed25519PublicKey] = {}

    def verification_method(self, kid: str) -> str:
        return f"{self.base_url}/api/certificates/keys#{kid}"

    def ensure_active(self) -> None:
        with self.engine.begin() as conn:
            if conn.execute(select(signing_keys.c.kid).where(
                    signing_keys.c.retired_at.is_(None))).first() is None:
                self._insert(conn)

    def rotate(self) -> str:
        """Retire the active key and make a new one; return the new key id."""
        with self.engine.begin() as conn:
            conn.execute(update(signing_keys).where(signing_keys.c.retired_at.is_(None))
                         .values(retired_at=clock.now()))
            kid = self._insert(conn)
        with self._lock:
            self._active = None
        return kid

    def _insert(self, conn) -> str:
        key = Ed25519PrivateKey.generate()
        kid = f"cert-{clock.now():%Y%m%d}-{secrets.token_hex(4)}"
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(self._passphrase)).decode()
        conn.execute(insert(signing_keys).values(
            kid=kid, private_pem=pem, public_jwk=proof.public_jwk(key.public_key(), kid),
            created_at=clock.now()))
        return kid

    def active(self) -> tuple[str, Ed25519PrivateKey]:
        """The key new certificates are signed with."""
        with self._lock:
            if self._active is None or time.monotonic() - self._active[0] > ACTIVE_CACHE_SECONDS:
                with self.engine.connect() as conn:
                    row = conn.execute(select(signing_keys.c.kid, signing_keys.c.private_pem)
                                       .where(signing_keys.c.retired_at.is_(None))
                                       .order_by(signing_keys.c.created_at.desc())).first()
                if row is None:
                    raise RuntimeError("no active certificate signing key (run migrations)")
                key = serialization.load_pem_private_key(row.private_pem.encode(),
                                                         password=self._passphrase)
                self._active = (time.monotonic(), row.kid, key)
            return self._active[1], self._active[2]

    def jwks(self) -> dict:
        """Every public key ever used, newest first: what offline verifiers download."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(signing_keys.c.public_jwk)
                                .order_by(signing_keys.c.created_at.desc())).all()
        return {"keys": [r.public_jwk for r in rows]}

    def listing(self) -> list:
        with self.engine.connect() as conn:
            return conn.execute(select(signing_keys.c.kid, signing_keys.c.created_at,
                                       signing_keys.c.retired_at)
                                .order_by(signing_keys.c.created_at.desc())).all()

    def public_keys(self, kid: str | None = None) -> dict[str, Ed25519PublicKey]:
        """Public keys by id; read again from the database when ``kid`` is not yet known."""
        with self._lock:
            if not self._public or (kid is not None and kid not in self._public):
                self._public = proof.keys_from_jwks(self.jwks())
            return dict(self._public)

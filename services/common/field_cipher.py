"""Personal data at rest: AES-GCM per field, the key id stored with each value (so keys can
rotate while old values still decrypt) and used as associated data. Where the keys come from is
the same shape everywhere too (``key_spec``); each service names its variables, file and HKDF
labels."""
from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def key_file(path: Path, kid: str) -> str:
    """A key spec kept in a file made once (mode 0600) for development; returns its contents."""
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # a sibling process made it first
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(f"{kid}:" + base64.b64encode(os.urandom(32)).decode())
    return path.read_text().strip()


def key_spec(data_dir: Path, *, env_prefix: str, file_name: str, file_kid: str,
             hkdf: tuple[bytes, bytes] | None = None, production: bool = False) -> str:
    """A service's key spec: ``{env_prefix}_PII_KEYS=kid:base64,…`` (first active, older ids
    keep decrypting); else, when ``hkdf`` (salt, info) is given and ``{env_prefix}_KEY_PASSPHRASE``
    is set, a key derived from it (key id ``d1``) so pods without a shared disk share the key;
    else a 0600 key file made once in the data directory (development; in production a warning:
    processes that do not share the directory would each make their own key)."""
    spec = os.environ.get(f"{env_prefix}_PII_KEYS")
    passphrase = os.environ.get(f"{env_prefix}_KEY_PASSPHRASE") if hkdf else None
    if not spec and passphrase:
        salt, info = hkdf
        derived = HKDF(hashes.SHA256(), 32, salt=salt, info=info).derive(passphrase.encode())
        spec = "d1:" + base64.b64encode(derived).decode()
    if spec:
        return spec
    if production:
        logging.getLogger(__name__).warning(
            "%s_PII_KEYS%s not set: personal data is encrypted with a key file in %s, which "
            "every process must share", env_prefix,
            f" and {env_prefix}_KEY_PASSPHRASE are" if hkdf else " is", data_dir)
    return key_file(data_dir / file_name, file_kid)


class FieldCipher:
    def __init__(self, keys: dict[str, bytes], active: str):
        self.keys, self.active = keys, active

    @classmethod
    def from_env_or_file(cls, data_dir: Path, **where) -> FieldCipher:
        """The cipher of ``key_spec(data_dir, **where)``."""
        return cls(*cls.parse(key_spec(data_dir, **where)))

    @staticmethod
    def parse(spec: str) -> tuple[dict[str, bytes], str]:
        """``kid:base64,kid:base64,…`` → (keys, active key id: the first)."""
        keys = {kid: base64.b64decode(b64) for kid, b64 in
                (item.split(":", 1) for item in spec.split(","))}
        return keys, spec.split(":", 1)[0]

    def encrypt(self, plain: str) -> str:
        nonce = os.urandom(12)
        ct = AESGCM(self.keys[self.active]).encrypt(nonce, plain.encode(), self.active.encode())
        return f"{self.active}:{base64.b64encode(nonce + ct).decode()}"

    def decrypt(self, stored: str) -> str:
        kid, b64 = stored.split(":", 1)
        raw = base64.b64decode(b64)
        return AESGCM(self.keys[kid]).decrypt(raw[:12], raw[12:], kid.encode()).decode()

    def encrypt_bytes(self, plain: bytes, context: bytes = b"") -> bytes:
        """A file at rest: ``kid:`` + nonce + ciphertext. ``context`` (e.g. the row id) joins
        the key id in the associated data, so a ciphertext moved to another row fails."""
        nonce = os.urandom(12)
        aad = self.active.encode() + b"|" + context
        return self.active.encode() + b":" + nonce + AESGCM(self.keys[self.active]).encrypt(
            nonce, plain, aad)

    def decrypt_bytes(self, stored: bytes, context: bytes = b"") -> bytes:
        kid, _, raw = bytes(stored).partition(b":")
        return AESGCM(self.keys[kid.decode()]).decrypt(raw[:12], raw[12:], kid + b"|" + context)

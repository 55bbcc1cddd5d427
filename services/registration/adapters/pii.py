"""Professionals' personal data at rest (title profiles and applications' 基本信息): the shared
field cipher, AES-GCM with a key id.

``BAOKAO_REGISTRATION_PII_KEYS=kid:base64,…`` (first active; older ids keep decrypting); else,
when ``BAOKAO_REGISTRATION_KEY_PASSPHRASE`` is set (production: one secret every registration pod
shares), a key derived from it with HKDF (key id ``d1``); else a key file made once in the data
directory (``registration-pii.keys``, mode 0600, development). Keep the HKDF labels: changing them
leaves stored data undecryptable.

``SealedJSON`` is a JSON object column whose personal fields are kept as one ciphertext under
``_pii``; the rest stays readable JSON. The cipher is installed on the engine's dialect, so two
runtimes in one process (tests) keep their own keys.
"""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import JSON
from sqlalchemy.types import TypeDecorator

from services.common.field_cipher import FieldCipher

WHERE = dict(env_prefix="BAOKAO_REGISTRATION", file_name="registration-pii.keys", file_kid="r1",
             hkdf=(b"baokao-registration", b"titles-pii-d1"))
SEALED = "_pii"


def load(data_dir: Path, production: bool = False) -> FieldCipher:
    return FieldCipher.from_env_or_file(data_dir, production=production, **WHERE)


def install(engine, cipher: FieldCipher) -> None:
    engine.dialect.baokao_pii_cipher = cipher


def _cipher(dialect) -> FieldCipher:
    cipher = getattr(dialect, "baokao_pii_cipher", None)
    if cipher is None:  # never fall back to plaintext
        raise RuntimeError("registration's PII cipher is not installed on this engine")
    return cipher


class SealedJSON(TypeDecorator):
    """A JSON object with ``fields`` encrypted together; rows written before encryption (no
    ``_pii``) read as they are and are sealed on their next write."""
    impl = JSON
    cache_ok = True

    def __init__(self, fields: tuple[str, ...]):
        super().__init__()
        self.fields = tuple(fields)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        personal = {k: value[k] for k in self.fields if value.get(k) is not None}
        out = {k: v for k, v in value.items() if k not in self.fields and k != SEALED}
        if personal:
            out[SEALED] = _cipher(dialect).encrypt(json.dumps(personal, ensure_ascii=False))
        return out

    def process_result_value(self, value, dialect):
        if not value or SEALED not in value:
            return value
        out = {k: v for k, v in value.items() if k != SEALED}
        return {**out, **json.loads(_cipher(dialect).decrypt(value[SEALED]))}

"""Mailing addresses, phone numbers and replacement materials (ID scans, photos) at rest:
AES-GCM with a key id (the shared field cipher, ``services.common.field_cipher``).

``BAOKAO_CERTIFICATES_PII_KEYS=kid:base64,…`` (first active; older ids keep decrypting); else,
when ``BAOKAO_CERTIFICATES_KEY_PASSPHRASE`` is set (production: one secret shared by every pod),
a key derived from it with HKDF (key id ``d1``); else a key file made once in the data directory
(mode 0600, development). The key id is the associated data. The names and HKDF labels below
are fixed: changing them would leave stored data undecryptable.
"""
from __future__ import annotations

from pathlib import Path

from services.common.field_cipher import FieldCipher

WHERE = dict(env_prefix="BAOKAO_CERTIFICATES", file_name="certificates-pii.keys", file_kid="m1",
             hkdf=(b"baokao-certificates", b"mailing-pii-d1"))


def load(data_dir: Path, production: bool = False) -> FieldCipher:
    return FieldCipher.from_env_or_file(data_dir, production=production, **WHERE)

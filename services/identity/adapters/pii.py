"""Personal data at rest: the shared field cipher plus a keyed hash for look-ups."""
from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from services.common.field_cipher import FieldCipher, key_spec


class PiiCipher(FieldCipher):
    def __init__(self, keys: dict[str, bytes], active: str, hash_key: bytes):
        super().__init__(keys, active)
        self.hash_key = hash_key

    @classmethod
    def from_env_or_file(cls, data_dir: Path, production: bool = False) -> PiiCipher:
        """``BAOKAO_PII_KEYS=kid:base64,…`` (first is active); else a key file made once."""
        keys, active = cls.parse(key_spec(data_dir, env_prefix="BAOKAO",
                                          file_name="identity-pii.keys", file_kid="k1",
                                          production=production))
        hash_key = hashlib.sha256(b"baokao-pii-lookup|" + keys[active]).digest()
        return cls(keys, active, hash_key)

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self.hash_key, value.encode(), hashlib.sha256).hexdigest()

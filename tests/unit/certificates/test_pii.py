"""Mailing addresses and phones at rest: AES-GCM with key ids, and where the key comes from."""
import base64
import os

import pytest
from cryptography.exceptions import InvalidTag

from services.certificates.adapters.pii import load


def test_round_trip_rotation_and_tamper(tmp_path, monkeypatch):
    monkeypatch.delenv("BAOKAO_CERTIFICATES_KEY_PASSPHRASE", raising=False)
    k1, k2 = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    monkeypatch.setenv("BAOKAO_CERTIFICATES_PII_KEYS", f"m1:{k1}")
    old = load(tmp_path).encrypt("广州市天河区")
    monkeypatch.setenv("BAOKAO_CERTIFICATES_PII_KEYS", f"m2:{k2},m1:{k1}")
    c = load(tmp_path)
    assert c.decrypt(old) == "广州市天河区" and c.encrypt("x").startswith("m2:")
    kid, body = old.split(":", 1)
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(InvalidTag):
        c.decrypt(f"{kid}:{base64.b64encode(bytes(raw)).decode()}")


def test_pods_sharing_the_passphrase_share_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("BAOKAO_CERTIFICATES_PII_KEYS", raising=False)
    monkeypatch.setenv("BAOKAO_CERTIFICATES_KEY_PASSPHRASE", "shared-secret")
    a = load(tmp_path / "pod-a")
    b = load(tmp_path / "pod-b")
    assert b.decrypt(a.encrypt("13800138000")) == "13800138000"
    monkeypatch.delenv("BAOKAO_CERTIFICATES_KEY_PASSPHRASE")
    (tmp_path / "dev").mkdir()
    dev = load(tmp_path / "dev")
    assert (tmp_path / "dev" / "certificates-pii.keys").stat().st_mode & 0o777 == 0o600
    assert dev.decrypt(dev.encrypt("x")) == "x"


def test_keys_derived_before_the_shared_loader_still_decrypt(tmp_path, monkeypatch):
    """Made by the loader certificates had before ``common.field_cipher.key_spec``: same
    variable names, HKDF salt and info, so what is stored keeps decrypting."""
    monkeypatch.delenv("BAOKAO_CERTIFICATES_PII_KEYS", raising=False)
    monkeypatch.setenv("BAOKAO_CERTIFICATES_KEY_PASSPHRASE", "pinned-passphrase")
    stored = "d1:FSDsta2En2yNGz+ndKrb2BYAQLpv9NUtW+i+Lpn7tZDvnXozzgIN"
    assert load(tmp_path).decrypt(stored) == "13800138000"

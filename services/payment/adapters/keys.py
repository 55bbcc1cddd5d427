"""RSA keys of the merchant (us) and of the provider.

Production: give keys through the environment (PEM text, or a path to a PEM file):
``BAOKAO_PAYMENT_MERCHANT_PRIVATE_KEY`` (our application private key, registered with the provider)
and ``BAOKAO_PAYMENT_PROVIDER_PUBLIC_KEY`` (the provider's public key, e.g. "支付宝公钥").
Development: both key pairs are generated once into ``<data dir>/payment-keys/`` so the payment
service and the sandbox provider on the same machine find each other's public keys there.
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

MERCHANT, PROVIDER = "merchant", "provider"


def _key_dir(data_dir: Path) -> Path:
    d = Path(data_dir) / "payment-keys"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _pem_from_env(name: str) -> bytes | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if value.startswith("-----BEGIN"):
        return value.encode()
    return Path(value).read_bytes()


def dev_private_key(data_dir: Path, who: str) -> rsa.RSAPrivateKey:
    """Load ``<who>_private.pem`` from the data dir, creating it once (atomically) if absent."""
    path = _key_dir(data_dir) / f"{who}_private.pem"
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pem)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # fails if another process won the race: use its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def merchant_private_key(data_dir: Path) -> rsa.RSAPrivateKey:
    pem = _pem_from_env("BAOKAO_PAYMENT_MERCHANT_PRIVATE_KEY")
    if pem:
        return serialization.load_pem_private_key(pem, password=None)
    return dev_private_key(data_dir, MERCHANT)


def provider_public_key(data_dir: Path) -> rsa.RSAPublicKey:
    pem = _pem_from_env("BAOKAO_PAYMENT_PROVIDER_PUBLIC_KEY")
    if pem:
        return serialization.load_pem_public_key(pem)
    return dev_private_key(data_dir, PROVIDER).public_key()


def provider_private_key(data_dir: Path) -> rsa.RSAPrivateKey:
    """The sandbox provider's own key (``BAOKAO_SANDBOX_PRIVATE_KEY`` or the dev file)."""
    pem = _pem_from_env("BAOKAO_SANDBOX_PRIVATE_KEY")
    if pem:
        return serialization.load_pem_private_key(pem, password=None)
    return dev_private_key(data_dir, PROVIDER)


def merchant_public_key(data_dir: Path) -> rsa.RSAPublicKey:
    """The merchant key the sandbox trusts (``BAOKAO_SANDBOX_MERCHANT_PUBLIC_KEY`` or dev file)."""
    pem = _pem_from_env("BAOKAO_SANDBOX_MERCHANT_PUBLIC_KEY")
    if pem:
        return serialization.load_pem_public_key(pem)
    return dev_private_key(data_dir, MERCHANT).public_key()

"""RSA2 signatures as Alipay defines them: SHA256withRSA over the sorted ``k=v&…`` string.

Requests sign every non-empty parameter except ``sign``; asynchronous notifications exclude
``sign_type`` too. Values are signed as received (not URL-encoded). The sandbox provider uses
the same helpers, so both ends agree byte for byte.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGN_TYPE = "RSA2"


def content_to_sign(params: Mapping[str, str], *, exclude: tuple[str, ...] = ("sign",)) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params)
                    if k not in exclude and params[k] not in (None, ""))


def sign_text(text: str, key: rsa.RSAPrivateKey) -> str:
    sig = key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(sig).decode("ascii")


def verify_text(text: str, signature: str, key: rsa.RSAPublicKey) -> bool:
    try:
        raw = base64.b64decode(signature or "", validate=True)
        key.verify(raw, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, binascii.Error, ValueError):
        return False


def sign_params(params: Mapping[str, str], key: rsa.RSAPrivateKey,
                *, exclude: tuple[str, ...] = ("sign",)) -> dict[str, str]:
    """The parameters plus ``sign_type`` and ``sign``."""
    out = {k: v for k, v in params.items() if v not in (None, "")}
    out["sign_type"] = SIGN_TYPE
    out["sign"] = sign_text(content_to_sign(out, exclude=exclude), key)
    return out


def verify_params(params: Mapping[str, str], key: rsa.RSAPublicKey,
                  *, exclude: tuple[str, ...] = ("sign",)) -> bool:
    if params.get("sign_type", SIGN_TYPE) != SIGN_TYPE:
        return False
    return verify_text(content_to_sign(params, exclude=exclude), params.get("sign", ""), key)

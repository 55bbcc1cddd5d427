"""Data Integrity proofs with the ``eddsa-jcs-2022`` cryptosuite (W3C VC-DI-EdDSA).

Signing input = SHA-256(JCS(proof options + the document's @context)) ‖ SHA-256(JCS(document
without proof)); the Ed25519 signature is the multibase base58-btc ``proofValue``. Covering the
proof options too means nobody can swap the key or the date under a valid signature. Verification
needs only the public keys (a JWK set), so it works offline.
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.certificates.domain.credential import iso_z
from services.certificates.domain.jcs import CanonicalizationError, canonicalize

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PURPOSE = "assertionMethod"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(frozen=True)
class Verdict:
    valid: bool
    code: str  # ok | malformed | unsupported_proof | unknown_key | bad_signature
    message: str
    kid: str | None = None


def b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b58decode(text: str) -> bytes:
    n = 0
    for ch in text:
        n = n * 58 + _B58.index(ch)  # ValueError on a foreign character
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def kid_of(verification_method: str) -> str:
    return verification_method.rsplit("#", 1)[-1]


def _hash_data(unsecured: dict, options: dict) -> bytes:
    config = dict(options)
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    return hashlib.sha256(canonicalize(config)).digest() + hashlib.sha256(
        canonicalize(unsecured)).digest()


def sign(document: dict, key: Ed25519PrivateKey, verification_method: str,
         created: datetime) -> dict:
    """``document`` with a proof added (the input is not changed)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "created": iso_z(created),
               "verificationMethod": verification_method, "proofPurpose": PURPOSE}
    signature = key.sign(_hash_data(unsecured, options))
    return {**unsecured, "proof": {**options, "proofValue": "z" + b58encode(signature)}}


def _decode_proof_value(value) -> bytes:
    if not isinstance(value, str) or len(value) < 2:
        raise ValueError("proofValue missing")
    if value[0] == "z":
        return b58decode(value[1:])
    if value[0] == "u":
        return _unb64url(value[1:])
    raise ValueError("proofValue is not multibase base58-btc or base64url")


def verify(document, public_keys: Mapping[str, Ed25519PublicKey]) -> Verdict:
    """Check the proof of a secured document against keys by id; never raises on bad input."""
    if not isinstance(document, dict) or not isinstance(document.get("proof"), dict):
        return Verdict(False, "malformed", "文件不是带签名的证书（缺少 proof）")
    proof = document["proof"]
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return Verdict(False, "unsupported_proof", "不支持的签名类型")
    if proof.get("proofPurpose") != PURPOSE:
        return Verdict(False, "unsupported_proof", "签名用途不是 assertionMethod")
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or "#" not in method:
        return Verdict(False, "malformed", "签名未注明密钥")
    kid = kid_of(method)
    key = public_keys.get(kid)
    if key is None:
        return Verdict(False, "unknown_key", f"签名密钥 {kid} 不在密钥集中", kid)
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    if "@context" in options:
        ctx = unsecured.get("@context")
        if not isinstance(ctx, list) or ctx[:len(options["@context"])] != options["@context"]:
            return Verdict(False, "malformed", "签名的 @context 与证书不一致", kid)
        unsecured["@context"] = options.pop("@context")
    try:
        signature = _decode_proof_value(proof.get("proofValue"))
        key.verify(signature, _hash_data(unsecured, options))
    except (ValueError, InvalidSignature, CanonicalizationError, TypeError):
        return Verdict(False, "bad_signature", "签名校验失败：证书内容被改动或签名无效", kid)
    return Verdict(True, "ok", "签名有效", kid)


def public_jwk(key: Ed25519PublicKey, kid: str) -> dict:
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": kid, "alg": "EdDSA",
            "use": "sig"}


def keys_from_jwks(jwks) -> dict[str, Ed25519PublicKey]:
    """Ed25519 keys of a JWK set by ``kid``; anything else in the set is ignored."""
    keys: dict[str, Ed25519PublicKey] = {}
    for jwk in (jwks or {}).get("keys", []) if isinstance(jwks, dict) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        try:
            keys[str(jwk["kid"])] = Ed25519PublicKey.from_public_bytes(_unb64url(jwk["x"]))
        except (KeyError, ValueError, TypeError):
            continue
    return keys

"""W3C Bitstring Status List: the revocation bits of every credential, as a signed credential.

Each credential version gets a list index at issuance (``credentialStatus``). The list is a GZIP
compressed bitstring (bit 0 = the most significant bit of the first byte, as the spec says),
multibase base64url (``u…``), inside a ``BitstringStatusListCredential`` signed like certificates.
A set bit means "no longer valid": revoked, or superseded by a correction.
"""
from __future__ import annotations

import base64
import gzip
from datetime import datetime, timedelta

from services.certificates.domain.credential import CONTEXT_V2, STATUS_LIST_SIZE, iso_z

LIST_TYPE = "BitstringStatusListCredential"
TTL_SECONDS = 300


def encode(indices, size: int = STATUS_LIST_SIZE) -> str:
    bits = bytearray(size // 8)
    for i in indices:
        if 0 <= i < size:
            bits[i // 8] |= 0x80 >> (i % 8)
    raw = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(encoded: str) -> bytes:
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("encodedList is not multibase base64url")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def bit(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise ValueError("statusListIndex outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def build(list_url: str, issuer: dict, indices, now: datetime) -> dict:
    """The unsigned status list credential published at ``list_url``."""
    return {
        "@context": [CONTEXT_V2],
        "id": list_url,
        "type": ["VerifiableCredential", LIST_TYPE],
        "issuer": issuer,
        "validFrom": iso_z(now),
        "validUntil": iso_z(now + timedelta(days=1)),
        "credentialSubject": {"id": f"{list_url}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encode(indices),
                              "ttl": TTL_SECONDS * 1000},
    }


def status_of(credential: dict, status_list: dict) -> tuple[str, str]:
    """(code, message) of a credential's revocation bit in an already verified status list.

    code: ``ok`` | ``revoked`` | ``status_mismatch`` (the list is not the one the credential
    names) | ``malformed``.
    """
    entry = credential.get("credentialStatus") if isinstance(credential, dict) else None
    if not isinstance(entry, dict) or entry.get("statusPurpose") != "revocation":
        return "malformed", "证书没有吊销状态条目"
    if status_list.get("id") != entry.get("statusListCredential"):
        return "status_mismatch", "状态列表不是证书所指定的那一份"
    subject = status_list.get("credentialSubject") or {}
    if subject.get("statusPurpose") != "revocation":
        return "malformed", "状态列表用途不是 revocation"
    try:
        if bit(decode(subject.get("encodedList")), int(entry.get("statusListIndex"))):
            return "revoked", "证书已被吊销或已被补正后的新版本取代"
    except (ValueError, TypeError, OSError):
        return "malformed", "状态列表无法解码"
    return "ok", "未吊销"

"""Rules for changing an issued certificate: corrections (补正) and two-officer revocation.

Seed 004: a change of name or document number needs conclusive proof ("确凿的变更依据"); the
proofs are PDF or JPEG files, recognised by their content, not their name, at most 10 MB each.
Revocation needs a reason and two different certificate officers: one asks, another approves.
"""
from __future__ import annotations

import re
import unicodedata

from services.common.errors import Conflict, Invalid
from services.common.uploads import whole_document_type

KINDS = {"name": "姓名变更", "document": "证件号码变更"}
REVOCATION_REASONS = {
    "fraud": "报考资格造假或考试违纪（资格被认定无效）",
    "issued_in_error": "误发",
    "court_or_authority": "司法或主管部门决定",
    "other": "其他",
}
MAX_PROOF_BYTES = 10 * 1024 * 1024
MAX_PROOFS = 5
_ID18 = re.compile(r"^\d{17}[\dX]$")
_OTHER_DOC = re.compile(r"^[A-Z0-9]{6,20}$")


proof_kind = whole_document_type  # a whole PDF or JPEG, by content


def check_proofs(files: list[tuple[str, bytes]]) -> list[tuple[str, str, bytes]]:
    """(filename, content type, bytes) of each proof, or Invalid saying which file is wrong."""
    if not files:
        raise Invalid("请上传变更依据（PDF 或 JPEG）", code="proof_required")
    if len(files) > MAX_PROOFS:
        raise Invalid(f"最多上传 {MAX_PROOFS} 个证明文件", code="too_many_proofs")
    out = []
    for name, data in files:
        name = (name or "proof")[-100:]
        if len(data) > MAX_PROOF_BYTES:
            raise Invalid(f"文件 {name} 超过 10 MB", code="proof_too_large")
        kind = proof_kind(data)
        if kind is None:
            raise Invalid(f"文件 {name} 不是 PDF 或 JPEG", code="proof_type")
        out.append((name, kind, data))
    return out


def clean_name(name: str) -> str:
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not 1 <= len(name) <= 50 or any(unicodedata.category(c)[0] in "CZ" and c != " " for c in name):
        raise Invalid("新姓名应为 1-50 个字符", code="bad_name")
    return name


def mask_document(number: str) -> str:
    """Mask a document number the way certificates print it: first 6 and last 2 kept."""
    number = re.sub(r"\s", "", unicodedata.normalize("NFKC", number or "")).upper()
    if not (_ID18.match(number) or _OTHER_DOC.match(number)):
        raise Invalid("证件号码格式不正确", code="bad_document_number")
    keep_head = 6 if len(number) >= 12 else 2
    return number[:keep_head] + "*" * (len(number) - keep_head - 2) + number[-2:]


def second_officer(requested_by: str, approver: str) -> None:
    """The approver of a revocation must not be the officer who asked for it."""
    if requested_by == approver:
        raise Conflict("吊销需由另一名证书管理人员复核，申请人不能自己批准", code="same_officer")

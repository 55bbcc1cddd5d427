"""What the API modules share: role tuples and request helpers."""
from __future__ import annotations

from flask import request

from services.common.errors import DomainError

CANDIDATE = ("candidate",)
EXAM_ADMIN = ("exam_admin",)
REVIEWERS = ("reviewer", "exam_admin")


def bearer() -> str | None:
    """The caller's own token, forwarded to verification (it answers about that candidate)."""
    value = request.headers.get("Authorization", "")
    return value[7:] if value.startswith("Bearer ") else None


def idempotency_key() -> str | None:
    return (request.headers.get("Idempotency-Key") or "").strip()[:100] or None


def uploaded_csv() -> str:
    """CSV text from a multipart field ``file`` or a text/csv body; UTF-8 (BOM ok) or GB18030."""
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data()
    if not raw:
        raise DomainError("请上传成绩文件（CSV）", code="file_required", status=400)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("成绩文件编码无法识别，请保存为 UTF-8 编码的 CSV", code="bad_encoding", status=400)

"""What an uploaded document really is, read from its bytes, never from its name or the type
the browser declared (a renamed .exe stays refused). Pure Python, so domain code may use it;
each service keeps its own size limits and messages, and may parse deeper (Pillow, PDF)."""
from __future__ import annotations

PDF, JPEG = "application/pdf", "image/jpeg"


def document_type(content: bytes) -> str | None:
    """``application/pdf`` or ``image/jpeg`` from the opening signature, else None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


def whole_document_type(content: bytes) -> str | None:
    """Like ``document_type``, but the closing marker must be there too, so a truncated upload
    or a file that merely starts like a PDF is refused (for documents that are kept and shown)."""
    kind = document_type(content)
    if kind == PDF and b"%%EOF" in content[-2048:]:
        return kind
    if kind == JPEG and content.rstrip(b"\0\r\n").endswith(b"\xff\xd9"):
        return kind
    return None

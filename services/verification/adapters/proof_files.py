"""Parse an uploaded proof to be sure it is what its first bytes claim (Pillow for JPEG).

A PDF must have a version header, at least one object and an end-of-file marker near its end;
a JPEG must open and verify in Pillow as a JPEG. Anything else is refused with a clear message.
"""
from __future__ import annotations

import io
import re
import warnings

from PIL import Image

from services.verification.domain.proofs import ProofRejected, sniff

_PDF_HEADER = re.compile(rb"^%PDF-[12]\.\d")


def inspect(content: bytes) -> str:
    """The proof's content type after a parse; raises ``ProofRejected``."""
    content_type = sniff(content)
    ok = _pdf_ok(content) if content_type == "application/pdf" else _jpeg_ok(content)
    if not ok:
        raise ProofRejected(f"文件已损坏或不是有效的 {'PDF' if content_type.endswith('pdf') else 'JPEG'}"
                            " 文件，请重新导出后上传", code="proof_corrupt", field="file")
    return content_type


def _pdf_ok(content: bytes) -> bool:
    return (bool(_PDF_HEADER.match(content)) and b"%%EOF" in content[-2048:]
            and re.search(rb"\d+\s+\d+\s+obj\b", content) is not None)


def _jpeg_ok(content: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as img:
                if img.format != "JPEG":
                    return False
                img.verify()
        return True
    except Exception:  # noqa: BLE001 — any parse failure means "not a usable JPEG"
        return False

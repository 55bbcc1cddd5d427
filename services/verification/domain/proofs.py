"""What a proof may be: a PDF or a JPEG of at most 10 MB, recognised by its content.

The name and the declared content type are ignored (a renamed .exe stays an .exe): the first
bytes decide, and ``adapters/proof_files.py`` then parses the file to be sure it is whole.
"""
from __future__ import annotations

from services.common.errors import Invalid
from services.common.uploads import document_type

MAX_PROOF_BYTES = 10 * 1024 * 1024
PROOF_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG"}
PROOF_KINDS = ("education", "degree", "identity")


class ProofRejected(Invalid):
    status = 422


def sniff(content: bytes) -> str:
    """The content type the magic bytes announce, or a clear refusal."""
    if not content:
        raise ProofRejected("上传的文件是空的，请重新选择文件", code="proof_empty", field="file")
    if len(content) > MAX_PROOF_BYTES:
        raise ProofRejected(f"文件过大（{len(content) / 1024 / 1024:.1f} MB），证明材料不能超过 10 MB",
                            code="proof_too_large", field="file")
    kind = document_type(content)
    if kind is not None:
        return kind
    raise ProofRejected("只能上传 PDF 或 JPEG 格式的证明材料（按文件内容识别，修改扩展名无效）",
                        code="proof_type_not_allowed", field="file")


def safe_filename(name: str | None, content_type: str) -> str:
    """A display name without paths or control characters, with the extension of its type."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')[:120].strip()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    ext = ".pdf" if content_type == "application/pdf" else ".jpg"
    return (stem or "证明材料") + ext

"""The candidate photo standard (seeds 000/001) and its review lifecycle (seed 002).

A photo is ``current`` after upload, ``locked`` once it passed review (it then appears on
admit cards and certificates and may not simply be replaced); uploading over a locked photo
makes a ``change_requested`` photo that staff approve (it becomes the locked one, the old one
``replaced``) or reject.
"""
from __future__ import annotations

from services.common.errors import Conflict, Invalid

WIDTH, HEIGHT = 295, 413
DEFAULT_MAX_BYTES = 20 * 1024
MAX_SOURCE_PIXELS = 40_000_000  # anything larger is treated as a decompression bomb


def refuse(code: str, message: str):
    raise Invalid(message, code=code, field="photo")


def check_standard(*, fmt: str | None, width: int, height: int, size: int, max_bytes: int,
                   mode: str, background_white: bool) -> None:
    """Each refusal names the rule, in words a candidate understands."""
    if fmt != "JPEG":
        refuse("photo_not_jpeg", "照片须为 JPG 格式；只修改文件扩展名不能改变格式，请用本页的照片处理功能转换")
    if (width, height) != (WIDTH, HEIGHT):
        refuse("photo_dimensions", f"照片尺寸须为 {WIDTH}×{HEIGHT} 像素（宽×高），当前为 {width}×{height}")
    if size > max_bytes:
        refuse("photo_too_large", f"照片文件须小于 {max_bytes // 1024} KB，当前为 {size / 1024:.1f} KB")
    if mode not in ("RGB", "YCbCr"):
        refuse("photo_not_colour", "须为彩色照片")
    if not background_white:
        refuse("photo_background", "照片背景须为白色，请在白色背景前重新拍摄")


def next_status_on_upload(current_status: str | None) -> str:
    """A locked photo is changed only through a request staff approve."""
    if current_status == "locked":
        return "change_requested"
    return "current"


def check_reviewable(status: str) -> None:
    if status not in ("current", "change_requested"):
        raise Conflict("该照片已处理，无需重复审核", code="photo_already_reviewed")

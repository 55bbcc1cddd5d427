"""Reading and normalising photos with Pillow, by content, never by file name.

Decompression bombs are refused before decoding (pixel count from the header), non-images
and renamed files are told apart from real JPEGs by Pillow's own format detection.
"""
from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from services.identity.domain import photos


def _open(data: bytes) -> Image.Image:
    if not data:
        photos.refuse("photo_empty", "请选择要上传的照片")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > photos.MAX_SOURCE_PIXELS:
                photos.refuse("photo_bomb", "图片像素过大，疑似异常文件，已拒绝")
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        photos.refuse("photo_bomb", "图片像素过大，疑似异常文件，已拒绝")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        photos.refuse("photo_not_image", "上传的文件不是图片，请选择 JPG 格式的证件照")
    return img


def background_is_white(img: Image.Image) -> bool:
    """The top corners (where only background should be) must be bright and nearly grey."""
    rgb = img.convert("RGB")
    w, h = rgb.size
    boxes = [(0, 0, w // 6, h // 8), (w - w // 6, 0, w, h // 8)]
    for box in boxes:
        region = rgb.crop(box)
        raw = region.tobytes()
        pixels = list(zip(raw[0::3], raw[1::3], raw[2::3]))
        bright = sum(1 for r, g, b in pixels if min(r, g, b) >= 215 and max(r, g, b) - min(r, g, b) <= 25)
        if bright < 0.9 * len(pixels):
            return False
    return True


def check(data: bytes, max_bytes: int) -> None:
    img = _open(data)
    photos.check_standard(fmt=img.format, width=img.width, height=img.height, size=len(data),
                          max_bytes=max_bytes, mode=img.mode,
                          background_white=background_is_white(img))


def normalise(data: bytes, max_bytes: int, crop: tuple[float, float, float, float] | None = None
              ) -> bytes:
    """Crop (fractions left, top, right, bottom; else centred), resize to 295×413, compress."""
    img = ImageOps.exif_transpose(_open(data)).convert("RGB")
    if crop:
        left, top, right, bottom = (max(0.0, min(1.0, v)) for v in crop)
        if right - left > 0.05 and bottom - top > 0.05:
            img = img.crop((int(left * img.width), int(top * img.height),
                            int(right * img.width), int(bottom * img.height)))
    img = ImageOps.fit(img, (photos.WIDTH, photos.HEIGHT), Image.LANCZOS, centering=(0.5, 0.4))
    out = b""
    for quality in (90, 85, 80, 75, 70, 65, 60, 55, 50, 45, 40, 35, 30, 25, 20):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True, progressive=False)
        out = buf.getvalue()
        if len(out) <= max_bytes:
            break
    return out

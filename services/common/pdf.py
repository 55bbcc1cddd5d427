"""CJK fonts for the PDFs services render (admit cards, receipts, certificates), and the photo
box they print a candidate's locked photo in.

reportlab embeds TrueType outlines only, so the WenQuanYi Zen Hei TTC (Debian
``fonts-wqy-zenhei``, installed by ``make system-deps``) is embedded when present; otherwise the
standard Adobe-GB1 CID font ``STSong-Light`` is used, which PDF readers supply themselves.
"""
from __future__ import annotations

import io
import threading
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

CANDIDATES = [Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")]
_lock = threading.Lock()
_name: str | None = None


def cjk_font() -> str:
    """Register (once) and return the name of a font that draws Chinese text."""
    global _name
    with _lock:
        if _name is None:
            for path in CANDIDATES:
                if path.exists():
                    pdfmetrics.registerFont(TTFont("BaokaoCJK", str(path), subfontIndex=0))
                    _name = "BaokaoCJK"
                    break
            else:
                pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
                _name = "STSong-Light"
        return _name


def photo_box(c, font: str, photo, x: float, y: float, width: float, height: float,
              notes: dict[str, tuple[str, ...]]) -> None:
    """The candidate's locked photo (a ``holder_photos.HolderPhoto``, or None when not asked)
    framed at ``x, y``; else ``notes[status]`` centred in the frame, saying why there is none
    (``none``: no reviewed photo; ``unavailable``: identity did not answer)."""
    c.saveState()
    if photo is not None and photo.status == "ok":
        c.drawImage(ImageReader(io.BytesIO(photo.jpeg)), x, y, width, height)
    else:
        lines = notes.get(photo.status if photo is not None else "none", notes["none"])
        c.setFillColor(colors.HexColor("#666666"))
        c.setFont(font, 8)
        top = y + height / 2 + 4.5 * (len(lines) - 1) - 1.5
        for i, line in enumerate(lines):
            c.drawCentredString(x + width / 2, top - 9 * i, line)
    c.setStrokeColor(colors.HexColor("#999999"))  # the frame on top: a white background shows
    c.setLineWidth(0.5)
    c.rect(x, y, width, height)
    c.restoreState()

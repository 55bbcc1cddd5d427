"""CJK fonts for the PDFs services render (admit cards, receipts, certificates).

reportlab embeds TrueType outlines only, so the WenQuanYi Zen Hei TTC (Debian
``fonts-wqy-zenhei``, installed by ``make system-deps``) is embedded when present; otherwise the
standard Adobe-GB1 CID font ``STSong-Light`` is used, which PDF readers supply themselves.
"""
from __future__ import annotations

import threading
from pathlib import Path

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

"""The title application form (申报书 / 评审表) as an A4 PDF, for public notice or the archive
(seed 003: 下载申报书). Sections flow over as many pages as they need; CJK font from
``common.pdf``; the professional's locked photo; a QR code leads to the application's page."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from services.common.pdf import cjk_font
from services.registration.adapters.admit_card_pdf import photo_frame, qr_image


@dataclass(frozen=True)
class TitleForm:
    title: str
    application_number: str
    state_label: str
    lines: list[tuple[str, str]]
    sections: list[tuple[str, list[str]]] = field(default_factory=list)  # (heading, paragraphs)
    status_url: str = ""
    footer: str = ""


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break a Chinese paragraph by measured width (no spaces to break on)."""
    out, line = [], ""
    for ch in text.replace("\r", ""):
        if ch == "\n":
            out.append(line)
            line = ""
            continue
        if stringWidth(line + ch, font, size) > width:
            out.append(line)
            line = ch
        else:
            line += ch
    out.append(line)
    return out


def render(form: TitleForm, photo=None) -> bytes:
    """``photo``: the professional's from identity (``common.holder_photos.HolderPhoto``)."""
    font = cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"申报书 {form.application_number}")
    width, height = A4
    left, right, bottom = 20 * mm, width - 20 * mm, 22 * mm
    y = height - 26 * mm

    def footer() -> None:
        c.setFont(font, 8)
        c.drawString(left, 12 * mm, f"{form.footer}　申报书编号 {form.application_number}　"
                                    f"第 {c.getPageNumber()} 页")

    def need(space: float) -> None:
        nonlocal y
        if y - space < bottom:
            footer()
            c.showPage()
            y = height - 22 * mm

    c.setFont(font, 17)
    c.drawCentredString(width / 2, y, form.title)
    y -= 12 * mm
    photo_frame(c, font, photo, right - 25 * mm, y - 35 * mm)  # 免冠照
    if form.status_url:
        c.drawImage(qr_image(form.status_url), right - 27 * mm, y - 66 * mm, 28 * mm, 28 * mm)
    text_width = right - left - 32 * mm
    for label, value in [("申报书编号", form.application_number), ("办理状态", form.state_label),
                         *form.lines]:
        for i, part in enumerate(_wrap(f"{label}：{value or '—'}", font, 11, text_width)):
            need(7 * mm)
            c.setFont(font, 11)
            c.drawString(left + (8 * mm if i else 0), y, part)
            y -= 7 * mm
    for heading, paragraphs in form.sections:
        y -= 3 * mm
        need(16 * mm)
        c.setFont(font, 13)
        c.drawString(left, y, heading)
        c.line(left, y - 2 * mm, right, y - 2 * mm)
        y -= 9 * mm
        for paragraph in paragraphs or ["（无）"]:
            for part in _wrap(paragraph, font, 10, right - left):
                need(6 * mm)
                c.setFont(font, 10)
                c.drawString(left, y, part)
                y -= 6 * mm
            y -= 1 * mm
    need(20 * mm)
    y -= 8 * mm
    c.setFont(font, 11)
    c.drawString(left, y, "本人承诺所填报信息及提供材料真实、准确。申报人签名：＿＿＿＿＿＿　日期：＿＿＿＿＿＿")
    footer()
    c.showPage()
    c.save()
    return buf.getvalue()

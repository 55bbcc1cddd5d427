"""The application form (报名表) as an A4 PDF: what the candidate confirmed, with the locked photo
and a QR code leading to the application's status page (seed 002: 打印报名表)."""
from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from services.common.pdf import cjk_font
from services.registration.adapters.admit_card_pdf import photo_frame, qr_image


@dataclass(frozen=True)
class FormData:
    title: str
    application_number: str
    state_label: str
    lines: list[tuple[str, str]]
    subjects: list[str]
    exempt: list[str]
    commitment: str
    status_url: str
    authority: str


def render(form: FormData, photo=None) -> bytes:
    """``photo``: the candidate's from identity (``common.holder_photos.HolderPhoto``)."""
    font = cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"报名表 {form.application_number}")
    width, height = A4
    left, y = 20 * mm, height - 28 * mm
    c.setFont(font, 18)
    c.drawCentredString(width / 2, y, form.title)
    y -= 12 * mm
    photo_frame(c, font, photo, width - 50 * mm, y - 38 * mm)
    c.drawImage(qr_image(form.status_url), width - 52 * mm, y - 80 * mm, 30 * mm, 30 * mm)
    c.setFont(font, 12)
    for label, value in [("报名序号", form.application_number), ("报名状态", form.state_label),
                         *form.lines, ("办理方式", form.commitment)]:
        c.drawString(left, y, f"{label}：{value}")
        y -= 8 * mm
    c.drawString(left, y, "报考科目：")
    c.setFont(font, 11)
    for name in form.subjects:
        y -= 7 * mm
        c.drawString(left + 6 * mm, y, name)
    if form.exempt:
        y -= 9 * mm
        c.setFont(font, 12)
        c.drawString(left, y, "免试科目及依据：")
        c.setFont(font, 11)
        for line in form.exempt:
            y -= 7 * mm
            c.drawString(left + 6 * mm, y, line)
    y -= 14 * mm
    c.setFont(font, 11)
    c.drawString(left, y, "本人承诺以上信息真实、准确。考生签名：＿＿＿＿＿＿　日期：＿＿＿＿＿＿")
    c.setFont(font, 9)
    c.drawString(left, 18 * mm, f"{form.authority}　扫描二维码查看报名状态：{form.status_url}")
    c.showPage()
    c.save()
    return buf.getvalue()

"""The printable e-certificate: an A4 PDF with the holder's details and a QR verification code.

Rendered on request from the stored certificate. A later round seals it (PAdES, pyHanko) and keeps
the sealed bytes; this renderer stays the single place the layout lives.
"""
from __future__ import annotations

import io

import qrcode
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from services.certificates.domain.model import TITLE, Certificate
from services.common.pdf import cjk_font, photo_box


def _qr(url: str) -> ImageReader:
    img = qrcode.make(url, border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    return ImageReader(buf)


def _fit(c, font: str, text: str, x: float, y: float, max_width: float, size: float) -> None:
    """Draw ``text`` at ``size``, shrinking it (down to 7 pt) until it fits ``max_width``."""
    while size > 7 and stringWidth(text, font, size) > max_width:
        size -= 0.5
    c.setFont(font, size)
    c.drawString(x, y, text)


PHOTO_W, PHOTO_H = 30 * mm, 42 * mm  # the 295×413 standard photo's proportions
PHOTO_NOTES = {"none": ("持证人暂无", "审核通过的照片"),
               "unavailable": ("照片暂时无法获取", "（身份服务不可用）")}


def _photo(c, font: str, photo, x: float, y: float) -> None:
    """The holder's locked photo in its frame, or a placeholder that says why there is none."""
    photo_box(c, font, photo, x, y, PHOTO_W, PHOTO_H, PHOTO_NOTES)


def _layout(cert: Certificate) -> tuple[str, str, list[tuple[str, str]], list[str]]:
    """Heading, subject, rows and closing lines: a qualification or a professional title."""
    signed_on = cert.issued_on.strftime("%Y年%m月%d日")
    if cert.kind == TITLE:
        rows = [("姓　　名", cert.holder_name), ("证件号码", cert.document_number_masked),
                ("职称系列", cert.series or "—"), ("职称名称", cert.exam_name),
                ("职称级别", cert.level), ("专　　业", cert.specialty or "—"),
                ("取得方式", cert.application_type_label or "—"),
                ("审批机构", cert.decided_by or "—"), ("发证机构", cert.issuing_authority),
                ("证书编号", cert.number), ("签发日期", signed_on)]
        how = {"initial": "初定", "confirmation": "确认", "review": "评审"}.get(
            cert.application_type or "", "审定")
        closing = [f"经{cert.decided_by or cert.issuing_authority}{how}，持证人具备",
                   f"{cert.title}专业技术职称（任职资格）。"]
        return "专业技术职称证书", "专业技术人员职称电子证书", rows, closing
    rows = [("姓　　名", cert.holder_name), ("证件号码", cert.document_number_masked),
            ("资格名称", cert.title), ("专　　业", cert.specialty or "—"),
            ("考试年度", str(cert.sitting_year)), ("发证机构", cert.issuing_authority),
            ("证书编号", cert.number), ("签发日期", signed_on)]
    closing = ["本证书表明持证人通过国家统一组织的专业技术人员职业资格考试，", "取得相应的职业资格。"]
    return "专业技术人员职业资格证书", "专业技术人员职业资格电子证书", rows, closing


def render(cert: Certificate, verification_url: str, photo=None) -> bytes:
    """``photo``: the holder's photo from identity (``common.holder_photos.HolderPhoto``)."""
    heading, subject, rows, closing = _layout(cert)
    font = cjk_font()
    buf = io.BytesIO()
    width, height = A4
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(f"{cert.title} 电子证书 {cert.number}")
    c.setAuthor(cert.issuing_authority)
    c.setSubject(subject)
    c.setStrokeColor(colors.HexColor("#8a1c1c"))
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    c.setLineWidth(0.8)
    c.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    c.setFillColor(colors.HexColor("#8a1c1c"))
    c.setFont(font, 26)
    c.drawCentredString(width / 2, height - 45 * mm, heading)
    c.setFont(font, 13)
    c.drawCentredString(width / 2, height - 55 * mm, "（电子证书）")

    photo_x = width - 35 * mm - PHOTO_W
    _photo(c, font, photo, photo_x, height - 85 * mm - 2 * 13 * mm)
    c.setStrokeColor(colors.black)
    c.setFillColor(colors.black)
    y = height - 85 * mm
    step = 13 * mm if len(rows) <= 8 else 11 * mm
    for i, (label, value) in enumerate(rows):
        c.setFont(font, 13)
        c.drawString(35 * mm, y, label)
        room = photo_x - 73 * mm if i < 3 else width - 90 * mm  # the photo is beside rows 0-2
        _fit(c, font, value, 70 * mm, y, room, 14)
        y -= step

    for i, line in enumerate(closing):
        _fit(c, font, line, 35 * mm, y - (5 + 7 * i) * mm, width - 70 * mm, 11)

    size = 38 * mm
    c.drawImage(_qr(verification_url), width - 35 * mm - size, 35 * mm, size, size)
    c.setFont(font, 9)
    c.drawString(35 * mm, 45 * mm, "扫描右侧二维码，或访问以下地址并输入证书编号和姓名查验真伪：")
    _fit(c, font, verification_url, 35 * mm, 39 * mm, width - 80 * mm - size, 9)
    c.setFont(font, 9)
    c.drawString(35 * mm, 33 * mm, f"签名密钥：{cert.kid}　版本：{cert.version}")
    c.showPage()
    c.save()
    return buf.getvalue()

"""The e-receipt (电子票据) of a paid order as a PDF, with a QR code anyone can check.

Seed 004: candidates print their e-receipt themselves after paying; no paper receipts. The
receipt number and a keyed check code go into the QR's verification URL, so a receipt cannot
be made up for an order number one merely knows.
"""
from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import qrcode
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from services.common.pdf import cjk_font
from services.payment.domain.money import format_yuan

ISSUER = "报考平台 · 考试报名费（非税收入）"


def receipt_number(order_number: str) -> str:
    """"PJ" + the order number's date and random part: one receipt per paid order."""
    return "PJ" + order_number[2:]


def check_code(secret: str, receipt_no: str) -> str:
    return hmac.new(secret.encode(), receipt_no.encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class ReceiptData:
    receipt_number: str
    order_number: str
    application_number: str
    description: str
    amount_fen: int
    paid_at: datetime
    confirmed_by: str
    provider_trade_no: str | None
    status_label: str
    verification_url: str
    waived: bool


def _qr(url: str) -> ImageReader:
    buf = io.BytesIO()
    qrcode.make(url, box_size=4, border=1).save(buf, format="PNG")
    buf.seek(0)
    return ImageReader(buf)


def render(r: ReceiptData) -> bytes:
    font = cjk_font()
    buf = io.BytesIO()
    size = landscape(A5)
    c = canvas.Canvas(buf, pagesize=size)
    c.setTitle(f"电子票据 {r.receipt_number}")
    width, height = size
    c.setFont(font, 18)
    c.drawCentredString(width / 2, height - 18 * mm, "考试报名费电子票据")
    c.setFont(font, 9)
    c.drawCentredString(width / 2, height - 24 * mm, ISSUER)
    c.drawImage(_qr(r.verification_url), width - 48 * mm, height - 62 * mm, 34 * mm, 34 * mm)
    c.drawString(width - 50 * mm, height - 66 * mm, "扫码核验票据真伪")
    paid_bj = (r.paid_at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    rows = [("票据号码", r.receipt_number), ("订单号", r.order_number),
            ("报名序号", r.application_number), ("项目", r.description),
            ("金额", format_yuan(r.amount_fen) + ("（已减免）" if r.waived else "")),
            ("缴费时间", paid_bj + "（北京时间）"),
            ("支付平台交易号", r.provider_trade_no or "—"), ("状态", r.status_label)]
    y = height - 36 * mm
    for label, value in rows:
        c.setFont(font, 10)
        c.drawString(16 * mm, y, label)
        c.setFont(font, 11)
        c.drawString(46 * mm, y, value[:48])
        y -= 8 * mm
    c.setFont(font, 8)
    c.drawString(16 * mm, 12 * mm, "本票据由系统自动生成，与纸质票据具有同等效力；核验地址：")
    c.drawString(16 * mm, 8 * mm, r.verification_url[:110])
    c.showPage()
    c.save()
    return buf.getvalue()

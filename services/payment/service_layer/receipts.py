"""E-receipts: one per paid order, for its candidate, verifiable by anyone holding the QR."""
from __future__ import annotations

import hmac

from services.common.errors import Conflict, NotFound
from services.payment.adapters import receipt_pdf
from services.payment.domain import model
from services.payment.domain.model import Order
from services.payment.service_layer import orders


def verification_url(public_base_url: str, secret: str, number: str) -> str:
    code = receipt_pdf.check_code(secret, number)
    return f"{public_base_url.rstrip('/')}/api/payment/receipts/{number}?c={code}"


def _data(order: Order, public_base_url: str, secret: str) -> receipt_pdf.ReceiptData:
    number = receipt_pdf.receipt_number(order.order_number)
    return receipt_pdf.ReceiptData(
        receipt_number=number, order_number=order.order_number,
        application_number=order.application_number, description=order.description,
        amount_fen=order.amount_fen, paid_at=order.paid_at, confirmed_by=order.confirmed_by,
        provider_trade_no=order.provider_trade_no, status_label=order.status_label,
        verification_url=verification_url(public_base_url, secret, number),
        waived=order.waiver_id is not None)


def pdf_for(uow, order_number: str, candidate_id: str, public_base_url: str,
            secret: str) -> tuple[str, bytes]:
    order = orders.get_owned(uow, order_number, candidate_id)
    if order.status not in (model.PAID, model.REFUNDED) or order.paid_at is None:
        raise Conflict("订单缴费成功后才能开具电子票据", code="order_not_paid")
    data = _data(order, public_base_url, secret)
    return data.receipt_number, receipt_pdf.render(data)


def verify(uow, receipt_number: str, code: str, secret: str) -> dict:
    """What the QR code shows: the receipt is genuine, for how much, and its state."""
    expected = receipt_pdf.check_code(secret, receipt_number)
    if not receipt_number.startswith("PJ") or not hmac.compare_digest(expected, code or ""):
        raise NotFound("票据不存在或核验码不正确", code="receipt_not_found")
    order = uow.session.query(Order).filter_by(order_number="BK" + receipt_number[2:]).first()
    if order is None or order.paid_at is None:
        raise NotFound("票据不存在或核验码不正确", code="receipt_not_found")
    return {"valid": order.status in (model.PAID, model.REFUNDED),
            "receipt_number": receipt_number, "order_number": order.order_number,
            "payer": order.application_number, "amount_fen": order.amount_fen,
            "paid_at": order.paid_at, "status_label": order.status_label}

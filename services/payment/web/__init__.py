"""Payment's web layer: the candidate's orders, checkout, refresh, and the provider's notify URL."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Response, request

from services.common.config import service_url
from services.common.errors import Invalid
from services.common.web.api import Api
from services.common.web.app import create_service_app
from services.payment.domain.model import Order
from services.payment.domain.money import format_yuan
from services.payment.domain.provider import ProviderUnavailable
from services.payment.domain.refunds import KINDS, Refund
from services.payment.domain.waivers import MAX_PROOF_BYTES, Waiver
from services.payment.service_layer import orders, payments, receipts, refunds, waivers
from services.payment.web import schemas
from services.payment.web.ops import ops_blueprint


def order_view(o: Order) -> dict:
    return {"order_number": o.order_number, "application_id": o.application_id,
            "application_number": o.application_number, "description": o.description,
            "amount_fen": o.amount_fen, "status": o.status, "status_label": o.status_label,
            "created_at": o.created_at, "expires_at": o.expires_at, "paid_at": o.paid_at,
            "refunded_fen": o.refunded_fen, "waived": o.waiver_id is not None,
            "receipt_available": o.status in ("paid", "refunded") and o.paid_at is not None}


def refund_view(r: Refund) -> dict:
    return {"refund_number": r.refund_number, "order_number": r.order_number,
            "amount_fen": r.amount_fen, "kind": r.kind, "kind_label": KINDS[r.kind],
            "reason": r.reason, "status": r.status, "status_label": r.status_label,
            "created_at": r.created_at, "not_before": r.not_before, "finished_at": r.finished_at}


def waiver_view(w: Waiver) -> dict:
    return {"id": w.id, "application_id": w.application_id, "status": w.status,
            "status_label": w.status_label, "reason": w.reason, "proof_type": w.proof_type,
            "created_at": w.created_at, "amount_fen": w.amount_fen, "decided_at": w.decided_at,
            "decision_note": w.decision_note}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def return_origins(settings) -> set[str]:
    """Where the provider may send the browser back to: the gateway (BAOKAO_PUBLIC_URL) by default."""
    extra = os.environ.get("BAOKAO_PAYMENT_RETURN_ORIGINS", "")
    return {_origin(u.strip()) for u in [settings.public_base_url, *extra.split(",")] if u.strip()}


def notify_url() -> str:
    return service_url("payment").rstrip("/") + "/api/payment/notify"


def create_app(runtime=None, verifier=None):
    if runtime is None:
        from services.payment.bootstrap import bootstrap
        runtime = bootstrap()
    provider = runtime.services["provider"]
    allowed_returns = return_origins(runtime.settings)
    api = Api("payment", "Payment", "Orders, the payment provider and its notifications.")

    @api.route("/me/orders", response=schemas.OrderOut, roles=("candidate",))
    def my_orders(principal):
        """My orders, newest first."""
        with runtime.uow() as uow:
            return [order_view(o) for o in orders.list_for(uow, principal.sub)]

    @api.route("/applications/<application_id>/order", response=schemas.OrderOut,
               roles=("candidate",))
    def application_order(application_id, principal):
        """The current order of one of my applications."""
        with runtime.uow() as uow:
            return order_view(orders.current_for_application(uow, application_id, principal.sub))

    @api.route("/orders/<order_number>/checkout", ["POST"], body=schemas.CheckoutIn,
               response=schemas.CheckoutOut, roles=("candidate",))
    def checkout(order_number, data, principal):
        """The provider's pay page for a pending order; the browser comes back to return_url."""
        if _origin(data["return_url"]) not in allowed_returns:
            raise Invalid("返回地址不在允许的范围内", code="return_url_not_allowed",
                          fields={"return_url": ["返回地址不在允许的范围内"]})
        with runtime.uow() as uow:
            return {"pay_url": payments.checkout(uow, provider, order_number, principal.sub,
                                                 data["return_url"], notify_url())}

    @api.route("/orders/<order_number>/refresh", ["POST"], response=schemas.OrderOut,
               roles=("candidate",))
    def refresh(order_number, principal):
        """查询缴费状态: ask the provider now (for "paid but shown unpaid")."""
        with runtime.uow() as uow:
            orders.get_owned(uow, order_number, principal.sub)
        try:
            payments.refresh(runtime.uow, provider, order_number)
        except ProviderUnavailable as exc:
            raise Invalid("支付平台暂时无法查询，请稍后再试", code="provider_unavailable",
                          status=503) from exc
        with runtime.uow() as uow:
            return order_view(orders.get_owned(uow, order_number, principal.sub))

    @api.route("/orders/<order_number>/refunds", response=schemas.RefundOut,
               roles=("candidate",))
    def my_refunds(order_number, principal):
        """Refunds of one of my orders (duplicate or late payments going back, and their state)."""
        with runtime.uow() as uow:
            orders.get_owned(uow, order_number, principal.sub)
            return [refund_view(r) for r in refunds.refunds_of_order(uow, order_number)]

    @api.route("/ops/orders/<order_number>/refunds", ["POST"], body=schemas.RefundIn,
               response=schemas.RefundOut, roles=("finance",), status=201)
    def request_refund(order_number, data, principal):
        """Finance refunds part or all of an order's payment (never more than was paid)."""
        with runtime.uow() as uow:
            return refund_view(refunds.request_refund(uow, order_number, data["amount_fen"],
                                                      data["reason"], principal.username or principal.sub))

    @api.route("/applications/<application_id>/waiver", ["POST"], response=schemas.WaiverOut,
               roles=("candidate",), status=201)
    def request_waiver(application_id, principal):
        """Ask for a fee waiver (multipart: ``reason``, ``proof`` = PDF or JPEG, at most 5 MB)."""
        upload = request.files.get("proof")
        proof = upload.stream.read(MAX_PROOF_BYTES + 1) if upload else b""
        with runtime.uow() as uow:
            return waiver_view(waivers.request(uow, application_id, principal.sub,
                                               request.form.get("reason", ""), proof))

    @api.route("/applications/<application_id>/waiver", response=schemas.WaiverOut,
               roles=("candidate",))
    def my_waiver(application_id, principal):
        """My latest fee-waiver request for the application and its decision."""
        with runtime.uow() as uow:
            return waiver_view(waivers.latest_for(uow, application_id, principal.sub))

    @api.route("/orders/<order_number>/receipt.pdf", roles=("candidate",))
    def receipt(order_number, principal):
        """The e-receipt (电子票据) of a paid order, as a PDF with a verification QR code."""
        with runtime.uow() as uow:
            number, pdf = receipts.pdf_for(uow, order_number, principal.sub,
                                           runtime.settings.public_base_url,
                                           runtime.settings.secret_key)
        resp = Response(pdf, 200, mimetype="application/pdf")
        resp.headers["Content-Disposition"] = f'inline; filename="{number}.pdf"'
        resp.headers["Cache-Control"] = "private, no-store"
        return resp

    @api.route("/receipts/<receipt_number>", response=schemas.ReceiptCheckOut, roles=None)
    def check_receipt(receipt_number):
        """Public check of an e-receipt (the QR code's URL; ``c`` is the check code)."""
        with runtime.uow() as uow:
            return receipts.verify(uow, receipt_number, request.args.get("c", ""),
                                   runtime.settings.secret_key)

    @api.route("/notify", ["POST"], roles=None)
    def notify():
        """The provider's asynchronous notification (form-encoded); answers "success" or "failure"."""
        form = request.form.to_dict()
        if not form:
            return Response("failure", 400, mimetype="text/plain")
        ok = payments.handle_notification(runtime.uow, provider, form)
        return Response("success" if ok else "failure", 200 if ok else 400,
                        mimetype="text/plain")

    app = create_service_app(runtime, api, ops=ops_blueprint(runtime), verifier=verifier,
                             template_dir=Path(__file__).parent / "templates")
    app.jinja_env.filters["yuan"] = format_yuan
    return app

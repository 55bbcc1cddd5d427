"""Events published by the payment service."""
from marshmallow import Schema, fields, validate

from services.common.contracts._fields import Fen, Id, Text
from services.common.events import contract


class _Order(Schema):
    order_number = fields.String(required=True)
    application_id = Id()
    candidate_id = Id()
    amount_fen = Fen()


@contract("payment.order.created", producer="payment",
          summary="An order was opened for an application's payment request.")
class OrderCreated(_Order):
    expires_at = fields.DateTime(required=True)


@contract("payment.order.paid", producer="payment",
          summary="The provider confirmed payment of an order (notification, query or statement).")
class OrderPaid(_Order):
    paid_at = fields.DateTime(required=True)
    provider_trade_no = fields.String(required=True)
    confirmed_by = fields.String(required=True,
                                 validate=validate.OneOf(["notification", "query", "statement"]))


@contract("payment.order.paid", producer="payment", version=2,
          summary="An order was paid: confirmed by the provider (notification, query or "
                  "statement), or settled without it when a fee waiver left nothing to pay.")
class OrderPaidV2(_Order):
    paid_at = fields.DateTime(required=True)
    provider_trade_no = fields.String(required=True)  # "" when confirmed_by is "waiver"
    confirmed_by = fields.String(required=True, validate=validate.OneOf(
        ["notification", "query", "statement", "waiver"]))
    waiver_id = fields.String(allow_none=True)


@contract("payment.order.expired", producer="payment",
          summary="An unpaid order passed its expiry and can no longer be paid.")
class OrderExpired(_Order):
    expired_at = fields.DateTime(required=True)


@contract("payment.order.refunded", producer="payment",
          summary="Money of an order was returned to the payer.")
class OrderRefunded(_Order):
    refund_number = fields.String(required=True)
    refunded_fen = Fen()
    reason = Text(required=True)
    refunded_at = fields.DateTime(required=True)


@contract("payment.order.cancelled", producer="payment",
          summary="An open order was closed unpaid because a newer payment request replaced it.")
class OrderCancelled(_Order):
    cancelled_at = fields.DateTime(required=True)
    reason = Text(required=True)
    replaced_by = fields.String(allow_none=True)


@contract("payment.refund.succeeded", producer="payment",
          summary="The provider returned money of one trade (any refund, partial or whole; "
                  "payment.order.refunded follows only when an order's payment is all back).")
class RefundSucceeded(Schema):
    refund_number = fields.String(required=True)
    order_number = fields.String(required=True)
    application_id = Id()
    candidate_id = Id()
    trade_no = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["duplicate_same_order", "duplicate_other_order", "late", "manual", "cancellation"]))
    refunded_fen = Fen()
    reason = Text(required=True)
    refunded_at = fields.DateTime(required=True)
    order_status = fields.String(required=True)


@contract("payment.discrepancy.found", producer="payment",
          summary="Reconciliation against the provider's daily statement found a difference "
                  "(fixed automatically or queued for finance).")
class DiscrepancyFound(Schema):
    discrepancy_id = Id()
    run_id = Id()
    statement_day = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["paid_not_here", "unknown_order", "missing_in_statement", "amount_mismatch",
         "state_mismatch", "duplicate_payment", "refund_mismatch"]))
    order_number = fields.String(required=True)
    trade_no = fields.String(allow_none=True)
    our_amount_fen = fields.Integer(allow_none=True)
    their_amount_fen = fields.Integer(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["open", "auto_fixed"]))

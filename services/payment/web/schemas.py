"""Request and response schemas of the payment API."""
from marshmallow import Schema, fields, validate


class CheckoutIn(Schema):
    return_url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                            validate=validate.Length(max=500))


class CheckoutOut(Schema):
    pay_url = fields.String(required=True)


class OrderOut(Schema):
    order_number = fields.String()
    application_id = fields.String()
    application_number = fields.String()
    description = fields.String()
    amount_fen = fields.Integer()
    status = fields.String()
    status_label = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)
    refunded_fen = fields.Integer()
    waived = fields.Boolean()
    receipt_available = fields.Boolean()


class RefundIn(Schema):
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class RefundOut(Schema):
    refund_number = fields.String()
    order_number = fields.String()
    amount_fen = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    reason = fields.String()
    status = fields.String()
    status_label = fields.String()
    created_at = fields.DateTime()
    not_before = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class WaiverOut(Schema):
    id = fields.String()
    application_id = fields.String()
    status = fields.String()
    status_label = fields.String()
    reason = fields.String()
    proof_type = fields.String()
    created_at = fields.DateTime()
    amount_fen = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)


class ReceiptCheckOut(Schema):
    valid = fields.Boolean()
    receipt_number = fields.String()
    order_number = fields.String()
    payer = fields.String()
    amount_fen = fields.Integer()
    paid_at = fields.DateTime()
    status_label = fields.String()

"""Events published by the verification service."""
from marshmallow import Schema, fields, validate

from services.common.contracts._fields import Id, Text
from services.common.events import contract

OUTCOMES = ["passed", "failed", "manual_check", "on_site_check"]


@contract("verification.education.verified", producer="verification",
          summary="An education claim was checked against the education registry (CHSI).",
          pii="none beyond the candidate id")
class EducationVerified(Schema):
    candidate_id = Id()
    check_id = Id()
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = Text(allow_none=True)
    education_level = fields.String(allow_none=True)
    major = Text(allow_none=True)
    graduation_date = fields.Date(allow_none=True)
    checked_at = fields.DateTime(required=True)


@contract("verification.degree.verified", producer="verification",
          summary="A degree claim was checked against the degree registry (学位网).",
          pii="none beyond the candidate id")
class DegreeVerified(Schema):
    candidate_id = Id()
    check_id = Id()
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = Text(allow_none=True)
    degree_level = fields.String(allow_none=True)
    degree_type = Text(allow_none=True)
    major = Text(allow_none=True)
    awarded_date = fields.Date(allow_none=True)
    checked_at = fields.DateTime(required=True)


@contract("verification.identity.verified", producer="verification",
          summary="A candidate's name and document number were checked with the public-security "
                  "identity service (公民身份信息核查).",
          pii="none beyond the candidate id (the document number never travels)")
class IdentityVerified(Schema):
    candidate_id = Id()
    check_id = Id()
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = Text(allow_none=True)
    document_type = fields.String(allow_none=True)
    checked_at = fields.DateTime(required=True)


@contract("verification.review.escalated", producer="verification",
          summary="A manual-review item passed its deadline (working days, holiday calendar) "
                  "without a decision: exam admins of its province take it over.",
          pii="none beyond the candidate id")
class ReviewEscalated(Schema):
    item_id = Id()
    candidate_id = Id()
    kind = fields.String(required=True)
    province = fields.String(allow_none=True)
    review_point = fields.String(allow_none=True)
    status = fields.String(required=True)
    claimed_by = fields.String(allow_none=True)
    deadline = fields.DateTime(required=True)
    escalated_at = fields.DateTime(required=True)

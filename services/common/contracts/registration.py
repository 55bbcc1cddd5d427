"""Events published by the registration service."""
from marshmallow import Schema, fields, validate

from services.common.contracts._fields import Fen, Id, Text
from services.common.events import contract


@contract("registration.application.submitted", producer="registration",
          summary="A candidate submitted an exam application; it now awaits qualification review.")
class ApplicationSubmitted(Schema):
    application_id = Id()
    application_number = fields.String(required=True)
    candidate_id = Id()
    sitting_id = Id()
    exam_code = fields.String(required=True)
    province = fields.String(required=True)
    level = fields.String(required=True)
    specialty = fields.String(allow_none=True)
    subjects = fields.List(fields.String(), required=True)
    submitted_at = fields.DateTime(required=True)


@contract("registration.application.submitted", producer="registration", version=2,
          summary="v2 adds the review point (审核点) the candidate chose, so verification files "
                  "the candidate's items in that point's queue, not only the province's.")
class ApplicationSubmittedV2(ApplicationSubmitted):
    review_point = fields.String(allow_none=True)


@contract("registration.application.reviewed", producer="registration",
          summary="Qualification review decided an application (approved or returned).")
class ApplicationReviewed(Schema):
    application_id = Id()
    application_number = fields.String(required=True)
    candidate_id = Id()
    outcome = fields.String(required=True, validate=validate.OneOf(["approved", "returned"]))
    reason = Text(allow_none=True)
    mode = fields.String(required=True, validate=validate.OneOf(["automatic", "online", "on_site"]))
    reviewed_at = fields.DateTime(required=True)


@contract("registration.payment.requested", producer="registration",
          summary="An approved application must be paid; payment creates the order.")
class PaymentRequested(Schema):
    application_id = Id()
    application_number = fields.String(required=True)
    candidate_id = Id()
    province = fields.String(required=True)
    description = fields.String(required=True)
    fee_per_subject_fen = Fen()
    subject_count = fields.Integer(required=True, validate=validate.Range(min=1, max=20))
    amount_fen = Fen()
    payment_deadline = fields.DateTime(required=True)


@contract("registration.admit_card.issued", producer="registration",
          summary="An admit card with a seat was issued for a paid application.")
class AdmitCardIssued(Schema):
    application_id = Id()
    application_number = fields.String(required=True)
    candidate_id = Id()
    admit_card_number = fields.String(required=True)
    exam_name = fields.String(required=True)
    site = fields.String(required=True)
    room = fields.String(required=True)
    seat = fields.Integer(required=True)


class SubjectScore(Schema):
    subject_code = fields.String(required=True)
    subject_name = fields.String(required=True)
    score = fields.Decimal(as_string=True, allow_none=True)
    status_code = fields.Integer(allow_none=True)  # -1 absent, -2 violation, -4 void (seed 004)
    passed = fields.Boolean(required=True)


@contract("registration.scores.published", producer="registration",
          summary="Scores of one application were published to the candidate.")
class ScoresPublished(Schema):
    application_id = Id()
    application_number = fields.String(required=True)
    candidate_id = Id()
    exam_name = fields.String(required=True)
    scores = fields.List(fields.Nested(SubjectScore), required=True)
    published_at = fields.DateTime(required=True)


@contract("registration.candidate.qualified", producer="registration",
          summary="A candidate passed every required subject: certificates issues the certificate.",
          pii="holder name and masked document number: they are printed on the certificate.")
class CandidateQualified(Schema):
    qualification_id = Id()
    candidate_id = Id()
    holder_name = fields.String(required=True)
    document_number_masked = fields.String(required=True)
    exam_code = fields.String(required=True)
    exam_name = fields.String(required=True)
    level = fields.String(required=True)
    specialty = fields.String(allow_none=True)
    sitting_year = fields.Integer(required=True)
    issuing_authority = fields.String(required=True)
    qualified_on = fields.Date(required=True)


@contract("registration.application.cancelled", producer="registration",
          summary="The sitting or position of an application was cancelled by the exam admin "
                  "(too few applicants, seed 001): tell the candidate.")
class ApplicationCancelled(Schema):
    application_id = Id()
    application_number = fields.String(required=True)
    candidate_id = Id()
    sitting_id = Id()
    exam_name = fields.String(required=True)
    reason = Text(required=True)
    refund = fields.Boolean(required=True)  # a paid application: a refund was requested too
    cancelled_at = fields.DateTime(required=True)


@contract("registration.refund.requested", producer="registration",
          summary="A paid application was cancelled by the exam authority: refund its order in "
                  "full to the original payer.")
class RefundRequested(Schema):
    application_id = Id()
    application_number = fields.String(required=True)
    candidate_id = Id()
    order_number = fields.String(required=True)
    amount_fen = Fen()
    reason = Text(required=True)
    requested_at = fields.DateTime(required=True)


@contract("registration.score_review.answered", producer="registration",
          summary="A score review (成绩复核) was answered: unchanged, or corrected to a new score.")
class ScoreReviewAnswered(Schema):
    review_id = Id()
    application_id = Id()
    candidate_id = Id()
    subject_code = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(["unchanged", "corrected"]))
    old_score = fields.Decimal(as_string=True, allow_none=True)
    new_score = fields.Decimal(as_string=True, allow_none=True)
    answer = Text(required=True)
    answered_at = fields.DateTime(required=True)


@contract("registration.notice.started", producer="registration",
          summary="A candidate who passed every subject is on public notice (公示) until notice_ends_at; "
                  "objections may be lodged with the exam authority.")
class NoticeStarted(Schema):
    application_id = Id()
    candidate_id = Id()
    exam_code = fields.String(required=True)
    notice_ends_at = fields.DateTime(required=True)


@contract("registration.application.expired", producer="registration",
          summary="An approved application was not paid before its payment deadline (the close of "
                  "the province's payment window, seed 004) and has expired: payment closes its "
                  "open orders and refunds money that still arrives.")
class ApplicationExpired(Schema):
    application_id = Id()
    application_number = fields.String(required=True)
    candidate_id = Id()
    sitting_id = Id()
    province = fields.String(required=True)
    payment_deadline = fields.DateTime(required=True)
    expired_at = fields.DateTime(required=True)


# -- professional titles (职称申报, seed 003) ---------------------------------------------------
TITLE_TYPES = ["initial", "confirmation", "review"]
TITLE_LEVELS = ["初级", "中级", "副高级", "正高级"]


class _TitleApplicationFact(Schema):
    application_id = Id()
    application_number = fields.String(required=True)
    candidate_id = Id()
    application_type = fields.String(required=True, validate=validate.OneOf(TITLE_TYPES))
    unit_id = Id()
    plan_id = fields.String(allow_none=True)
    at = fields.DateTime(required=True)


@contract("registration.title_application.submitted", producer="registration",
          summary="A professional submitted (or resubmitted) a title application (申报书); it now "
                  "waits for the accepting unit.")
class TitleApplicationSubmitted(_TitleApplicationFact):
    title_name = fields.String(required=True)
    title_level = fields.String(required=True, validate=validate.OneOf(TITLE_LEVELS))
    deadline_at = fields.DateTime(allow_none=True)


@contract("registration.title_application.withdrawn", producer="registration",
          summary="The professional withdrew a title application before the unit started review.")
class TitleApplicationWithdrawn(_TitleApplicationFact):
    pass


@contract("registration.title_application.returned", producer="registration",
          summary="An accepting unit or the reviewing authority returned a title application to "
                  "the professional with a reason; it can be modified and resubmitted.")
class TitleApplicationReturned(_TitleApplicationFact):
    returned_by = fields.String(required=True)  # the unit's or authority's name
    reason = Text(required=True)


@contract("registration.title_application.forwarded", producer="registration",
          summary="The accepting unit forwarded a title-review application to the reviewing "
                  "authority (评审机构).")
class TitleApplicationForwarded(_TitleApplicationFact):
    forwarded_by = fields.String(required=True)
    deadline_at = fields.DateTime(allow_none=True)


@contract("registration.title_application.decided", producer="registration",
          summary="A title application was decided (approved or not): by the accepting unit for "
                  "初定 / 确认, by the review committee's vote for 评审. Approved ones get a title "
                  "certificate from the certificates service.",
          pii="holder name and masked document number: they are printed on the title certificate.")
class TitleApplicationDecided(Schema):
    application_id = Id()
    application_number = fields.String(required=True)
    candidate_id = Id()
    holder_name = fields.String(required=True)
    document_number_masked = fields.String(required=True)
    application_type = fields.String(required=True, validate=validate.OneOf(TITLE_TYPES))
    title_name = fields.String(required=True)
    title_level = fields.String(required=True, validate=validate.OneOf(TITLE_LEVELS))
    series = fields.String(required=True)
    specialty = fields.String(allow_none=True)
    approved = fields.Boolean(required=True)
    votes_for = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    votes_against = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    votes_abstain = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    decided_by = fields.String(required=True)
    issuing_authority = fields.String(required=True)
    decided_on = fields.Date(required=True)

"""Events published by the identity service."""
from marshmallow import Schema, fields, validate

from services.common.contracts._fields import Id, Text
from services.common.events import contract


class EducationClaim(Schema):
    level = fields.String(required=True, validate=validate.OneOf(
        ["无", "中专", "大专", "本科", "硕士研究生", "博士研究生"]))
    school = Text(allow_none=True)
    major = Text(allow_none=True)
    graduation_date = fields.Date(allow_none=True)
    certificate_number = Text(allow_none=True)
    study_mode = fields.String(allow_none=True, validate=validate.OneOf(["全日制", "非全日制"]))


@contract("identity.candidate.registered", producer="identity",
          summary="A candidate created an account and confirmed their education claim.",
          pii="name, masked document number, and the education certificate number: the "
              "verification service needs the latter to query the education registry.")
class CandidateRegistered(Schema):
    candidate_id = Id()
    username = fields.String(required=True)
    name = fields.String(required=True)
    document_type = fields.String(required=True)
    document_number_masked = fields.String(required=True)
    birth_date = fields.Date(allow_none=True)
    education = fields.Nested(EducationClaim, required=True)
    registered_at = fields.DateTime(required=True)


@contract("identity.profile.changed", producer="identity",
          summary="A candidate changed name, document, education, degree or phone.",
          pii="the changed fields only; document and phone numbers masked.")
class ProfileChanged(Schema):
    candidate_id = Id()
    changed = fields.List(fields.String(validate=validate.OneOf(
        ["name", "document", "education", "degree", "phone", "email"])), required=True)
    name = fields.String(allow_none=True)
    document_number_masked = fields.String(allow_none=True)
    education = fields.Nested(EducationClaim, allow_none=True)
    changed_at = fields.DateTime(required=True)


class DegreeClaim(Schema):
    """A degree as the candidate entered it; level "无" when none (seed 000)."""
    level = fields.String(required=True, validate=validate.OneOf(["无", "学士", "硕士", "博士"]))
    degree_type = Text(allow_none=True)  # e.g. 工学学士
    school = Text(allow_none=True)
    major = Text(allow_none=True)
    awarded_date = fields.Date(allow_none=True)
    certificate_number = Text(allow_none=True)


@contract("identity.candidate.registered", producer="identity", version=2,
          summary="A candidate created an account and confirmed their education claim "
                  "(v2 adds the degree claim, null when not entered).",
          pii="as v1, plus the degree certificate number: verification needs it to query the "
              "degree registry.")
class CandidateRegisteredV2(CandidateRegistered):
    degree = fields.Nested(DegreeClaim, allow_none=True, load_default=None)


@contract("identity.profile.changed", producer="identity", version=2,
          summary="A candidate changed name, document, education, degree, phone or e-mail "
                  "(v2 adds the masked phone and the degree claim).",
          pii="the changed fields only: name, education and degree because verification "
              "re-checks them; document and phone numbers masked (consumers only show them); "
              "never the e-mail address.")
class ProfileChangedV2(ProfileChanged):
    phone_masked = fields.String(allow_none=True)
    degree = fields.Nested(DegreeClaim, allow_none=True)


@contract("identity.account.locked", producer="identity",
          summary="An account was locked after repeated failed sign-ins (5 → 15 minutes) or by "
                  "staff; security monitoring and the auditor's tools listen.",
          pii="the user name only (who to contact); no document, phone or IP address.")
class AccountLocked(Schema):
    account_id = Id()
    username = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(
        ["too_many_failures", "staff"]))
    locked_until = fields.DateTime(allow_none=True)
    locked_at = fields.DateTime(required=True)


@contract("identity.photo.uploaded", producer="identity",
          summary="A candidate saved a standard photo (295×413 JPEG); status 'current', or "
                  "'change_requested' when the previous photo was locked.",
          pii="none beyond the candidate id: the image stays in identity and is fetched by "
              "its id by services allowed to show it; only its SHA-256 travels.")
class PhotoUploaded(Schema):
    candidate_id = Id()
    photo_id = Id()
    status = fields.String(required=True, validate=validate.OneOf(["current", "change_requested"]))
    sha256 = fields.String(required=True, validate=validate.Length(equal=64))
    size = fields.Integer(required=True)
    uploaded_at = fields.DateTime(required=True)


@contract("identity.photo.locked", producer="identity",
          summary="A photo passed review and is locked: admit cards and certificates use it; "
                  "changing it now needs a request staff approve.",
          pii="none beyond the candidate id and the photo's hash.")
class PhotoLocked(Schema):
    candidate_id = Id()
    photo_id = Id()
    sha256 = fields.String(required=True, validate=validate.Length(equal=64))
    locked_by = fields.String(required=True)
    locked_at = fields.DateTime(required=True)

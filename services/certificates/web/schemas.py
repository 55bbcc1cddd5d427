"""Request and response shapes of the certificates API."""
from marshmallow import Schema, fields, validate


class VerifyQuery(Schema):
    number = fields.String(required=True, validate=validate.Length(
        min=1, max=40))  # room for the spaces and hyphens people type
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))


class KindFields(Schema):
    """Which kind of certificate; for a professional title (kind ``title``) what it states."""
    kind = fields.String(metadata={"enum": ["qualification", "title"]})
    kind_label = fields.String()
    series = fields.String(allow_none=True)
    title_name = fields.String(allow_none=True)
    title_level = fields.String(allow_none=True)
    application_type = fields.String(allow_none=True, metadata={
        "enum": ["initial", "confirmation", "review"]})
    application_type_label = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)


class CertificateView(KindFields):
    number = fields.String()
    holder_name = fields.String()
    document_number_masked = fields.String()
    title = fields.String()
    specialty = fields.String(allow_none=True)
    issued_on = fields.Date()
    issuing_authority = fields.String()
    version = fields.Integer()


class VerificationOut(Schema):
    status = fields.String(metadata={"enum": ["valid", "revoked", "corrected", "not_found"]})
    signature_valid = fields.Boolean()
    superseded_by_version = fields.Integer(metadata={"description": "only when corrected"})
    certificate = fields.Nested(CertificateView, allow_none=True)


class MyCertificatesQuery(Schema):
    kind = fields.String(validate=validate.OneOf(["qualification", "title"]))


class MyCertificateOut(KindFields):
    number = fields.String()
    title = fields.String()
    specialty = fields.String(allow_none=True)
    issuing_authority = fields.String()
    issued_on = fields.Date()
    status = fields.String()
    version = fields.Integer()
    verification_url = fields.String()
    national_state = fields.String(allow_none=True, metadata={
        "description": "titles only: pending | reported | failed (null: not reported)"})
    national_state_label = fields.String(metadata={"description": "titles only, e.g. 已上报"})


class IssuerOut(Schema):
    id = fields.String()
    name = fields.String()
    keys = fields.String()


class VerifyQueryV2(VerifyQuery):
    version = fields.Integer(validate=validate.Range(min=1, max=100000))


class CredentialCheckOut(Schema):
    status = fields.String(metadata={"enum": ["valid", "revoked", "corrected", "invalid"]})
    signature_valid = fields.Boolean()
    reason = fields.String(metadata={"enum": ["ok", "revoked", "superseded", "bad_signature",
                                              "unknown_key", "unsupported_proof", "malformed",
                                              "unknown_certificate"]})
    message = fields.String()
    superseded_by_version = fields.Integer()
    certificate = fields.Nested(CertificateView, allow_none=True)


class VersionOut(Schema):
    version = fields.Integer()
    holder_name = fields.String()
    document_number_masked = fields.String()
    issued_at = fields.DateTime()
    status = fields.String(metadata={"enum": ["valid", "superseded", "revoked"]})
    status_label = fields.String()
    superseded_at = fields.DateTime(allow_none=True)


class ProofOut(Schema):
    id = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()


class CorrectionOut(Schema):
    id = fields.String()
    number = fields.String()
    kind = fields.String(metadata={"enum": ["name", "document"]})
    old_value = fields.String()
    new_value = fields.String()
    note = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["pending", "approved", "rejected"]})
    status_label = fields.String()
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decided_by_name = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    proofs = fields.List(fields.Nested(ProofOut))


class CorrectionForm(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["name", "document"]))
    new_value = fields.String(required=True, validate=validate.Length(min=1, max=60))
    note = fields.String(validate=validate.Length(max=500))


class CorrectionItem(CorrectionOut):
    """CorrectionOut inside a history (its own name: OpenAPI components must be unique)."""


class HistoryOut(Schema):
    number = fields.String()
    version = fields.Integer()
    status = fields.String()
    versions = fields.List(fields.Nested(VersionOut))
    corrections = fields.List(fields.Nested(CorrectionItem))


class ShareIn(Schema):
    pin = fields.String(required=True, validate=validate.Length(min=1, max=40))
    label = fields.String(validate=validate.Length(max=100))
    days = fields.Integer(validate=validate.Range(min=1, max=180))


class ShareOut(Schema):
    id = fields.String()
    number = fields.String()
    label = fields.String(allow_none=True)
    url = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    state = fields.String(metadata={"enum": ["active", "revoked", "expired", "locked"]})
    views = fields.Integer()
    failed_attempts = fields.Integer()
    last_viewed_at = fields.DateTime(allow_none=True)


class PinIn(Schema):
    pin = fields.String(required=True, validate=validate.Length(min=1, max=40))


class PhotoOut(Schema):
    available = fields.Boolean()
    status = fields.String(metadata={"enum": ["ok", "none", "unavailable"]})
    url = fields.String(allow_none=True, metadata={"description": "data:image/jpeg;base64,…"})
    placeholder = fields.String(allow_none=True)


class SharedOut(Schema):
    status = fields.String(metadata={"enum": ["valid", "revoked"]})
    signature_valid = fields.Boolean()
    certificate = fields.Nested(CertificateView)
    holder_photo = fields.Nested(PhotoOut)
    expires_at = fields.DateTime()


class MailingIn(Schema):
    recipient = fields.String(required=True, validate=validate.Length(min=1, max=50))
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))
    kind = fields.String(load_default="first", validate=validate.OneOf(["first", "replacement"]))
    reason = fields.String(validate=validate.OneOf(["lost", "damaged"]))


class ReplacementForm(Schema):
    """The text fields of a replacement request (multipart; the files are read separately)."""
    recipient = fields.String(required=True, validate=validate.Length(min=1, max=50))
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))
    reason = fields.String(required=True, validate=validate.OneOf(["lost", "damaged"]))
    id_document_type = fields.String(required=True, validate=validate.OneOf(
        ["resident_id", "social_security_card"]))


class MaterialOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"enum": ["application_form", "id_document", "photo"]})
    position = fields.Integer()
    label = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class MailingOut(Schema):
    id = fields.String()
    number = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    reason = fields.String(allow_none=True)
    recipient = fields.String()
    address = fields.String()
    phone_masked = fields.String()
    state = fields.String(metadata={"enum": ["materials_review", "rejected", "requested",
                                             "printed", "shipped", "delivered", "cancelled"]})
    state_label = fields.String()
    tracking_number = fields.String(allow_none=True)
    requested_at = fields.DateTime()
    updated_at = fields.DateTime()
    printed_at = fields.DateTime(allow_none=True)
    shipped_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    id_document_type = fields.String(metadata={"description": "replacements only"})
    id_document_label = fields.String()
    rejection_reason = fields.String(allow_none=True, metadata={
        "description": "replacements whose materials were rejected: the officer's reason"})
    reviewed_at = fields.DateTime(allow_none=True)
    reviewed_by_name = fields.String(allow_none=True)
    materials = fields.List(fields.Nested(MaterialOut), metadata={
        "description": "replacements only: the uploaded materials (files for officers)"})


class ReplacementEligibilityOut(Schema):
    allowed = fields.Boolean()
    code = fields.String(metadata={"enum": ["ok", "replacement_not_offered",
                                            "replacement_out_of_scope", "nothing_to_replace",
                                            "mailing_active", "certificate_revoked"]})
    message = fields.String()


class RejectIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class MailingStateIn(Schema):
    state = fields.String(required=True, validate=validate.OneOf(
        ["printed", "shipped", "delivered", "cancelled"]))
    tracking_number = fields.String(validate=validate.Length(max=40))


class RevocationIn(Schema):
    reason_code = fields.String(required=True, validate=validate.OneOf(
        ["fraud", "issued_in_error", "court_or_authority", "other"]))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RevocationOut(Schema):
    id = fields.String()
    number = fields.String()
    reason_code = fields.String()
    reason = fields.String()
    status = fields.String(metadata={"enum": ["pending", "approved", "rejected"]})
    requested_by = fields.String()
    requested_by_name = fields.String()
    requested_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_by_name = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class DecisionIn(Schema):
    note = fields.String(validate=validate.Length(max=500))


class StatusQuery(Schema):
    status = fields.String(validate=validate.OneOf(["pending", "approved", "rejected"]))


class BatchIn(Schema):
    qualification_ids = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                                    required=True, validate=validate.Length(min=1, max=5000))


class BatchOut(Schema):
    id = fields.String()
    created_by_name = fields.String()
    created_at = fields.DateTime()
    total = fields.Integer()
    done = fields.Integer()
    failed = fields.Integer()
    percent = fields.Integer()
    finished_at = fields.DateTime(allow_none=True)


class NationalStatusOut(Schema):
    """The report of a title certificate to the national platform (上报人社部)."""
    number = fields.String()
    state = fields.String(allow_none=True, metadata={"enum": ["pending", "reported", "failed"]})
    state_label = fields.String(metadata={"description": "上报中 / 已上报 / 上报失败，将自动重试"})
    version = fields.Integer(allow_none=True, metadata={"description": "the version to report"})
    current_version = fields.Integer()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    requested_by = fields.String(metadata={"enum": ["system", "holder", "officer"]})
    requested_at = fields.DateTime()
    holder_requested_at = fields.DateTime(allow_none=True)
    reported_version = fields.Integer(allow_none=True)
    reported_at = fields.DateTime(allow_none=True)
    receipt = fields.String(allow_none=True)


class NationalReportOut(NationalStatusOut):
    """The same, as the answer of a re-queue or the officers' list (named apart for OpenAPI)."""


class NationalField(Schema):
    field = fields.String()
    label = fields.String()
    ours = fields.String()
    theirs = fields.String(allow_none=True, metadata={"description": "null: the platform has none"})
    differs = fields.Boolean()


class NationalHeld(Schema):
    version = fields.Integer()
    receipt = fields.String()
    received_at = fields.DateTime()


class NationalPlatformView(Schema):
    available = fields.Boolean()
    message = fields.String()
    mismatch = fields.Boolean(allow_none=True)
    held = fields.Nested(NationalHeld, allow_none=True)
    fields_ = fields.List(fields.Nested(NationalField), data_key="fields", attribute="fields")


class NationalOut(Schema):
    status = fields.Nested(NationalStatusOut)
    platform = fields.Nested(NationalPlatformView, allow_none=True,
                             metadata={"description": "only with compare=true"})


class NationalQuery(Schema):
    compare = fields.Boolean(load_default=False)


class NationalStateQuery(Schema):
    state = fields.String(validate=validate.OneOf(["pending", "reported", "failed"]))

"""Events published by the certificates service."""
from marshmallow import Schema, fields, validate

from services.common.contracts._fields import Id, Text
from services.common.events import contract


@contract("certificates.certificate.issued", producer="certificates",
          summary="A signed e-certificate was issued for a qualification or a professional title.")
class CertificateIssued(Schema):
    certificate_number = fields.String(required=True)
    # The source fact: a qualification id, or for kind=title the title application's id.
    qualification_id = Id()
    candidate_id = Id()
    title = fields.String(required=True)
    issued_on = fields.Date(required=True)
    verification_url = fields.String(required=True)
    # Optional (added compatibly): absent means a qualification certificate.
    kind = fields.String(validate=validate.OneOf(["qualification", "title"]))
    application_id = fields.String(validate=validate.Length(min=1, max=64),
                                   metadata={"description": "kind=title: the title application"})


@contract("certificates.certificate.corrected", producer="certificates",
          summary="A correction (补正) was approved: version N+1 was signed, N is superseded.")
class CertificateCorrected(Schema):
    certificate_number = fields.String(required=True)
    candidate_id = Id()
    qualification_id = Id()
    version = fields.Integer(required=True)
    previous_version = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["name", "document"]))
    correction_id = Id()
    corrected_at = fields.DateTime(required=True)


@contract("certificates.certificate.revoked", producer="certificates",
          summary="Two certificate officers revoked a certificate; it verifies as revoked.")
class CertificateRevoked(Schema):
    certificate_number = fields.String(required=True)
    candidate_id = Id()
    qualification_id = Id()
    version = fields.Integer(required=True)
    reason = Text(required=True)
    requested_by = Id()
    approved_by = Id()
    revoked_at = fields.DateTime(required=True)


@contract("certificates.mailing.changed", producer="certificates",
          summary="A paper certificate mailing was requested or moved on "
                  "(printed, shipped with a tracking number, delivered, cancelled). A "
                  "replacement (kind 'replacement') starts in 'materials_review' and goes to "
                  "'requested' or 'rejected'; consumers should ignore states they do not know.")
class MailingChanged(Schema):
    mailing_id = Id()
    certificate_number = fields.String(required=True)
    candidate_id = Id()
    kind = fields.String(required=True, validate=validate.OneOf(["first", "replacement"]))
    # Added without a new version (only more values): materials_review, rejected.
    state = fields.String(required=True, validate=validate.OneOf(
        ["requested", "printed", "shipped", "delivered", "cancelled", "materials_review",
         "rejected"]))
    tracking_number = fields.String()
    changed_at = fields.DateTime(required=True)


@contract("certificates.national_report.acknowledged", producer="certificates", version=1,
          summary="The national platform (人社部专业技术人员职称信息平台) acknowledged a title "
                  "certificate's version, once per queued report (issuance, approved correction, "
                  "re-report by the holder or an officer) whatever the retries or duplicate "
                  "acknowledgements. No personal data: read the certificate.")
class NationalReportAcknowledged(Schema):
    certificate_number = fields.String(required=True)
    candidate_id = Id()
    version = fields.Integer(required=True)
    receipt = fields.String(required=True, validate=validate.Length(min=1, max=64),
                            metadata={"description": "the platform's receipt number"})
    duplicate = fields.Boolean(required=True, metadata={
        "description": "the platform already held it (an earlier answer was lost)"})
    requested_by = fields.String(required=True,
                                 validate=validate.OneOf(["system", "holder", "officer"]))
    reported_at = fields.DateTime(required=True)

"""Request and response shapes of the registration API."""
from marshmallow import Schema, fields, validate

Code = lambda **kw: fields.String(validate=validate.Length(min=1, max=20), **kw)  # noqa: E731


class ApplyIn(Schema):
    sitting_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    province = Code(required=True)
    city = Code(required=True)
    level = Code(required=True)
    specialty = Code(allow_none=True, load_default=None)
    subjects = fields.List(Code(), required=True, validate=validate.Length(min=1, max=20))


class WindowOut(Schema):
    start = fields.DateTime()
    end = fields.DateTime(allow_none=True)


class OpenProvinceOut(Schema):
    code = fields.String()
    name = fields.String()
    application_window = fields.Nested(WindowOut)


class OpenSittingOut(Schema):
    sitting_id = fields.String()
    exam_code = fields.String()
    exam_name = fields.String()
    year = fields.Integer()
    provinces = fields.List(fields.Nested(OpenProvinceOut))


class NamedOut(Schema):
    code = fields.String()
    name = fields.String()


class SubjectOut(NamedOut):
    fee_fen = fields.Integer(allow_none=True)
    exemptable = fields.Boolean()
    pass_mark = fields.Integer()
    full_mark = fields.Integer()


class LevelOut(NamedOut):
    min_education = fields.String(allow_none=True)
    specialties = fields.List(fields.Nested(NamedOut))
    subjects = fields.List(fields.Nested(SubjectOut))


class WindowsOut(Schema):
    application = fields.Nested(WindowOut, allow_none=True)
    payment = fields.Nested(WindowOut, allow_none=True)
    admit_card = fields.Nested(WindowOut, allow_none=True)
    scores = fields.Nested(WindowOut, allow_none=True)


class ReviewPointOut(NamedOut):
    address = fields.String(allow_none=True)


class CityOut(NamedOut):
    review_points = fields.List(fields.Nested(ReviewPointOut))


class ProvinceOut(NamedOut):
    fee_per_subject_fen = fields.Integer()
    cities = fields.List(fields.Nested(CityOut))
    windows = fields.Nested(WindowsOut)


class SittingOut(Schema):
    sitting_id = fields.String()
    exam_code = fields.String()
    exam_name = fields.String()
    year = fields.Integer()
    name = fields.String()
    exam_date = fields.Date()
    review_mode = fields.String()
    settings = fields.Nested("ExamSettingsOut")
    levels = fields.List(fields.Nested(LevelOut))
    provinces = fields.List(fields.Nested(ProvinceOut))


class AdmitCardOut(Schema):
    number = fields.String()
    site = fields.String()
    address = fields.String()
    room = fields.String()
    seat = fields.Integer()
    exam_date = fields.Date()


class AdmitCardCheckOut(Schema):
    number = fields.String()
    valid = fields.Boolean()
    holder_name_masked = fields.String()
    exam_name = fields.String()
    site = fields.String()
    room = fields.String()
    seat = fields.Integer()
    exam_date = fields.Date()


class ScoreOut(Schema):
    subject_code = fields.String()
    subject_name = fields.String()
    score = fields.String(allow_none=True)
    status_code = fields.Integer(allow_none=True)
    status_label = fields.String(allow_none=True)
    passed = fields.Boolean()
    pass_mark = fields.Integer()


class HistoryOut(Schema):
    at = fields.String()
    state = fields.String()
    note = fields.String()


class ApplicationOut(Schema):
    id = fields.String()
    application_number = fields.String()
    sitting_id = fields.String()
    exam_code = fields.String()
    exam_name = fields.String()
    year = fields.Integer()
    province = fields.String()
    province_name = fields.String()
    city = fields.String()
    city_name = fields.String(allow_none=True)
    level = fields.String()
    level_name = fields.String(allow_none=True)
    specialty = fields.String(allow_none=True)
    specialty_name = fields.String(allow_none=True)
    subjects = fields.List(fields.Nested(NamedOut))
    state = fields.String()
    state_label = fields.String()
    next_step = fields.String()
    next_action = fields.String()
    amount_fen = fields.Integer()
    fee_per_subject_fen = fields.Integer()
    payment_deadline = fields.DateTime(allow_none=True)
    review_reason = fields.String(allow_none=True)
    admit_card = fields.Nested(AdmitCardOut, allow_none=True)
    scores = fields.List(fields.Nested(ScoreOut), allow_none=True)
    qualified = fields.Boolean()
    history = fields.List(fields.Nested(HistoryOut))
    created_at = fields.DateTime()


class ImportReportOut(Schema):
    rows = fields.Integer()
    accepted = fields.Integer()


class PublishReportOut(Schema):
    published = fields.Integer()
    qualified = fields.Integer()
    incomplete = fields.Integer()


# -- the seed-002 flow ------------------------------------------------------------------------
class ExemptIn(Schema):
    code = Code(required=True)
    basis = fields.String(required=True, validate=validate.Length(min=1, max=200))


class FormIn(Schema):
    city = Code(required=True)
    review_point = Code(allow_none=True, load_default=None)
    level = Code(required=True)
    specialty = Code(allow_none=True, load_default=None)
    subjects = fields.List(Code(), required=True, validate=validate.Length(min=1, max=20))
    exempt_subjects = fields.List(fields.Nested(ExemptIn), load_default=list,
                                  validate=validate.Length(max=20))
    commitment_mode = fields.Boolean(required=True)


class DraftIn(FormIn):
    sitting_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    province = Code(required=True)
    notice_accepted = fields.Boolean(required=True)


class CommitmentIn(Schema):
    commit = fields.Boolean(required=True)


class CommitmentOut(Schema):
    sitting_id = fields.String()
    offered = fields.Boolean()
    choice = fields.String(allow_none=True)
    chosen_at = fields.DateTime(allow_none=True)
    can_commit = fields.Boolean()
    notice = fields.String()
    letter = fields.String()
    exam_notice = fields.String()


class LetterIn(Schema):
    agreed = fields.Boolean(required=True, validate=validate.Equal(True, error="请勾选同意告知承诺书"))


class ProofOut(Schema):
    id = fields.String()
    kind = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    uploaded_at = fields.DateTime()


class ExemptOut(Schema):
    code = fields.String()
    name = fields.String(allow_none=True)
    basis = fields.String()


class SessionOut(Schema):
    subject_code = fields.String()
    subject_name = fields.String()
    date = fields.Date()
    starts = fields.String()
    ends = fields.String()
    site = fields.String()
    address = fields.String()
    room = fields.String()
    seat = fields.Integer()


class QualificationOut(Schema):
    stage = fields.String()
    stage_label = fields.String()
    note = fields.String(allow_none=True)
    notice_ends_at = fields.DateTime(allow_none=True)


class ApplicationFullOut(ApplicationOut):
    archive_number = fields.String(allow_none=True)
    review_point = fields.String(allow_none=True)
    review_point_name = fields.String(allow_none=True)
    review_mode = fields.String()
    commitment_mode = fields.Boolean()
    letter_signed_at = fields.DateTime(allow_none=True)
    exempt_subjects = fields.List(fields.Nested(ExemptOut))
    warnings = fields.List(fields.String())
    proofs = fields.List(fields.Nested(ProofOut))
    needs_proofs = fields.Boolean()
    editable = fields.Boolean()
    admit_card_sessions = fields.List(fields.Nested(SessionOut), allow_none=True)
    qualification = fields.Nested(QualificationOut, allow_none=True)


class DecisionIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["approve", "return"]))
    reason = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class ReviewItemOut(Schema):
    id = fields.String()
    application_number = fields.String()
    sitting_id = fields.String()
    province = fields.String()
    city = fields.String()
    review_point = fields.String(allow_none=True)
    level = fields.String()
    review_mode = fields.String()
    commitment_mode = fields.Boolean()
    state = fields.String()
    updated_at = fields.DateTime()


class AllocateIn(Schema):
    province = Code(required=True)
    seed = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=0, max=2**63 - 1))


class DrawOut(Schema):
    sitting_id = fields.String()
    province = fields.String()
    seed = fields.String()
    candidates = fields.Integer()
    seated = fields.Integer()
    unseated = fields.Integer()


class ProofItemOut(ProofOut):
    """The same shape as a top-level response (apispec names nested schemas on its own)."""


class CancelIn(Schema):
    province = Code(allow_none=True, load_default=None)
    level = Code(allow_none=True, load_default=None)
    specialty = Code(allow_none=True, load_default=None)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CancelOut(Schema):
    applications = fields.Integer()
    refunds = fields.Integer()


class PositionOut(Schema):
    province = fields.String()
    level = fields.String()
    specialty = fields.String(allow_none=True)
    n = fields.Integer()


class CarriedOut(Schema):
    subject_code = fields.String()
    year = fields.Integer()
    score = fields.String(allow_none=True)


class ArchiveOut(Schema):
    sitting_id = fields.String()
    archive_number = fields.String(allow_none=True)
    rolling_years = fields.Integer()
    carried = fields.List(fields.Nested(CarriedOut))


class PassMarkIn(Schema):
    pass_mark = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))


class PassMarkOut(Schema):
    subject_code = fields.String()
    pass_mark = fields.Integer()


class ScoreReviewIn(Schema):
    subject_code = Code(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ScoreReviewOut(Schema):
    id = fields.String()
    application_id = fields.String()
    application_number = fields.String()
    subject_code = fields.String()
    subject_name = fields.String(allow_none=True)
    reason = fields.String()
    status = fields.String()
    answer = fields.String(allow_none=True)
    old_score = fields.String(allow_none=True)
    new_score = fields.String(allow_none=True)
    requested_at = fields.DateTime()
    answered_at = fields.DateTime(allow_none=True)


class ScoreReviewAnswerIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["unchanged", "corrected"]))
    new_score = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=10))
    answer = fields.String(required=True, validate=validate.Length(min=1, max=500))


class StatusOut(Schema):
    id = fields.String()
    status = fields.String()


class CheckRunOut(Schema):
    checked = fields.Integer()
    passed = fields.Integer()
    flagged = fields.Integer()
    unavailable = fields.Boolean()


class CheckDecisionIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["pass", "reject"]))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class WaitingOut(Schema):
    id = fields.String()
    application_number = fields.String()
    province = fields.String()
    stage = fields.String()
    note = fields.String(allow_none=True)
    notice_ends_at = fields.DateTime(allow_none=True)


class ObjectionIn(Schema):
    content = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ObjectionDecisionIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["upheld", "dismissed"]))
    decision = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CountOut(Schema):
    qualified = fields.Integer()


class NoticeEntryOut(Schema):
    name_masked = fields.String()
    application_number = fields.String()
    province = fields.String()
    level_name = fields.String(allow_none=True)
    notice_ends_at = fields.DateTime()


class SettingsIn(Schema):
    review_mode = fields.String(validate=validate.OneOf(["automatic", "online", "on_site"]))
    commitment_offered = fields.Boolean()
    admit_card_mode = fields.String(validate=validate.OneOf(["on_payment", "allocation"]))
    rolling_years = fields.Integer(validate=validate.Range(min=1, max=10))
    notice_days = fields.Integer(validate=validate.Range(min=0, max=60))
    post_exam_check = fields.Boolean()


class ExamSettingsOut(Schema):
    review_mode = fields.String()
    commitment_offered = fields.Boolean()
    admit_card_mode = fields.String()
    rolling_years = fields.Integer()
    notice_days = fields.Integer()
    post_exam_check = fields.Boolean()


class WindowIn(Schema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(allow_none=True, load_default=None)


class WindowSetOut(WindowOut):
    kind = fields.String()


class FeeIn(Schema):
    fee_per_subject_fen = fields.Integer(required=True, strict=True,
                                         validate=validate.Range(min=0, max=10**7))


class FeeOut(Schema):
    province = fields.String()
    fee_per_subject_fen = fields.Integer()


class CopyIn(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    exam_date = fields.Date(required=True)


class SittingRefOut(Schema):
    sitting_id = fields.String()


class SettingsOut(ExamSettingsOut):
    """Top-level response shape (apispec registers nested schemas under their own names)."""


class PlaceIn(Schema):
    city = Code(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PlaceOut(PlaceIn):
    code = fields.String()


class RoomIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    capacity = fields.Integer(required=True, validate=validate.Range(min=1, max=99))


class RoomOut(RoomIn):
    id = fields.String()
    site = fields.String()
    number = fields.Integer()


class SpecialtyIn(Schema):
    code = Code(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class LevelIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    min_education = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        ["无", "中专", "大专", "本科", "硕士研究生", "博士研究生"]))
    grade = fields.String(required=True, validate=validate.Length(min=1, max=20))
    position = fields.Integer(load_default=0, validate=validate.Range(min=0, max=99))
    specialties = fields.List(fields.Nested(SpecialtyIn), load_default=list)


class LevelPutOut(LevelIn):
    code = fields.String()


Clock = lambda **kw: fields.String(validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"), **kw)  # noqa: E731


class SubjectIn(Schema):
    level = Code(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    full_mark = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    pass_mark = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    day_offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10))
    starts = Clock(required=True)
    ends = Clock(required=True)
    exemptable = fields.Boolean(load_default=False)


class SubjectPutOut(SubjectIn):
    code = fields.String()

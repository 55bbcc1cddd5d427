"""Request and response shapes of the verification API."""
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.common import clock
from services.verification.domain.calendar import BEIJING
from services.verification.domain.rules import REGISTRY_LEVELS

STUDY_MODES = ["全日制", "非全日制"]


class CheckOut(Schema):
    kind = fields.String()
    kind_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    reason = fields.String(allow_none=True)
    updated_at = fields.DateTime()


def person_name() -> fields.String:
    return fields.String(required=True, validate=validate.Regexp(
        r"^[\u4e00-\u9fa5A-Za-z][\u4e00-\u9fa5A-Za-z·\.\- ]{0,49}$",
        error="姓名只能包含中文、英文字母、间隔号“·”和空格"))


class EducationRecordIn(Schema):
    certificate_number = fields.String(required=True, validate=validate.Regexp(
        r"^\s*\d{18}\s*$", error="学历证书编号应为 18 位数字"))
    name = fields.String(required=True, validate=validate.Regexp(
        r"^[\u4e00-\u9fa5A-Za-z][\u4e00-\u9fa5A-Za-z·\.\- ]{0,49}$",
        error="姓名只能包含中文、英文字母、间隔号“·”和空格"))
    level = fields.String(required=True, validate=validate.OneOf(REGISTRY_LEVELS))
    school = fields.String(required=True, validate=validate.Length(min=2, max=100))
    major = fields.String(required=True, validate=validate.Length(min=1, max=100))
    graduation_date = fields.Date(required=True)
    study_mode = fields.String(required=True, validate=validate.OneOf(STUDY_MODES))

    @validates("graduation_date")
    def _plausible(self, value: date, **_) -> None:
        if not date(1950, 1, 1) <= value <= clock.now().date():
            raise ValidationError("毕业日期应在 1950-01-01 至今天之间")


class EducationRecordOut(Schema):
    certificate_number = fields.String()
    name = fields.String()
    level = fields.String()
    school = fields.String()
    major = fields.String()
    graduation_date = fields.Date()
    study_mode = fields.String()
    source = fields.String()
    added_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


class RecordsQuery(Schema):
    q = fields.String(validate=validate.Length(max=40))
    limit = fields.Integer(validate=validate.Range(min=1, max=500), load_default=200)



# -- what candidates see of reviews (additive fields of CheckOut) -------------------------------
class CheckWithReviewOut(CheckOut):
    review_status = fields.String(allow_none=True)
    review_status_label = fields.String(allow_none=True)
    review_deadline = fields.DateTime(allow_none=True)
    decision = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    proof_requested = fields.Boolean()
    proof_request_reason = fields.String(allow_none=True)
    can_upload_proof = fields.Boolean()
    proofs = fields.Integer()
    appointment = fields.Dict(allow_none=True)


class ProofOut(Schema):
    id = fields.String()
    kind = fields.String()
    item_id = fields.String(allow_none=True)
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.DateTime()
    item_status = fields.String()


# -- the review queue ---------------------------------------------------------------------------
class ReviewItemOut(Schema):
    id = fields.String()
    check_id = fields.String()
    candidate_id = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    cause = fields.String()
    cause_label = fields.String()
    summary = fields.String(allow_none=True)
    province = fields.String()
    review_point = fields.String(allow_none=True)
    province_source = fields.String()
    status = fields.String()
    status_label = fields.String()
    claimed_by = fields.String(allow_none=True)
    claimed_at = fields.DateTime(allow_none=True)
    first_decision = fields.Dict(allow_none=True)
    outcome = fields.String(allow_none=True)
    reason_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    proof_request = fields.String(allow_none=True)
    deadline = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    escalated_at = fields.DateTime(allow_none=True)
    appointment = fields.Dict(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReviewItemDetailOut(ReviewItemOut):
    candidate = fields.Dict()
    check = fields.Dict()
    proofs = fields.List(fields.Nested(ProofOut))
    trail = fields.List(fields.Dict())


class QueueQuery(Schema):
    view = fields.String(load_default="waiting", validate=validate.OneOf(
        ["waiting", "claimed", "overdue", "proof_requested", "on_site", "decided",
         "cancelled"]))
    limit = fields.Integer(validate=validate.Range(min=1, max=500), load_default=200)


class DecisionIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["passed", "failed"]))
    reason_code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ProofRequestIn(Schema):
    reason_code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class OnSiteIn(Schema):
    review_point = fields.String(required=True, validate=validate.Length(min=1, max=20))
    place = fields.String(required=True, validate=validate.Length(min=2, max=200))
    # A time without a zone (the dashboard's datetime-local input) is Beijing time.
    starts_at = fields.AwareDateTime(required=True, default_timezone=BEIJING)
    ends_at = fields.AwareDateTime(required=True, default_timezone=BEIJING)


class SlotQuery(Schema):
    review_point = fields.String(validate=validate.Length(max=20), load_default=None)


class SlotOut(Schema):
    review_point = fields.String()
    starts_at = fields.DateTime()
    capacity = fields.Integer()
    booked = fields.Integer()
    free = fields.Integer()


class TemplateOut(Schema):
    code = fields.String()
    outcome = fields.String()
    text = fields.String()


class QueueCountsOut(Schema):
    waiting = fields.Integer()
    on_site = fields.Integer()
    claimed = fields.Integer()
    overdue = fields.Integer()
    proof_requested = fields.Integer()
    decided = fields.Integer()
    cancelled = fields.Integer()


# -- eligibility data ---------------------------------------------------------------------------
class MajorRelationQuery(Schema):
    exam = fields.String(required=True, validate=validate.Length(min=1, max=20))
    level = fields.String(load_default=None, validate=validate.Length(max=20))
    major = fields.String(required=True, validate=validate.Length(min=1, max=100))


class MajorRelationOut(Schema):
    exam = fields.String()
    level = fields.String(allow_none=True)
    major = fields.String()
    relation = fields.String()
    relation_label = fields.String()
    matched = fields.String(allow_none=True)
    catalogue = fields.String(allow_none=True)
    manual_check = fields.Boolean()
    reason = fields.String()
    table_version = fields.Integer()


class MajorTableIn(Schema):
    data = fields.Dict(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    expected_version = fields.Integer(load_default=None, allow_none=True)


class MajorTableVersionOut(Schema):
    version = fields.Integer()
    note = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


class PeriodsField(fields.Field):
    """``2015-07-01..2018-06-30,2019-01-01..`` → [(start, end | None)] (end empty: ongoing)."""

    def _deserialize(self, value, attr, data, **kwargs):
        out = []
        for part in [p for p in str(value).split(",") if p.strip()][:20]:
            start, _sep, end = part.strip().partition("..")
            try:
                s = date.fromisoformat(start)
                e = date.fromisoformat(end) if end else None
            except ValueError:
                raise ValidationError("时间段格式应为 YYYY-MM-DD..YYYY-MM-DD（结束日期可空）") from None
            if e is not None and e < s:
                raise ValidationError(f"时间段 {part} 的结束日期早于开始日期")
            out.append((s, e))
        return out


class WorkYearsQuery(Schema):
    exam_year = fields.Integer(required=True, validate=validate.Range(min=1990, max=2100))
    study_mode = fields.String(required=True, validate=validate.OneOf(STUDY_MODES))
    graduation_date = fields.Date(load_default=None)
    work = PeriodsField(required=True)
    off_work_study = PeriodsField(load_default=list)


class WorkYearsOut(Schema):
    years = fields.Integer()
    months = fields.Integer()
    days = fields.Integer()
    cutoff = fields.Date()
    counted = fields.List(fields.Dict())
    rule = fields.String()


class IntegrityPeriodOut(Schema):
    listed_from = fields.Date()
    listed_until = fields.Date(allow_none=True)


class IntegrityStatusOut(Schema):
    candidate_id = fields.String()
    on = fields.Date()
    listed = fields.Boolean()
    periods = fields.List(fields.Nested(IntegrityPeriodOut))


class IntegrityQuery(Schema):
    on = fields.Date(load_default=None)


class IntegrityIn(Schema):
    candidate_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    listed_from = fields.Date(required=True)
    listed_until = fields.Date(load_default=None, allow_none=True)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class RemovalIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class IntegrityRecordOut(Schema):
    id = fields.String()
    candidate_id = fields.String()
    name = fields.String(allow_none=True)
    listed_from = fields.Date()
    listed_until = fields.Date(allow_none=True)
    reason = fields.String()
    added_by = fields.String()
    added_at = fields.DateTime()
    removed_at = fields.DateTime(allow_none=True)
    removed_by = fields.String(allow_none=True)
    removal_reason = fields.String(allow_none=True)


class IntegrityListQuery(Schema):
    q = fields.String(validate=validate.Length(max=64))


# -- the other simulated registries -------------------------------------------------------------
class DegreeRecordIn(Schema):
    certificate_number = fields.String(required=True, validate=validate.Regexp(
        r"^\s*\d{16}\s*$", error="学位证书编号应为 16 位数字"))
    name = person_name()
    level = fields.String(required=True, validate=validate.OneOf(["学士", "硕士", "博士"]))
    degree_type = fields.String(required=True, validate=validate.Length(min=1, max=40))
    school = fields.String(required=True, validate=validate.Length(min=2, max=100))
    major = fields.String(required=True, validate=validate.Length(min=1, max=100))
    awarded_date = fields.Date(required=True)


class DegreeRecordOut(Schema):
    certificate_number = fields.String()
    name = fields.String()
    level = fields.String()
    degree_type = fields.String()
    school = fields.String()
    major = fields.String()
    awarded_date = fields.Date()
    source = fields.String()
    added_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


class IdentityRecordIn(Schema):
    document_number = fields.String(required=True, validate=validate.Regexp(
        r"^\s*\d{17}[\dXx]\s*$", error="居民身份证号码应为 18 位（最后一位可为 X）"))
    name = person_name()
    status = fields.String(load_default="valid", validate=validate.OneOf(["valid", "cancelled"]))


class IdentityRecordOut(Schema):
    document_number = fields.String()
    name = fields.String()
    status = fields.String()
    source = fields.String()
    added_by = fields.String(allow_none=True)
    created_at = fields.DateTime()

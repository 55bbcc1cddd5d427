"""Request and response shapes of the professional-title API."""
from marshmallow import Schema, fields, validate

from services.registration.domain.titles.sections import ARCHIVE_KINDS, LEVELS, TYPES

Short = lambda n=100, **kw: fields.String(validate=validate.Length(max=n), **kw)  # noqa: E731
Opt = lambda n=100: fields.String(validate=validate.Length(max=n), allow_none=True,  # noqa: E731
                                  load_default=None)
LongText = lambda: fields.String(validate=validate.Length(max=5000), allow_none=True,  # noqa: E731
                                 load_default=None)
GENDERS = ["男", "女"]


class TitleProfileIn(Schema):
    gender = fields.String(validate=validate.OneOf(GENDERS), allow_none=True, load_default=None)
    birth_date = fields.Date(allow_none=True, load_default=None)
    phone = fields.String(validate=validate.Regexp(r"^[0-9+\-]{5,20}$"), allow_none=True,
                          load_default=None)
    employer = Opt(100)
    employer_region = Opt(6)
    work_start_date = fields.Date(allow_none=True, load_default=None)
    political_status = Opt(20)
    education_highest = Opt(20)
    current_series = Opt(60)
    current_title = Opt(60)
    personnel_category = Opt(30)
    archive_location = Opt(100)
    position = Opt(50)
    address = Opt(200)


class TitleProfileOut(Schema):
    name = fields.String()
    gender = fields.String(allow_none=True)
    birth_date = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    employer = fields.String(allow_none=True)
    employer_region = fields.String(allow_none=True)
    work_start_date = fields.String(allow_none=True)
    political_status = fields.String(allow_none=True)
    education_highest = fields.String(allow_none=True)
    current_series = fields.String(allow_none=True)
    current_title = fields.String(allow_none=True)
    personnel_category = fields.String(allow_none=True)
    archive_location = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)


class TitleArchiveItemIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(list(ARCHIVE_KINDS)))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    date = fields.Date(allow_none=True, load_default=None)
    role = Opt(100)
    description = fields.String(validate=validate.Length(max=2000), allow_none=True,
                                load_default=None)


class TitleArchiveItemOut(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    date = fields.Date(allow_none=True)
    role = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    updated_at = fields.DateTime()


class TitleRuleSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    required = fields.Boolean(load_default=False)


class TitleUnitQuery(Schema):
    q = fields.String(validate=validate.Length(max=50), load_default=None)
    region = fields.String(validate=validate.Length(max=6), load_default=None)


class TitleUnitIn(Schema):
    id = fields.String(validate=validate.Regexp(r"^[a-z0-9-]{3,40}$"))
    name = fields.String(required=True, validate=validate.Length(min=2, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(
        ["district", "city_department", "talent_center"]))
    region_code = fields.String(validate=validate.Regexp(r"^\d{6}$"), allow_none=True,
                                load_default=None)
    jurisdiction = fields.String(required=True, validate=validate.Length(min=1, max=300))
    contact_person = Opt(50)
    contact_phone = Opt(40)
    address = Opt(200)
    email = fields.Email(allow_none=True, load_default=None)
    notice = fields.String(validate=validate.Length(max=5000), allow_none=True, load_default=None)
    attachment_rules = fields.List(fields.Nested(TitleRuleSchema), load_default=list,
                                   validate=validate.Length(max=20))
    accepts = fields.List(fields.String(validate=validate.OneOf(list(TYPES))), required=True,
                          validate=validate.Length(min=1, max=3))
    active = fields.Boolean(load_default=True)


class TitleUnitOut(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    region_code = fields.String(allow_none=True)
    jurisdiction = fields.String()
    contact_person = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    notice = fields.String(allow_none=True)
    attachment_rules = fields.List(fields.Nested(TitleRuleSchema))
    accepts = fields.List(fields.String())
    active = fields.Boolean()


class TitlePlanTitle(Schema):
    series = fields.String(required=True, validate=validate.Length(min=1, max=60))
    title_name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    title_level = fields.String(required=True, validate=validate.OneOf(LEVELS))


class TitlePlanSpecialty(Schema):
    series = fields.String(required=True, validate=validate.Length(min=1, max=60))
    specialty = fields.String(required=True, validate=validate.Length(min=1, max=60))
    direction = Opt(60)


class TitlePlanIn(Schema):
    id = fields.String(validate=validate.Regexp(r"^[a-z0-9-]{3,40}$"))
    name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    committee = fields.String(required=True, validate=validate.Length(min=2, max=120))
    committee_size = fields.Integer(required=True, validate=validate.Range(min=3, max=200))
    authority = fields.String(required=True, validate=validate.Length(min=2, max=120))
    issuing_authority = fields.String(required=True, validate=validate.Length(min=2, max=120))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    unit_review_ends_at = fields.AwareDateTime(allow_none=True, load_default=None)
    fee_fen = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000_000))
    scope = fields.String(validate=validate.Length(min=1, max=60), load_default="本市")
    notice = fields.String(validate=validate.Length(max=5000), allow_none=True, load_default=None)
    contact = Opt(200)
    attachment_rules = fields.List(fields.Nested(TitleRuleSchema), load_default=list,
                                   validate=validate.Length(max=20))
    titles = fields.List(fields.Nested(TitlePlanTitle), required=True,
                         validate=validate.Length(min=1, max=50))
    specialties = fields.List(fields.Nested(TitlePlanSpecialty), required=True,
                              validate=validate.Length(min=1, max=100))
    groups = fields.List(fields.String(validate=validate.Length(min=1, max=60)),
                         load_default=list, validate=validate.Length(max=50))


class _Partial:
    """Loads only the fields sent (no required ones, no defaults filled in)."""
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class TitlePlanUpdateIn(_Partial, TitlePlanIn):
    """PUT: any subset of a plan's fields (the window is re-checked against the stored ones)."""


class TitlePlanOut(Schema):
    id = fields.String()
    name = fields.String()
    year = fields.Integer()
    committee = fields.String()
    committee_size = fields.Integer()
    authority = fields.String()
    issuing_authority = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    unit_review_ends_at = fields.DateTime(allow_none=True)
    fee_fen = fields.Integer()
    scope = fields.String()
    notice = fields.String(allow_none=True)
    contact = fields.String(allow_none=True)
    attachment_rules = fields.List(fields.Nested(TitleRuleSchema))
    titles = fields.List(fields.Nested(TitlePlanTitle))
    specialties = fields.List(fields.Nested(TitlePlanSpecialty))
    groups = fields.List(fields.String())
    published_on = fields.Date(allow_none=True)


class TitleCreateIn(Schema):
    application_type = fields.String(required=True, validate=validate.OneOf(list(TYPES)))
    unit_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    plan_id = fields.String(validate=validate.Length(min=1, max=40), allow_none=True,
                            load_default=None)
    series = fields.String(required=True, validate=validate.Length(min=1, max=60))
    title_name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    title_level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    specialty = fields.String(validate=validate.Length(min=1, max=60), allow_none=True,
                              load_default=None)
    pledge = fields.Boolean(required=True)


class TitleBasicIn(_Partial, TitleProfileIn):
    """Save-as-you-go: only the fields sent change."""
    original_series = Opt(60)
    original_title = Opt(60)
    original_specialty = Opt(50)
    original_obtained_on = fields.Date(allow_none=True, load_default=None)
    valid_scope = Opt(30)
    committee_group = Opt(60)
    category = fields.String(validate=validate.OneOf(["正常晋升", "破格申报", "转评", "初次申报"]),
                             allow_none=True, load_default=None)
    conditions = fields.String(validate=validate.Length(max=2000), allow_none=True,
                               load_default=None)


class TitleEducationItem(Schema):
    start = fields.Date(required=True)
    end = fields.Date(allow_none=True, load_default=None)
    school = fields.String(required=True, validate=validate.Length(min=1, max=100))
    education = Opt(20)
    degree = Opt(20)
    major = Opt(60)


class TitleWorkItem(Schema):
    start = fields.Date(required=True)
    end = fields.Date(allow_none=True, load_default=None)
    employer = fields.String(required=True, validate=validate.Length(min=1, max=100))
    position = Opt(50)
    duties = fields.String(validate=validate.Length(max=2000), allow_none=True, load_default=None)


class TitleAchievementItem(TitleArchiveItemIn):
    """An archive item as copied into an application, with the archive row it came from."""
    archive_id = fields.String(validate=validate.Length(max=36), allow_none=True,
                               load_default=None)


def _items(item):
    class Items(Schema):
        items = fields.List(fields.Nested(item), required=True, validate=validate.Length(max=30))
    Items.__name__ = f"{item.__name__}ListIn"
    return Items


TitleEducationIn = _items(TitleEducationItem)
TitleWorkHistoryIn = _items(TitleWorkItem)
TitleAchievementsIn = _items(TitleAchievementItem)


class TitleTextIn(Schema):
    text = fields.String(required=True, validate=validate.Length(max=5000), allow_none=True)


class TitleReasonIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class TitleNoteIn(Schema):
    note = fields.String(validate=validate.Length(max=500), allow_none=True, load_default=None)


class TitleScheduleIn(Schema):
    meeting_on = fields.Date(required=True)


class TitleVotesIn(Schema):
    votes_for = fields.Integer(required=True, validate=validate.Range(min=0, max=200))
    votes_against = fields.Integer(required=True, validate=validate.Range(min=0, max=200))
    votes_abstain = fields.Integer(required=True, validate=validate.Range(min=0, max=200))
    note = fields.String(validate=validate.Length(max=500), allow_none=True, load_default=None)


class TitleAttachmentItem(Schema):
    id = fields.String()
    label = fields.String()
    filename = fields.String()
    size = fields.Integer()
    uploaded_at = fields.DateTime()


class TitleAttachmentOut(TitleAttachmentItem):
    """The upload's answer (its own name: apispec registers nested schemas by class name)."""


class TitleSectionState(Schema):
    label = fields.String()
    required = fields.Boolean()
    complete = fields.Boolean()
    missing = fields.List(fields.String())


class TitleReturnReason(Schema):
    actor = fields.String()
    actor_unit = fields.String(allow_none=True)
    at = fields.String()
    reason = fields.String(allow_none=True)


class TitleSummaryOut(Schema):
    id = fields.String()
    application_number = fields.String()
    application_type = fields.String()
    type_label = fields.String()
    state = fields.String()
    state_label = fields.String()
    approved = fields.Boolean(allow_none=True)
    unit_id = fields.String()
    unit_name = fields.String()
    plan_id = fields.String(allow_none=True)
    plan_name = fields.String(allow_none=True)
    series = fields.String()
    title_name = fields.String()
    title_level = fields.String()
    specialty = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    pending_holder = fields.String(allow_none=True)
    pending_role = fields.String(allow_none=True)
    deadline_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    actions = fields.List(fields.String())
    certificate_number = fields.String(allow_none=True)


class TitleApplicationOut(TitleSummaryOut):
    pledge_signed_at = fields.DateTime()
    plan_ends_at = fields.DateTime(allow_none=True)
    fee_fen = fields.Integer(allow_none=True)
    committee = fields.String(allow_none=True)
    sections = fields.Dict()
    completeness = fields.Dict(keys=fields.String(), values=fields.Nested(TitleSectionState))
    attachments = fields.List(fields.Nested(TitleAttachmentItem))
    attachment_rules = fields.List(fields.Nested(TitleRuleSchema))
    return_reasons = fields.List(fields.Nested(TitleReturnReason))
    meeting_on = fields.Date(allow_none=True)
    votes_for = fields.Integer(allow_none=True)
    votes_against = fields.Integer(allow_none=True)
    votes_abstain = fields.Integer(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    decided_by = fields.String(allow_none=True)


class TitleQueueItemOut(TitleSummaryOut):
    holder_name = fields.String(allow_none=True)
    overdue = fields.Boolean()
    meeting_on = fields.Date(allow_none=True)
    review_started_at = fields.DateTime(allow_none=True)


class TitleRecordEntry(Schema):
    at = fields.String()
    actor = fields.String()
    actor_unit = fields.String(allow_none=True)
    event = fields.String()
    note = fields.String(allow_none=True)
    pending_holder = fields.String(allow_none=True)
    pending_role = fields.String(allow_none=True)
    deadline_at = fields.String(allow_none=True)


class TitleRecordOut(Schema):
    application_id = fields.String()
    application_number = fields.String()
    state = fields.String()
    state_label = fields.String()
    pending_holder = fields.String(allow_none=True)
    pending_role = fields.String(allow_none=True)
    deadline_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    entries = fields.List(fields.Nested(TitleRecordEntry))

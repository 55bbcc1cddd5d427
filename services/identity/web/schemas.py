"""Request and response shapes of the identity API."""
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate

from services.identity.domain.documents import DOCUMENT_TYPES
from services.identity.domain.model import DEGREES, EDUCATION_LEVELS
from services.identity.domain.security import SECURITY_QUESTIONS

PHONE = validate.Regexp(r"^1[3-9]\d{9}$", error="请输入 11 位中国大陆手机号码")
CODE = validate.Regexp(r"^\d{6}$", error="验证码为 6 位数字")
NAME = validate.Regexp(r"^[\u4e00-\u9fa5A-Za-z][\u4e00-\u9fa5A-Za-z·\.\- ]{0,49}$",
                       error="姓名只能包含中文、英文字母、间隔号“·”和空格")
EARLIEST, YEARS_AHEAD = date(1950, 1, 1), 6  # students about to graduate may register early


def plausible_date(value: date) -> None:
    """A graduation or award date a person can have: a typo such as 2099 or 1900 is refused
    here rather than sent to the registries as a claim that can never match."""
    latest = date.today().replace(month=12, day=31)
    latest = latest.replace(year=latest.year + YEARS_AHEAD)
    if not EARLIEST <= value <= latest:
        raise ValidationError(f"日期不合理，请核对（{EARLIEST.year} 年至 {latest.year} 年之间）")


class EducationIn(Schema):
    level = fields.String(required=True, validate=validate.OneOf(EDUCATION_LEVELS))
    school = fields.String(allow_none=True, validate=validate.Length(max=100))
    major = fields.String(allow_none=True, validate=validate.Length(max=100))
    graduation_date = fields.Date(allow_none=True, validate=plausible_date)
    certificate_number = fields.String(allow_none=True, validate=validate.Length(max=40))
    study_mode = fields.String(allow_none=True, validate=validate.OneOf(["全日制", "非全日制"]))


class DegreeIn(Schema):
    level = fields.String(required=True, validate=validate.OneOf(DEGREES))
    degree_type = fields.String(allow_none=True, validate=validate.Length(max=50))
    school = fields.String(allow_none=True, validate=validate.Length(max=100))
    major = fields.String(allow_none=True, validate=validate.Length(max=100))
    awarded_date = fields.Date(allow_none=True, validate=plausible_date)
    certificate_number = fields.String(allow_none=True, validate=validate.Length(max=40))


class SignUpIn(Schema):
    username = fields.String(required=True, validate=validate.Length(max=30))
    password = fields.String(required=True, validate=validate.Length(max=64), load_only=True)
    name = fields.String(required=True, validate=NAME)
    document_type = fields.String(required=True, validate=validate.OneOf(list(DOCUMENT_TYPES)))
    document_number = fields.String(required=True, validate=validate.Length(max=40))
    phone = fields.String(allow_none=True, validate=validate.Regexp(
        r"^1[3-9]\d{9}$", error="请输入 11 位中国大陆手机号码"))
    education = fields.Nested(EducationIn, required=True)
    education_confirmed = fields.Boolean(required=True, validate=validate.Equal(
        True, error="请再次确认学历信息准确无误"))
    agreement_version = fields.String(required=True)
    document_valid_until = fields.Date(allow_none=True)
    document_long_term = fields.Boolean(load_default=False)
    degree = fields.Nested(DegreeIn, allow_none=True)


class EducationChangeIn(Schema):
    education = fields.Nested(EducationIn, required=True)
    education_confirmed = fields.Boolean(required=True, validate=validate.Equal(
        True, error="请再次确认学历信息准确无误"))
    degree = fields.Nested(DegreeIn, allow_none=True)


class NameCorrectionIn(Schema):
    name = fields.String(required=True, validate=NAME)
    name_confirmed = fields.Boolean(required=True, validate=validate.Equal(
        True, error="请确认新姓名与证件一致"))


class AccountOut(Schema):
    id = fields.String()
    username = fields.String()
    name = fields.String()
    document_type = fields.String()
    document_number_masked = fields.String()
    phone_masked = fields.String(allow_none=True)
    education = fields.Dict()
    roles = fields.List(fields.String())
    created_at = fields.DateTime()
    phone_verified = fields.Boolean()
    email_masked = fields.String(allow_none=True)
    email_verified = fields.Boolean()
    security_question = fields.String(allow_none=True)
    degree = fields.Dict(allow_none=True)
    document_valid_until = fields.Date(allow_none=True)
    totp_enrolled = fields.Boolean()
    scope = fields.Dict()
    name_correctable = fields.Boolean()


class SignInIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=40))
    password = fields.String(required=True, validate=validate.Length(max=64), load_only=True)
    totp = fields.String(allow_none=True, validate=validate.Length(max=10))
    captcha_id = fields.String(allow_none=True, validate=validate.Length(max=36))
    captcha_answer = fields.String(allow_none=True, validate=validate.Length(max=10))


class SecondFactorIn(Schema):
    ticket = fields.String(required=True, validate=validate.Length(max=100))
    code = fields.String(required=True, validate=validate.Length(max=10))


class TicketIn(Schema):
    ticket = fields.String(required=True, validate=validate.Length(max=100))


class EnrolmentOut(Schema):
    secret = fields.String()
    otpauth_uri = fields.String()
    qr = fields.String()


class CaptchaOut(Schema):
    captcha_id = fields.String()
    image = fields.String()
    expires_in = fields.Integer()


class CodeSentOut(Schema):
    sent = fields.Boolean()
    expires_in = fields.Integer()
    resend_after = fields.Integer()
    old_phone_code_sent = fields.Boolean()
    old_phone_masked = fields.String(allow_none=True)


class PhoneCodeIn(Schema):
    phone = fields.String(required=True, validate=PHONE)


class PhoneBindIn(PhoneCodeIn):
    code = fields.String(required=True, validate=CODE)
    old_code = fields.String(allow_none=True, validate=CODE)


class EmailCodeIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=100))


class EmailBindIn(EmailCodeIn):
    code = fields.String(required=True, validate=CODE)


class PasswordChangeIn(Schema):
    old_password = fields.String(required=True, validate=validate.Length(max=64))
    new_password = fields.String(required=True, validate=validate.Length(max=64))


class SecurityQuestionIn(Schema):
    password = fields.String(required=True, validate=validate.Length(max=64))
    question = fields.String(required=True, validate=validate.OneOf(SECURITY_QUESTIONS))
    answer = fields.String(required=True, validate=validate.Length(max=100))


class UsernameCodeIn(Schema):
    document_number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    phone = fields.String(required=True, validate=PHONE)


class UsernameRecoverIn(UsernameCodeIn):
    code = fields.String(required=True, validate=CODE)


class LoginIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=40))


class ResetCodeIn(LoginIn):
    channel = fields.String(required=True, validate=validate.OneOf(["sms", "email"]))


class ResetVerifyIn(LoginIn):
    code = fields.String(allow_none=True, validate=CODE)
    answer = fields.String(allow_none=True, validate=validate.Length(max=100))


class ResetIn(Schema):
    reset_token = fields.String(required=True, validate=validate.Length(max=100))
    new_password = fields.String(required=True, validate=validate.Length(max=64))


class SessionOut(Schema):
    id = fields.String()
    started_at = fields.DateTime()
    last_active_at = fields.DateTime()
    expires_at = fields.DateTime()
    ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)


class LoginEventOut(Schema):
    at = fields.DateTime()
    ip = fields.String()
    user_agent = fields.String()
    result = fields.String()
    result_text = fields.String()


class RefreshIn(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(max=200))


class TokensOut(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    roles = fields.List(fields.String())
    name = fields.String()


class NotificationOut(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class ServiceTokenOut(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class DocumentOut(Schema):
    candidate_id = fields.String()
    name = fields.String()
    document_type = fields.String()
    document_number = fields.String()

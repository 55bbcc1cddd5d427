"""The education and degree claim as a form: shared by sign-up and the account centre's
correction page (seed 002: certificate numbers are typed twice)."""
from __future__ import annotations

from marshmallow import Schema, fields

EDUCATION_LEVELS = ["无", "中专", "大专", "本科", "硕士研究生", "博士研究生"]
DEGREES = ["无", "学士", "硕士", "博士"]
EDUCATION_FIELDS = ("school", "major", "graduation_date", "certificate_number", "study_mode")
DEGREE_FIELDS = ("degree_type", "school", "major", "awarded_date", "certificate_number")


class EducationForm(Schema):
    education_level = fields.String(required=True)
    school = fields.String(load_default=None)
    major = fields.String(load_default=None)
    graduation_date = fields.String(load_default=None)
    certificate_number = fields.String(load_default=None)
    study_mode = fields.String(load_default=None)
    degree_level = fields.String(load_default="无")
    degree_type = fields.String(load_default=None)
    degree_school = fields.String(load_default=None)
    degree_major = fields.String(load_default=None)
    degree_awarded_date = fields.String(load_default=None)
    degree_certificate_number = fields.String(load_default=None)
    confirm_certificate_number = fields.String(load_default="")
    confirm_degree_certificate_number = fields.String(load_default="")


def blank(value):
    return value.strip() if value and value.strip() else None


def _degree_key(name: str) -> str:
    return name if name == "degree_type" else "degree_" + name


def claims(f: dict) -> tuple[dict, dict]:
    """(education, degree) as identity's API takes them, from the flat form."""
    education = {"level": f["education_level"]}
    if f["education_level"] != "无":
        education |= {k: blank(f.get(k)) for k in EDUCATION_FIELDS}
    degree = {"level": f.get("degree_level") or "无"}
    if degree["level"] != "无":
        degree |= {k: blank(f.get(_degree_key(k))) for k in DEGREE_FIELDS}
    return education, degree


def confirmation_errors(f: dict) -> dict[str, str]:
    """The certificate numbers typed a second time must match (seed 002)."""
    errors = {}
    if (f.get("confirm_certificate_number") or "").strip() != \
            (f.get("certificate_number") or "").strip():
        errors["confirm_certificate_number"] = "与上方填写的学历证书编号不一致"
    if (f.get("confirm_degree_certificate_number") or "").strip() != \
            (f.get("degree_certificate_number") or "").strip():
        errors["confirm_degree_certificate_number"] = "与上方填写的学位证书编号不一致"
    return errors


def form_field(api_field: str) -> str:
    """The API's nested field names as the form's flat ones (education.level → education_level)."""
    if api_field == "degree.degree_type":
        return "degree_type"
    if api_field.startswith("degree."):
        return "degree_" + api_field[len("degree."):]
    return api_field.replace("education.level", "education_level").replace("education.", "")


def as_form(education: dict | None, degree: dict | None) -> dict:
    """The claim on record as the flat form (the correction page starts from it); certificate
    numbers are not pre-typed in the confirmation fields: typing them again is the check."""
    education, degree = education or {}, degree or {}
    out = {"education_level": education.get("level") or "无",
           "degree_level": degree.get("level") or "无"}
    out |= {k: education.get(k) or "" for k in EDUCATION_FIELDS}
    out |= {_degree_key(k): degree.get(k) or "" for k in DEGREE_FIELDS}
    return out

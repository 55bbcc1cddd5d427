"""Pages anyone may open: home, sign-up, sign-in, certificate and admit-card verification."""
from __future__ import annotations

import re
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import Schema, fields, validate

from gateway import limiter
from gateway import session as user_session
from gateway.clients import ApiError, ServiceUnavailable, call
from gateway.filters import BEIJING
from gateway.views import account
from gateway.views.education import (
    DEGREES,
    EDUCATION_LEVELS,
    EducationForm,
    blank,
    claims,
    confirmation_errors,
    form_field,
)
from gateway.views.forms import api_errors, load_form

bp = Blueprint("public", __name__)

DOCUMENT_TYPES = [("resident_id", "居民身份证"), ("hk_macao_permit", "港澳居民来往内地通行证"),
                  ("taiwan_permit", "台湾居民来往大陆通行证"), ("hmt_residence_permit", "港澳台居民居住证"),
                  ("foreign_passport", "外国护照")]


class SignUpForm(EducationForm):
    username = fields.String(required=True)
    password = fields.String(required=True)
    password2 = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    document_type = fields.String(required=True)
    document_number = fields.String(required=True)
    phone = fields.String(load_default=None)
    document_valid_until = fields.String(load_default=None)
    confirm_name = fields.String(required=True)
    confirm_document_number = fields.String(required=True)
    agree = fields.String(required=True, error_messages={"required": "请阅读并同意注册协议"})


def _second_confirmation(f: dict) -> dict[str, str]:
    """Seed 002: name, document and education certificate are typed a second time."""
    errors = {}
    if f["confirm_name"].strip() != f["name"].strip():
        errors["confirm_name"] = "与上方填写的姓名不一致"
    if f["confirm_document_number"].strip().upper() != f["document_number"].strip().upper():
        errors["confirm_document_number"] = "与上方填写的证件号码不一致"
    errors |= confirmation_errors(f)
    if f["password"] != f["password2"]:
        errors["password2"] = "两次输入的密码不一致"
    return errors


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def signup():
    form, errors = request.form, {}
    if request.method == "POST":
        f, errors = load_form(SignUpForm, request.form)
        if not errors:
            errors = _second_confirmation(f)
        if not errors:
            education, degree = claims(f)
            body = {
                "username": f["username"].strip(), "password": f["password"], "name": f["name"].strip(),
                "document_type": f["document_type"], "document_number": f["document_number"].strip(),
                "phone": blank(f["phone"]), "education_confirmed": True,
                "agreement_version": request.form.get("agreement_version", ""),
                "education": education, "degree": degree,
                "document_valid_until": blank(f["document_valid_until"]),
            }
            try:
                call("identity", "POST", "/api/identity/candidates", auth=False, json=body)
                tokens = call("identity", "POST", "/api/identity/tokens", auth=False,
                              json={"login": body["username"], "password": body["password"]})
                user_session.start(tokens)
                flash("注册成功！系统正在核验您的学历信息，结果会出现在消息中心。", "success")
                return redirect(url_for("candidate.home"))
            except ApiError as exc:
                errors = {form_field(k): v for k, v in api_errors(exc).items()}
    agreement = _agreement()
    return render_template("signup.html", form=form, errors=errors, document_types=DOCUMENT_TYPES,
                           education_levels=EDUCATION_LEVELS, degrees=DEGREES,
                           agreement_version=agreement.get("version", ""),
                           agreement=agreement,
                           today=datetime.now(BEIJING).date().isoformat()), 422 if errors else 200


def _agreement() -> dict:
    try:
        return call("identity", "GET", "/api/identity/agreement", auth=False)
    except (ApiError, ServiceUnavailable):
        return {}


@bp.get("/agreement")
def agreement_page():
    """The registration agreement, readable before and after signing up."""
    agreement = _agreement()
    return render_template("agreement.html", agreement=agreement), 200 if agreement else 503


class LoginForm(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=40))
    password = fields.String(required=True, validate=validate.Length(min=1, max=64))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def login():
    errors, status = {}, 200
    next_url = request.values.get("next") or ""
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = ""
    if request.method == "POST":
        f, errors = load_form(LoginForm, request.form)
        if not errors:
            try:  # captcha after failures and the staff TOTP step live in views/account.py
                user_session.start(account.sign_in(f, next_url))
                return account.after_sign_in(next_url)
            except account.NextStep as step:
                return step.response
            except ApiError as exc:
                errors = {"_form": exc.message}
                status = exc.status if exc.status in (401, 423, 429) else 422
        else:
            status = 422
    return render_template("login.html", form=request.form, errors=errors, next=next_url,
                           captcha=account.captcha_if_needed()), status


@bp.post("/logout")
def logout():
    from flask import session
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("public.login"))


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def verify():
    number = (request.values.get("number") or "").strip()[:40]
    name = (request.values.get("name") or "").strip()[:50]
    version = (request.values.get("version") or "").strip()[:6]
    result = None
    if number and name:
        params = {"number": number, "name": name}
        if version.isdigit():
            params["version"] = version
        try:
            result = call("certificates", "GET", "/api/certificates/verify", auth=False, params=params)
        except ApiError:
            result = {"status": "not_found"}
    return render_template("verify.html", number=number, name=name, version=version, result=result)


ADMIT_CARD_NUMBER = re.compile(r"[0-9A-Za-z]{4,40}")
# A number or a link alone answers an admit-card or certificate check, so these look-ups share
# one limit per address, page and API alike (``proxy.PUBLIC_CHECKS``), as strict as /verify's.
PUBLIC_LOOKUPS = dict(limit_value="30 per minute", scope="public-lookup")


@bp.get("/admit-cards/<number>")
@limiter.shared_limit(**PUBLIC_LOOKUPS)
def admit_card(number: str):
    """Where the QR code on a printed admit card leads (no sign-in): is the number genuine, and
    for which exam, seat and day — the holder's name masked."""
    card = None
    if ADMIT_CARD_NUMBER.fullmatch(number):
        try:
            card = call("registration", "GET",
                        f"/api/registration/admit-cards/{number.upper()}", auth=False)
        except ApiError:  # 404 admit_card_not_found
            card = None
    return render_template("admit_card.html", number=number[:40], card=card), \
        200 if card else 404

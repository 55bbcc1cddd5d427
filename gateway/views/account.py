"""Account pages: phone / e-mail binding, password, security question, sessions, login history,
photo, recovery (forgotten user name or password), the sign-in steps after the password
(captcha, staff TOTP), and the dev-only mailbox of the sandbox SMS / mail gateway."""
from __future__ import annotations

import base64

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from gateway import limiter
from gateway import session as user_session
from gateway.clients import ApiError, ServiceUnavailable, call, upstream
from gateway.views.education import (
    DEGREES,
    EDUCATION_LEVELS,
    EducationForm,
    as_form,
    claims,
    confirmation_errors,
    form_field,
)
from gateway.views.forms import api_errors, load_form

bp = Blueprint("account", __name__)
signed_in = user_session.login_required()
CAPTCHA_CODES = ("captcha_required", "captcha_wrong", "captcha_expired")


class NextStep(Exception):
    """The password was right but sign-in needs one more step; ``response`` renders it."""

    def __init__(self, response):
        super().__init__("next sign-in step")
        self.response = response


def identity(method: str, path: str, *, auth: bool = False, **kw) -> dict:
    """Like ``call`` but forwards the browser's address and agent (login history, IP limits)
    and keeps the whole error body (tickets of the sign-in steps)."""
    headers = {"X-Forwarded-For": request.remote_addr or "",
               "User-Agent": request.headers.get("User-Agent", "")[:300]}
    resp = upstream("identity", method, path, headers=headers,
                    token=g.get("access_token") if auth else None, **kw)
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if resp.status_code >= 400:
        exc = ApiError(resp.status_code, body)
        exc.details = (body or {}).get("error") or {}
        raise exc
    return body


def new_captcha() -> dict | None:
    try:
        return identity("POST", "/api/identity/captchas")
    except (ApiError, ServiceUnavailable):
        return None


def captcha_if_needed() -> dict | None:
    return new_captcha() if session.get("need_captcha") else None


def after_sign_in(next_url: str):
    session.pop("need_captcha", None)
    if next_url:
        return redirect(next_url)
    staff = bool(user_session.roles() - {"candidate"})
    return redirect(url_for("ops.index") if staff else url_for("candidate.home"))


def sign_in(form: dict, next_url: str) -> dict:
    """Step one (password, captcha when asked); raises NextStep for TOTP, enrolment or reset."""
    body = {"login": form["login"], "password": form["password"]}
    if request.form.get("captcha_id"):
        body.update(captcha_id=request.form["captcha_id"],
                    captcha_answer=request.form.get("captcha_answer", ""))
    try:
        return identity("POST", "/api/identity/tokens", json=body)
    except ApiError as exc:
        ticket = exc.details.get("ticket")
        if exc.code in CAPTCHA_CODES or exc.code == "bad_credentials":
            session["need_captcha"] = exc.code in CAPTCHA_CODES or session.get("need_captcha")
        if exc.code == "totp_required":
            session["login_ticket"] = ticket
            raise NextStep(render_template("account/login_totp.html", next=next_url,
                                           enrolment=None)) from None
        if exc.code == "totp_enrolment_required":
            session["login_ticket"] = ticket
            enrolment = identity("POST", "/api/identity/totp/enrolment", json={"ticket": ticket})
            raise NextStep(render_template("account/login_totp.html", next=next_url,
                                           enrolment=enrolment)) from None
        if exc.code == "password_reset_required":
            flash(exc.message, "warning")
            raise NextStep(redirect(url_for("account.reset", token=ticket))) from None
        raise


@bp.post("/login/totp")
@limiter.limit("30 per minute")
def login_totp():
    """Step two for staff: the 6-digit code from the authenticator app."""
    next_url = request.form.get("next") or ""
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = ""
    ticket = session.get("login_ticket")
    if not ticket:
        flash("登录已超时，请重新输入用户名和密码", "warning")
        return redirect(url_for("public.login"))
    try:
        tokens = identity("POST", "/api/identity/tokens/totp",
                          json={"ticket": ticket, "code": request.form.get("code", "").strip()})
    except ApiError as exc:
        if exc.code in ("ticket_invalid", "account_locked"):
            session.pop("login_ticket", None)
            flash(exc.message, "error")
            return redirect(url_for("public.login"))
        return render_template("account/login_totp.html", next=next_url, enrolment=None,
                               error=exc.message), exc.status
    user_session.start(tokens)
    return after_sign_in(next_url)


# --- account centre ---------------------------------------------------------------------
def _me() -> dict:
    return call("identity", "GET", "/api/identity/me")


@bp.get("/account")
@signed_in
def index():
    return render_template("account/index.html", me=_me())


def _code_flow(kind: str, form_field: str, send_path: str, bind_path: str):
    """Shared by phone and e-mail: 'send' posts a code, 'bind' checks it."""
    errors, info = {}, None
    if request.method == "POST":
        value = request.form.get(form_field, "").strip()
        try:
            if request.form.get("action") == "send":
                out = identity("POST", send_path, auth=True, json={form_field: value})
                info = "验证码已发送，5 分钟内有效。" + (
                    f"原手机号 {out['old_phone_masked']} 也收到了验证码。"
                    if out.get("old_phone_code_sent") else "")
            else:
                body = {form_field: value, "code": request.form.get("code", "").strip()}
                if request.form.get("old_code"):
                    body["old_code"] = request.form["old_code"].strip()
                identity("POST", bind_path, auth=True, json=body)
                flash("手机号绑定成功" if kind == "phone" else "邮箱绑定成功", "success")
                return redirect(url_for("account.index"))
        except ApiError as exc:
            errors = api_errors(exc)
            if exc.status == 429:
                errors = {"_form": exc.message}
    return render_template(f"account/{kind}.html", me=_me(), form=request.form, errors=errors,
                           info=info), 422 if errors else 200


@bp.route("/account/phone", methods=["GET", "POST"])
@signed_in
def phone():
    return _code_flow("phone", "phone", "/api/identity/me/phone/code", "/api/identity/me/phone")


@bp.route("/account/email", methods=["GET", "POST"])
@signed_in
def email():
    return _code_flow("email", "email", "/api/identity/me/email/code", "/api/identity/me/email")


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def password():
    errors = {}
    if request.method == "POST":
        if request.form.get("new_password") != request.form.get("new_password2"):
            errors = {"new_password2": "两次输入的新密码不一致"}
        else:
            try:
                tokens = identity("POST", "/api/identity/me/password", auth=True, json={
                    "old_password": request.form.get("old_password", ""),
                    "new_password": request.form.get("new_password", "")})
                user_session.start(tokens)
                flash("密码已修改，其他设备上的登录已退出。", "success")
                return redirect(url_for("account.index"))
            except ApiError as exc:
                errors = api_errors(exc)
    return render_template("account/password.html", errors=errors), 422 if errors else 200


@bp.route("/account/security-question", methods=["GET", "POST"])
@signed_in
def security_question():
    errors = {}
    questions = call("identity", "GET", "/api/identity/security-questions", auth=False)
    if request.method == "POST":
        try:
            identity("PUT", "/api/identity/me/security-question", auth=True, json={
                k: request.form.get(k, "") for k in ("password", "question", "answer")})
            flash("密保问题已设置", "success")
            return redirect(url_for("account.index"))
        except ApiError as exc:
            errors = api_errors(exc)
    return render_template("account/security_question.html", errors=errors, form=request.form,
                           questions=questions["questions"]), 422 if errors else 200


@bp.route("/account/education", methods=["GET", "POST"])
@signed_in
def education_claim():
    """Correct the education / degree claim (a failed check is mostly a mistyped number);
    identity records it and verification checks it again."""
    errors = {}
    if request.method == "GET":  # the claim on record; a posted form is shown as posted
        me = _me()
        form = as_form(me.get("education"), me.get("degree"))
    else:
        form = request.form
        f, errors = load_form(EducationForm, request.form)
        if not errors:
            errors = confirmation_errors(f)
            if request.form.get("confirmed") != "yes":
                errors["confirmed"] = "请确认学历、学位信息真实准确"
        if not errors:
            education, degree = claims(f)
            try:
                identity("PUT", "/api/identity/me/education", auth=True, json={
                    "education": education, "education_confirmed": True, "degree": degree})
                flash("学历学位信息已更新，系统正在重新核验，结果会出现在首页和消息中心。",
                      "success")
                return redirect(url_for("candidate.home"))
            except ApiError as exc:
                errors = {form_field(k): v for k, v in api_errors(exc).items()}
    return render_template("account/education.html", form=form, errors=errors,
                           education_levels=EDUCATION_LEVELS, degrees=DEGREES
                           ), 422 if errors else 200


@bp.route("/account/name", methods=["GET", "POST"])
@signed_in
def name():
    """Correct the name after the public-security check found it does not match the document
    (the only time it may change, seed 002 §3.1.3); identity refuses it otherwise."""
    errors = {}
    if request.method == "POST":
        new = request.form.get("name", "").strip()
        if new != request.form.get("name2", "").strip():
            errors = {"name2": "两次输入的姓名不一致"}
        else:
            try:
                identity("PUT", "/api/identity/me/name", auth=True, json={
                    "name": new, "name_confirmed": request.form.get("confirmed") == "yes"})
                flash("姓名已更正，系统正在重新进行身份、学历核验，结果会出现在首页和消息中心。",
                      "success")
                return redirect(url_for("candidate.home"))
            except ApiError as exc:
                errors = api_errors(exc)
    return render_template("account/name.html", me=_me(), form=request.form, errors=errors
                           ), 422 if errors else 200


@bp.route("/account/sessions", methods=["GET", "POST"])
@signed_in
def sessions():
    if request.method == "POST":
        out = call("identity", "POST", "/api/identity/me/sessions/revoke-all")
        session.clear()
        flash(f"已在所有设备上退出（{out['revoked']} 个登录凭证失效），请重新登录。", "info")
        return redirect(url_for("public.login"))
    return render_template("account/sessions.html",
                           sessions=call("identity", "GET", "/api/identity/me/sessions"),
                           logins=call("identity", "GET", "/api/identity/me/logins"))


@bp.route("/account/photo", methods=["GET", "POST"])
@signed_in
def photo():
    """Upload any picture → the server crops, resizes and compresses it → preview → save."""
    errors, preview = {}, None
    if request.method == "POST":
        try:
            if request.form.get("action") == "save":
                data = base64.b64decode(request.form.get("image", "").split(",", 1)[-1] or b"")
                identity("POST", "/api/identity/me/photo", auth=True,
                         files={"photo": ("photo.jpg", data, "image/jpeg")})
                flash("照片已保存", "success")
                return redirect(url_for("account.photo"))
            f = request.files.get("photo")
            if f is None or not f.filename:
                errors = {"photo": "请选择要上传的照片"}
            else:
                preview = identity("POST", "/api/identity/me/photo/preview", auth=True,
                                   files={"photo": ("upload", f.read(), "application/octet-stream")},
                                   data={"crop": request.form.get("crop", "")})
        except ApiError as exc:
            errors = api_errors(exc)
    state = call("identity", "GET", "/api/identity/me/photo")
    return render_template("account/photo.html", state=state, preview=preview,
                           errors=errors), 422 if errors else 200


@bp.get("/account/photo/<photo_id>.jpg")
@signed_in
def photo_image(photo_id: str):
    resp = upstream("identity", "GET", f"/api/identity/me/photo/{photo_id}.jpg",
                    token=g.get("access_token"))
    if resp.status_code != 200:
        abort(resp.status_code if resp.status_code in (403, 404) else 404)
    return current_app.response_class(resp.content, mimetype="image/jpeg")


# --- recovery (public) ------------------------------------------------------------------
@bp.route("/account/forgot-username", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def forgot_username():
    errors, info, found = {}, None, None
    if request.method == "POST":
        body = {"document_number": request.form.get("document_number", "").strip(),
                "phone": request.form.get("phone", "").strip()}
        try:
            if request.form.get("action") == "send":
                identity("POST", "/api/identity/recovery/username/code", json=body)
                info = "验证码已发送到该手机，5 分钟内有效。"
            else:
                found = identity("POST", "/api/identity/recovery/username",
                                 json={**body, "code": request.form.get("code", "").strip()})
        except ApiError as exc:
            errors = api_errors(exc)
    return render_template("account/forgot_username.html", form=request.form, errors=errors,
                           info=info, found=found), 422 if errors else 200


@bp.route("/account/forgot-password", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def forgot_password():
    """Step 1: which account; step 2: a way (question, SMS code, e-mail link); step 3: reset."""
    errors, info, options = {}, None, None
    login = request.form.get("login", "").strip()
    action = request.form.get("action", "")
    if request.method == "POST":
        try:
            options = identity("POST", "/api/identity/recovery/password/options",
                               json={"login": login})
            if action in ("sms", "email"):
                identity("POST", "/api/identity/recovery/password/code",
                         json={"login": login, "channel": action})
                info = ("验证码已发送到绑定的手机，5 分钟内有效。" if action == "sms"
                        else "重置链接已发送到绑定的邮箱，30 分钟内有效，仅可使用一次。")
            elif action in ("verify_sms", "verify_answer"):
                body = {"login": login}
                if action == "verify_sms":
                    body["code"] = request.form.get("code", "").strip()
                else:
                    body["answer"] = request.form.get("answer", "")
                out = identity("POST", "/api/identity/recovery/password/verify", json=body)
                return redirect(url_for("account.reset", token=out["reset_token"]))
        except ApiError as exc:
            errors = api_errors(exc)
    return render_template("account/forgot_password.html", login=login, options=options,
                           errors=errors, info=info), 422 if errors else 200


@bp.route("/account/reset", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def reset():
    token = request.values.get("token", "")
    errors = {}
    if request.method == "POST":
        if request.form.get("new_password") != request.form.get("new_password2"):
            errors = {"new_password2": "两次输入的新密码不一致"}
        else:
            try:
                out = identity("POST", "/api/identity/recovery/password/reset", json={
                    "reset_token": token, "new_password": request.form.get("new_password", "")})
                session.pop("need_captcha", None)
                flash(f"密码已重置，请用新密码登录（用户名 {out['username']}）。", "success")
                return redirect(url_for("public.login"))
            except ApiError as exc:
                errors = api_errors(exc)
                if "ticket" in errors:
                    errors["_form"] = errors.pop("ticket")
    return render_template("account/reset.html", token=token, errors=errors), \
        422 if errors else 200


# --- dev only ---------------------------------------------------------------------------
@bp.get("/dev/mailbox")
def mailbox():
    """What the sandbox SMS and mail gateways 'sent' (absent in production mode)."""
    if current_app.config["GATEWAY"].production:
        abort(404)
    messages = identity("GET", "/api/identity/dev/messages")
    return render_template("account/mailbox.html", messages=messages)

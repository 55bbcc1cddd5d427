"""The title application form (申报书): one page per section, saved as the professional goes,
the 同步业绩档案 button, PDF attachments, preview and submit.

No section is lost when the sign-in expires mid-form: a section posted without a valid session
is kept (gateway/resume.py) and the professional comes back to it, filled in, after signing in.
"""
from __future__ import annotations

import jwt
from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from gateway import csrf, resume
from gateway import session as user_session
from gateway.clients import ApiError, upstream
from gateway.views.forms import api_errors
from gateway.views.titles import (
    API,
    ARCHIVE_KINDS,
    CATEGORIES,
    EDUCATION,
    POLITICAL,
    blank_to_none,
    call,
    get,
)

bp = Blueprint("titles_form", __name__, url_prefix="/titles/applications")
professional = user_session.login_required("candidate")

# Which sections each application type has, and what the seed calls them there.
ORDER = {
    "initial": ["basic", "education", "work_history", "achievements", "probation_summary",
                "attachments"],
    "confirmation": ["basic", "work_history", "attachments"],
    "review": ["basic", "education", "work_history", "achievements", "attachments"],
}
LABELS = {"basic": "基本信息", "education": "学历学位", "work_history": "工作经历",
          "achievements": "主要工作成绩及奖惩", "probation_summary": "见习期工作小结",
          "attachments": "附件要求"}
TYPE_LABELS = {("confirmation", "work_history"): "到现单位后专业技术工作情况",
               ("review", "achievements"): "业绩材料"}
# List sections: the fields of one row (name, label, input type).
ROWS = {
    "education": [("start", "入学时间", "date"), ("end", "毕业时间", "date"),
                  ("school", "学校名称/学位授予单位", "text"), ("education", "学历", "education"),
                  ("degree", "学位", "text"), ("major", "专业", "text")],
    "work_history": [("start", "开始时间", "date"), ("end", "结束时间", "date"),
                     ("employer", "工作单位", "text"), ("position", "职务", "text"),
                     ("duties", "主要工作内容", "textarea")],
    "achievements": [("kind", "类别", "kind"), ("title", "名称", "text"), ("date", "时间", "date"),
                     ("role", "本人角色/排名", "text"), ("description", "主要内容及成效", "textarea")],
}
BLANK_ROWS = 2
BASIC_COMMON = [("gender", "性别", "gender"), ("birth_date", "出生日期", "date"),
                ("phone", "联系电话", "tel"), ("political_status", "政治面貌", "political"),
                ("education_highest", "最高学历", "education"),
                ("work_start_date", "参加工作时间", "date"),
                ("personnel_category", "人员类别", "category"), ("employer", "现工作单位", "text"),
                ("employer_region", "单位所在区县代码", "text"),
                ("archive_location", "档案存放地", "text"), ("position", "职务（行政职务）", "text"),
                ("current_series", "现职称系列", "text"), ("current_title", "现职称", "text"),
                ("address", "联系地址", "text")]
BASIC_BY_TYPE = {
    "initial": [],
    "confirmation": [("original_series", "原专业技术职称系列", "text"),
                     ("original_title", "原专业技术职称", "text"),
                     ("original_specialty", "原专业技术职称专业方向", "text"),
                     ("original_obtained_on", "原专业技术职称取得时间", "date"),
                     ("valid_scope", "有效范围", "scope")],
    "review": [("committee_group", "评审委员会专业组", "group"), ("category", "申请类别", "review_category"),
               ("conditions", "符合的申报条件", "textarea")],
}
CHOICES = {"gender": ["男", "女"], "political": POLITICAL, "education": EDUCATION,
           "category": CATEGORIES, "scope": ["全市", "本区县", "本系统", "本单位"],
           "review_category": ["正常晋升", "破格申报", "转评", "初次申报"]}
BASIC_LABELS = {"name": "姓名", **{n: lab for n, lab, _ in BASIC_COMMON},
                **{n: lab for fields in BASIC_BY_TYPE.values() for n, lab, _ in fields}}
MARKER = "resume_marker"
RESTORED = "已恢复您未保存的内容"


def sections_of(a: dict) -> list[dict]:
    """The sections of this application in order, each with label and completeness."""
    done = a.get("completeness") or {}
    out = []
    for i, name in enumerate(ORDER.get(a["application_type"], ORDER["initial"]), start=1):
        state = done.get(name) or {}
        out.append({"name": name, "n": i, "label": TYPE_LABELS.get((a["application_type"], name),
                                                                     LABELS[name]),
                    "complete": state.get("complete", False), "required": state.get("required"),
                    "missing": state.get("missing") or []})
    return out


def basic_fields(a: dict) -> list[tuple[str, str, str]]:
    return BASIC_COMMON + BASIC_BY_TYPE.get(a["application_type"], [])


def _sub() -> str | None:
    """The signed-in user's id, from the access token the signed session holds."""
    token = g.get("access_token")
    if not token:
        return None
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("sub")
    except jwt.PyJWTError:
        return None


# -- values: from the API, from a posted form, to the API -------------------------------------
def stored_values(a: dict, section: str):
    data = (a.get("sections") or {}).get(section)
    if section == "basic":
        return {k: "" if v is None else str(v) for k, v in (data or {}).items()}
    if section in ROWS:
        return [{k: "" if v is None else str(v) for k, v in (row or {}).items()}
                for row in data or []]
    if section == "probation_summary":
        return data if isinstance(data, str) else (data or {}).get("text") or ""
    return None


def posted_values(section: str, form: dict[str, list[str]]):
    """What the posted form says, in the shape ``stored_values`` gives (rows without blanks)."""
    first = {k: (v[0] if v else "") for k, v in form.items()}
    if section == "basic":
        return {k: v for k, v in first.items() if k not in ("csrf_token", MARKER, "then")}
    if section in ROWS:
        rows: dict[int, dict] = {}
        for key, value in first.items():
            parts = key.split("-", 2)
            if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
                rows.setdefault(int(parts[1]), {})[parts[2]] = value
        out = []
        for i in sorted(rows):
            row = rows[i]
            if row.pop("remove", "") == "yes":
                continue
            if any((row.get(f) or "").strip() for f, _, _ in ROWS[section] if f != "kind"):
                out.append(row)
        return out
    if section == "probation_summary":
        return first.get("text", "")
    return None


def api_body(section: str, values):
    if section == "basic":
        return blank_to_none(values)
    if section in ROWS:
        fields = [f for f, _, _ in ROWS[section]] + (["archive_id"] if section == "achievements"
                                                     else [])
        return {"items": [blank_to_none({f: row.get(f, "") for f in fields}) for row in values]}
    return {"text": (values or "").strip() or None}


def _errors(exc: ApiError) -> dict[str, str]:
    """API field errors keyed like the form's inputs (``items.0.start`` → ``items-0-start``)."""
    out = {}
    for key, message in api_errors(exc).items():
        out[key.replace(".", "-") if key.startswith("items.") else key] = message
    return out


def _render(a: dict, section: str, values, errors=None, restored=False, status=200):
    sub = _sub() or ""
    rows = None
    if section in ROWS:
        rows = list(values) + [{} for _ in range(BLANK_ROWS)]
    return render_template(
        "titles/section.html", a=a, section=section, sections=sections_of(a),
        label=next(s["label"] for s in sections_of(a) if s["name"] == section),
        values=values, rows=rows, row_fields=ROWS.get(section), basic=basic_fields(a),
        choices=CHOICES, kinds=ARCHIVE_KINDS, errors=errors or {}, restored=restored,
        marker=resume.marker(sub, a["id"], section),
        editable="edit" in (a.get("actions") or []),
        next_section=_next(a, section)), status


def _next(a: dict, section: str) -> str | None:
    names = [s["name"] for s in sections_of(a)]
    i = names.index(section)
    return names[i + 1] if i + 1 < len(names) else None


def _check(a: dict, section: str) -> None:
    if section not in ORDER.get(a["application_type"], []):
        abort(404)


# -- the section pages ------------------------------------------------------------------------------
@bp.get("/<application_id>/sections/<section>")
@professional
def section(application_id: str, section: str):
    a = get(f"/applications/{application_id}")
    _check(a, section)
    if section == "attachments":
        return render_template("titles/attachments.html", a=a, sections=sections_of(a),
                               section=section, label=LABELS["attachments"],
                               editable="edit" in (a.get("actions") or []))
    kept = resume.peek(_sub() or "", application_id, section)
    if kept is not None:
        return _render(a, section, posted_values(section, kept), restored=True)
    return _render(a, section, stored_values(a, section))


def _expired(application_id: str, section: str):
    """The sign-in ended while the form was open: keep what was typed, then sign in again."""
    owner = resume.read_marker(request.form.get(MARKER, ""), application_id, section)
    origin = request.headers.get("Origin")
    if owner is None or (origin and origin.rstrip("/") != request.host_url.rstrip("/")):
        raise CSRFError("页面已过期")
    token = resume.keep(owner, application_id, section, request.form.to_dict(flat=False))
    session.clear()
    flash("登录已超时，请重新登录。您刚才填写的内容已为您暂存，登录后将自动恢复。", "warning")
    target = url_for("titles_form.section", application_id=application_id, section=section)
    resp = redirect(url_for("public.login", next=target))
    resume.set_cookie(resp, token)
    return resp


@bp.post("/<application_id>/sections/<section>")
def save_section(application_id: str, section: str):
    """Save one section. Exempt from the global CSRF check so an expired session can be told
    apart from a forged post: with a session the CSRF token is checked here as usual; without
    one, only a form carrying the signed marker issued to its user is kept (see resume.py)."""
    if section not in ROWS and section not in ("basic", "probation_summary"):
        abort(404)
    if not g.get("user"):
        return _expired(application_id, section)
    csrf.protect()
    if "candidate" not in user_session.roles():
        abort(403)
    values = posted_values(section, request.form.to_dict(flat=False))
    try:
        call("registration", "PUT", f"{API}/applications/{application_id}/sections/{section}",
             json=api_body(section, values))
    except ApiError as exc:
        if exc.status == 401:  # the token went stale under a live-looking session
            return _expired(application_id, section)
        a = get(f"/applications/{application_id}")
        if exc.status in (404, 403):
            abort(exc.status)
        if exc.status == 409:
            flash(exc.message, "error")
            return redirect(url_for("titles.applications"))
        return _render(a, section, values, errors=_errors(exc), status=422)
    resume.forget()
    a = get(f"/applications/{application_id}")
    _check(a, section)
    nxt = _next(a, section)
    flash(f"“{next(s['label'] for s in sections_of(a) if s['name'] == section)}”已保存。", "success")
    if request.form.get("then") == "next" and nxt:
        return redirect(url_for("titles_form.section", application_id=application_id, section=nxt))
    return redirect(url_for("titles_form.section", application_id=application_id, section=section))


@bp.post("/<application_id>/sync-archive")
@professional
def sync_archive(application_id: str):
    """同步业绩档案: copy the archive's items into the achievements section."""
    try:
        call("registration", "POST", f"{API}/applications/{application_id}/sync-archive")
        flash("已从业绩档案同步，请检查后保存。不用于本次申报的条目可勾选“删除”。", "success")
    except ApiError as exc:
        flash(exc.message, "error")
    return redirect(url_for("titles_form.section", application_id=application_id,
                            section="achievements"))


# -- attachments ------------------------------------------------------------------------------------
def _message(resp, fallback: str) -> str:
    try:
        return resp.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return fallback


@bp.post("/<application_id>/attachments")
@professional
def upload(application_id: str):
    back = redirect(url_for("titles_form.section", application_id=application_id,
                            section="attachments"))
    upload_ = request.files.get("file")
    if upload_ is None or not upload_.filename:
        flash("请选择要上传的 PDF 文件（小于 10MB）", "error")
        return back
    content = upload_.read(10 * 1024 * 1024 + 1)
    if len(content) > 10 * 1024 * 1024:
        flash("附件不能超过 10MB，请压缩后重新上传", "error")
        return back
    resp = upstream("registration", "POST", f"{API}/applications/{application_id}/attachments",
                    token=g.get("access_token"),
                    files={"file": (upload_.filename, content, "application/pdf")},
                    data={"label": (request.form.get("label") or "其他材料")[:60]})
    if resp.status_code >= 400:
        flash(_message(resp, "附件上传未成功，请稍后再试"), "error")
    else:
        flash(f"已上传：{upload_.filename}", "success")
    return back


@bp.post("/<application_id>/attachments/<attachment_id>/delete")
@professional
def delete_attachment(application_id: str, attachment_id: str):
    resp = upstream("registration", "DELETE",
                    f"{API}/applications/{application_id}/attachments/{attachment_id}",
                    token=g.get("access_token"))
    if resp.status_code >= 400:
        flash(_message(resp, "删除未成功，请稍后再试"), "error")
    else:
        flash("附件已删除。", "info")
    return redirect(url_for("titles_form.section", application_id=application_id,
                            section="attachments"))


@bp.get("/<application_id>/attachments/<attachment_id>")
@professional
def attachment(application_id: str, attachment_id: str):
    from gateway.views.candidate import _pdf
    return _pdf("registration", f"{API}/applications/{application_id}/attachments/{attachment_id}",
                "attachment.pdf")


# -- preview and submit -----------------------------------------------------------------------------
@bp.get("/<application_id>/preview")
@professional
def preview(application_id: str):
    """预览及提交: the whole application as the unit will see it, and what is still missing."""
    a = get(f"/applications/{application_id}")
    return render_template("titles/preview.html", a=a, sections=sections_of(a), preview=True,
                           labels=BASIC_LABELS, rows_spec=ROWS, kinds=ARCHIVE_KINDS)


@bp.post("/<application_id>/submit")
@professional
def submit(application_id: str):
    try:
        call("registration", "POST", f"{API}/applications/{application_id}/submit")
    except ApiError as exc:
        flash(exc.message, "error")
        return redirect(url_for("titles_form.preview", application_id=application_id))
    flash("申报书已提交，等待受理单位审核。可在“办理记录”中查看待办单位和办理截止时间。", "success")
    return redirect(url_for("titles.applications"))


def install(app) -> None:
    csrf.exempt(save_section)  # checks CSRF itself (see save_section)
    app.register_blueprint(bp)

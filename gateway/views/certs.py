"""Certificate pages: the holder's certificate (history, sharing, corrections, mailing), the
employer's PIN page for a shared link, and checking a downloaded credential file."""
from __future__ import annotations

import json

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from gateway import limiter
from gateway import session as user_session
from gateway.clients import ApiError, ServiceUnavailable, call, upstream

bp = Blueprint("certs", __name__)
candidate_only = user_session.login_required("candidate")
API = "/api/certificates"


def _message(resp, fallback: str) -> str:
    try:
        return resp.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return fallback


def _optional(path: str, **kw):
    try:
        return call("certificates", "GET", path, **kw)
    except (ApiError, ServiceUnavailable):
        return None


@bp.get("/certificates/<number>")
@candidate_only
def detail(number: str):
    history = call("certificates", "GET", f"{API}/{number}/history")
    return render_template("certs/detail.html", number=number, history=history,
                           shares=_optional(f"{API}/{number}/shares") or [],
                           mailings=_optional(f"{API}/{number}/mailings") or [],
                           replacement=_optional(f"{API}/{number}/replacements/eligibility"),
                           # title certificates only (a qualification answers 409: no section);
                           # ?compare=1 also queries the national platform (查询人社部平台)
                           national=_optional(f"{API}/{number}/national", params={
                               "compare": "true" if request.args.get("compare") else "false"}),
                           new_share=request.args.get("new_share"))


@bp.post("/certificates/<number>/shares")
@candidate_only
def share(number: str):
    body = {"pin": request.form.get("pin", ""), "label": request.form.get("label", "")[:100]}
    if request.form.get("days"):
        body["days"] = int(request.form["days"]) if request.form["days"].isdigit() else 0
    try:
        link = call("certificates", "POST", f"{API}/{number}/shares", json=body)
        flash("查验链接已生成：请把链接和您设置的查验码分别告诉对方。链接只显示这一次。", "success")
        return redirect(url_for("certs.detail", number=number, new_share=link["url"]))
    except ApiError as exc:
        flash(exc.message, "error")
        return redirect(url_for("certs.detail", number=number))


@bp.post("/certificates/<number>/shares/<link_id>/revoke")
@candidate_only
def revoke_share(number: str, link_id: str):
    try:
        call("certificates", "DELETE", f"{API}/shares/{link_id}")
        flash("查验链接已作废。", "info")
    except ApiError as exc:
        flash(exc.message, "error")
    return redirect(url_for("certs.detail", number=number))


@bp.post("/certificates/<number>/corrections")
@candidate_only
def correction(number: str):
    files = [("proofs", (f.filename, f.stream, f.mimetype))
             for f in request.files.getlist("proofs") if f.filename]
    resp = upstream("certificates", "POST", f"{API}/{number}/corrections", token=g.get("access_token"),
                    data={k: request.form.get(k, "") for k in ("kind", "new_value", "note")},
                    files=files or None)
    if resp.status_code >= 400:
        flash(_message(resp, "补正申请未提交成功"), "error")
    else:
        flash("补正申请已提交，证书管理人员审核通过后将签发新版本证书。", "success")
    return redirect(url_for("certs.detail", number=number))


@bp.post("/certificates/<number>/national")
@candidate_only
@limiter.limit("10 per hour")
def national_report(number: str):
    """上报人社部: the service refuses while a report or correction is pending, when nothing
    differs, or too soon after the last one; the page then shows the comparison again."""
    try:
        call("certificates", "POST", f"{API}/{number}/national/report")
        flash("已重新提交上报人社部平台，上报完成后状态会变为“已上报”。", "success")
    except (ApiError, ServiceUnavailable) as exc:
        flash(getattr(exc, "message", None) or "证书服务暂时不可用，请稍后再试。", "error")
    return redirect(url_for("certs.detail", number=number, compare=1))


@bp.post("/certificates/<number>/mailings")
@candidate_only
def mailing(number: str):
    body = {k: request.form.get(k, "") for k in ("recipient", "address", "phone")}
    body["kind"] = "first"
    try:
        call("certificates", "POST", f"{API}/{number}/mailings", json=body)
        flash("纸质证书邮寄申请已提交。", "success")
    except ApiError as exc:
        flash(exc.message, "error")
    return redirect(url_for("certs.detail", number=number))


REPLACEMENT_FILES = ("application_form", "id_document", "photo")


@bp.post("/certificates/<number>/replacements")
@candidate_only
def replacement(number: str):
    """A lost or damaged paper certificate: seed 004's three materials go to certificates,
    which checks them by content and keeps them encrypted (the body limit is raised for this
    route in the app's before_request)."""
    files = [(kind, (f.filename, f.stream, f.mimetype)) for kind in REPLACEMENT_FILES
             for f in request.files.getlist(kind) if f.filename]
    fields = ("recipient", "address", "phone", "reason", "id_document_type")
    resp = upstream("certificates", "POST", f"{API}/{number}/replacements",
                    token=g.get("access_token"),
                    data={k: request.form.get(k, "")[:200] for k in fields}, files=files or None)
    if resp.status_code >= 400:
        flash(_message(resp, "补发申请未提交成功"), "error")
    else:
        flash("补发申请已提交，证书管理人员审核材料后将安排印制和邮寄。", "success")
    return redirect(url_for("certs.detail", number=number))


@bp.route("/shared/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def shared(token: str):
    """An employer opens the link a holder gave them and types the holder's PIN."""
    result, error = None, None
    if request.method == "POST":
        resp = upstream("certificates", "POST", f"{API}/shared/{token[:100]}",
                        json={"pin": request.form.get("pin", "")[:40]})
        if resp.status_code == 200:
            result = resp.json()
        else:
            error = _message(resp, "无法打开该查验链接")
    html = render_template("certs/shared.html", result=result, error=error)
    return html, 200 if error is None else 422, {"Referrer-Policy": "no-referrer"}


@bp.post("/verify/file")
@limiter.limit("30 per minute")
def verify_file():
    """Anyone checks a downloaded credential JSON: signature, key, revocation, corrections."""
    upload = request.files.get("credential")
    raw = upload.read(256 * 1024 + 1) if upload else b""
    try:
        document = json.loads(raw) if raw and len(raw) <= 256 * 1024 else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return render_template("verify.html", file_result={
            "status": "invalid", "message": "这不是本平台的证书数据文件（应为 .json）"}), 422
    resp = upstream("certificates", "POST", f"{API}/verify/credential", json=document)
    result = resp.json() if resp.status_code == 200 else {
        "status": "invalid", "message": _message(resp, "无法校验该文件")}
    return render_template("verify.html", file_result=result)

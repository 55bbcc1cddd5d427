"""The candidate's pages: home with next steps, exams, application, payment, certificates."""
from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from gateway import session as user_session
from gateway.clients import ApiError, ServiceUnavailable, call, upstream
from gateway.views import flow, payments
from gateway.views.forms import api_errors

bp = Blueprint("candidate", __name__)
candidate_only = user_session.login_required("candidate")


def _section(fn, *args, **kwargs):
    """One part of a page: if its service is down, that part says so and the rest still works."""
    try:
        return fn(*args, **kwargs), None
    except ServiceUnavailable:
        return None, "该部分服务暂时不可用，请稍后刷新。"
    except ApiError as exc:
        return None, exc.message


@bp.get("/")
def home():
    if not g.get("user"):
        exams, _ = _section(call, "registration", "GET", "/api/registration/exams", auth=False)
        return render_template("landing.html", exams=exams or [])
    if "candidate" not in user_session.roles():
        return redirect(url_for("ops.index"))
    apps, apps_error = _section(call, "registration", "GET", "/api/registration/me/applications")
    notes, notes_error = _section(call, "identity", "GET", "/api/identity/me/notifications")
    checks, checks_error = _section(call, "verification", "GET", "/api/verification/me/checks")
    return render_template("home.html", applications=apps or [], apps_error=apps_error,
                           notifications=notes or [], notes_error=notes_error,
                           checks=checks or [], checks_error=checks_error)


@bp.post("/checks/proofs")
@candidate_only
def upload_proof():
    """A proof for a check the reviewer asked about (PDF or JPEG; checked by content there)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要上传的证明材料（PDF 或 JPEG，不超过 10 MB）", "error")
        return redirect(url_for("candidate.home"))
    resp = upstream("verification", "POST", "/api/verification/me/proofs", token=g.get("access_token"),
                    files={"file": (upload.filename, upload.stream, upload.mimetype)},
                    data={"kind": request.form.get("kind", "education")})
    if resp.status_code >= 400:
        try:
            message = resp.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = "上传未成功，请稍后再试"
        flash(message, "error")
    else:
        flash("证明材料已上传，审核人员将重新核验。", "success")
    return redirect(url_for("candidate.home"))


@bp.get("/exams")
def exams():
    exams = call("registration", "GET", "/api/registration/exams", auth=False)
    return render_template("exams.html", exams=exams)


@bp.route("/exams/<sitting_id>/apply", methods=["GET", "POST"])
@candidate_only
def apply(sitting_id: str):
    sitting = call("registration", "GET", f"/api/registration/sittings/{sitting_id}")
    province = request.values.get("province") or ""
    if flow.uses_full_flow(sitting):  # online review / commitment mode: the seed-002 steps
        return redirect(url_for("flow.start", sitting_id=sitting_id, province=province or None))
    level = request.values.get("level") or ""
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get("notice") != "yes":
            errors["notice"] = "请阅读并同意报考须知"
        else:
            body = {"sitting_id": sitting_id, "province": province, "level": level,
                    "city": request.form.get("city", ""),
                    "specialty": request.form.get("specialty") or None,
                    "subjects": request.form.getlist("subjects")}
            key = request.form.get("idempotency_key") or str(uuid.uuid4())
            try:
                app_view = call("registration", "POST", "/api/registration/applications", json=body,
                                headers={"Idempotency-Key": key})
                flash(f"报名信息已保存，报名序号 {app_view['application_number']}。", "success")
                return redirect(url_for("candidate.application", application_id=app_view["id"]))
            except ApiError as exc:
                errors = api_errors(exc)
    prov = next((p for p in sitting["provinces"] if p["code"] == province), None)
    lvl = next((v for v in sitting["levels"] if v["code"] == level), None)
    # Returning candidates (seed 002): subjects passed within the rolling period are not offered.
    carried, archive = flow.carried_subjects(sitting_id) if prov and lvl else ({}, None)
    return render_template("apply.html", sitting=sitting, province=prov, level=lvl, errors=errors,
                           form=request.form, idempotency_key=str(uuid.uuid4()),
                           carried=carried, archive=archive), \
        422 if errors else 200


def _application(application_id: str) -> dict:
    try:
        return call("registration", "GET", f"/api/registration/applications/{application_id}")
    except ApiError as exc:
        abort(exc.status if exc.status in (403, 404) else 400)


@bp.get("/applications/<application_id>")
@candidate_only
def application(application_id: str):
    app_view = _application(application_id)
    order, order_error = None, None
    if app_view.get("amount_fen") and app_view["state"] not in (
            "draft", "under_review", "returned", "cancelled"):
        order, order_error = _section(call, "payment", "GET",
                                      f"/api/payment/applications/{application_id}/order")
    panel = payments.order_panel(application_id, order) if order else None
    return render_template("application.html", a=app_view, order=order, order_error=order_error,
                           extras=flow.status_extras(app_view), panel=panel)


@bp.post("/applications/<application_id>/pay")
@candidate_only
def pay(application_id: str):
    order = call("payment", "GET", f"/api/payment/applications/{application_id}/order")
    return_url = url_for("candidate.application", application_id=application_id, _external=True,
                         **{"from": "pay"})
    try:
        checkout = call("payment", "POST", f"/api/payment/orders/{order['order_number']}/checkout",
                        json={"return_url": return_url})
    except ApiError as exc:
        flash(exc.message, "error")
        return redirect(url_for("candidate.application", application_id=application_id))
    return redirect(checkout["pay_url"])


@bp.post("/applications/<application_id>/refresh-payment")
@candidate_only
def refresh_payment(application_id: str):
    order = call("payment", "GET", f"/api/payment/applications/{application_id}/order")
    order = call("payment", "POST", f"/api/payment/orders/{order['order_number']}/refresh")
    flash("已向支付平台查询：" + order.get("status_label", order["status"]), "info")
    return redirect(url_for("candidate.application", application_id=application_id))


@bp.post("/applications/<application_id>/withdraw")
@candidate_only
def withdraw(application_id: str):
    try:
        call("registration", "POST", f"/api/registration/applications/{application_id}/withdraw")
        flash("报名已撤回。", "info")
    except ApiError as exc:
        flash(exc.message, "error")
    return redirect(url_for("candidate.application", application_id=application_id))


def _pdf(service: str, path: str, filename: str) -> Response:
    resp = upstream(service, "GET", path, token=g.get("access_token"))
    if resp.status_code != 200:
        abort(resp.status_code if resp.status_code in (403, 404) else 400)
    return Response(resp.content, mimetype=resp.headers.get("Content-Type", "application/pdf"),
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


@bp.get("/applications/<application_id>/admit-card.pdf")
@candidate_only
def admit_card(application_id: str):
    resp = upstream("registration", "GET",
                    f"/api/registration/applications/{application_id}/admit-card.pdf",
                    token=g.get("access_token"))
    if resp.status_code == 422:  # allocation exams: printing opens a week before the exam
        flash(flow.message_of(resp, "准考证打印尚未开放"), "warning")
        return redirect(url_for("candidate.application", application_id=application_id))
    if resp.status_code != 200:
        abort(resp.status_code if resp.status_code in (403, 404) else 400)
    return Response(resp.content, mimetype="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="admit-card.pdf"'})


@bp.get("/certificates")
@candidate_only
def certificates():
    certs = call("certificates", "GET", "/api/certificates/me")
    return render_template("certificates.html", certificates=certs)


@bp.get("/certificates/<number>/certificate.pdf")
@candidate_only
def certificate_pdf(number: str):
    return _pdf("certificates", f"/api/certificates/{number}/certificate.pdf", f"{number}.pdf")


@bp.get("/certificates/<number>/credential.json")
@candidate_only
def certificate_json(number: str):
    resp = upstream("certificates", "GET", f"/api/certificates/{number}/credential.json",
                    token=g.get("access_token"))
    if resp.status_code != 200:
        abort(resp.status_code if resp.status_code in (403, 404) else 400)
    return Response(resp.content, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{number}.json"'})

"""The seed-002 application flow for candidates: commitment notice → exam notice → form → save,
then the status page's actions (letter, proofs, confirm, modify, form PDF, score review) and the
public notice (公示). The quick path (automatic review, no commitment) stays in candidate.py."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from gateway import session as user_session
from gateway.clients import ApiError, ServiceUnavailable, call, upstream
from gateway.views.forms import api_errors

bp = Blueprint("flow", __name__)
candidate_only = user_session.login_required("candidate")
API = "/api/registration"
PROOF_KINDS = (("education", "学历证书"), ("work_years", "专业工作年限证明"),
               ("exemption", "免试依据"), ("other", "其他材料"))


def uses_full_flow(sitting: dict) -> bool:
    """An exam whose settings ask for qualification review by people or offer commitment mode
    takes the seed-002 flow; automatic review without commitment keeps the quick apply page."""
    settings = sitting.get("settings") or {}
    return (settings.get("review_mode", "automatic") != "automatic"
            or bool(settings.get("commitment_offered")))


def message_of(resp, default: str = "操作未能完成，请稍后再试") -> str:
    try:
        return resp.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return default


def _sitting(sitting_id: str) -> dict:
    try:
        return call("registration", "GET", f"{API}/sittings/{sitting_id}")
    except ApiError as exc:
        abort(exc.status if exc.status in (403, 404) else 400)


def _province(sitting: dict, code: str) -> dict:
    prov = next((p for p in sitting["provinces"] if p["code"] == code), None)
    if prov is None:
        abort(404)
    return prov


def _view(application_id: str) -> dict:
    try:
        return call("registration", "GET", f"{API}/applications/{application_id}")
    except ApiError as exc:
        abort(exc.status if exc.status in (403, 404) else 400)


def _back(application_id: str):
    return redirect(url_for("candidate.application", application_id=application_id))


# -- steps before the form ---------------------------------------------------------------------
@bp.get("/exams/<sitting_id>/flow")
@candidate_only
def start(sitting_id: str):
    """Step 1: the province (报名地); then on to the commitment notice."""
    sitting = _sitting(sitting_id)
    province = request.args.get("province") or ""
    if any(p["code"] == province for p in sitting["provinces"]):
        return redirect(url_for("flow.commitment", sitting_id=sitting_id, province=province))
    return render_template("flow/province.html", sitting=sitting, step=1)


@bp.route("/exams/<sitting_id>/flow/<province>/commitment", methods=["GET", "POST"])
@candidate_only
def commitment(sitting_id: str, province: str):
    """Step 2: 告知承诺制 — choose it or not (declining is final); the integrity list may refuse."""
    sitting = _sitting(sitting_id)
    prov = _province(sitting, province)
    error = None
    if request.method == "POST":
        commit = request.form.get("commit") == "yes"
        try:
            resp = upstream("registration", "POST", f"{API}/sittings/{sitting_id}/commitment",
                            token=g.get("access_token"), json={"commit": commit})
        except ServiceUnavailable:  # 503 integrity_unavailable: verification cannot answer
            error = "暂时无法查询诚信档案，请稍后再试，或选择不采用告知承诺制（选择后本年度不可改回）。"
        else:
            if resp.status_code < 400:
                flash("已选择采用告知承诺制。" if commit else "已选择不采用告知承诺制，"
                      "确认提交前须上传证明材料。", "success")
                return redirect(url_for("flow.notice", sitting_id=sitting_id, province=province))
            error = message_of(resp)
    state = call("registration", "GET", f"{API}/sittings/{sitting_id}/commitment")
    if not state["offered"] and request.method == "GET":
        return redirect(url_for("flow.notice", sitting_id=sitting_id, province=province))
    return render_template("flow/commitment.html", sitting=sitting, province=prov, c=state,
                           error=error, step=2), 422 if error else 200


@bp.route("/exams/<sitting_id>/flow/<province>/notice", methods=["GET", "POST"])
@candidate_only
def notice(sitting_id: str, province: str):
    """Step 3: the exam notice (报考须知) must be accepted before the form opens."""
    sitting = _sitting(sitting_id)
    prov = _province(sitting, province)
    error = None
    if request.method == "POST":
        if request.form.get("accept") == "yes":
            accepted = set(session.get("flow_notice", [])) | {sitting_id}
            session["flow_notice"] = sorted(accepted)[-10:]
            return redirect(url_for("flow.form", sitting_id=sitting_id, province=province))
        error = "请阅读并勾选同意报考须知"
    state = call("registration", "GET", f"{API}/sittings/{sitting_id}/commitment")
    return render_template("flow/notice.html", sitting=sitting, province=prov, c=state,
                           error=error, step=3), 422 if error else 200


# -- the form (new and modify) -----------------------------------------------------------------
def _level(sitting: dict, code: str | None) -> dict | None:
    levels = sitting["levels"]
    if len(levels) == 1:
        return levels[0]
    return next((v for v in levels if v["code"] == code), None)


def _posted_values() -> dict:
    form = request.form
    exempt = {code: form.get(f"basis_{code}", "").strip() for code in form.getlist("exempt")}
    return {"city": form.get("city", ""), "review_point": form.get("review_point") or None,
            "specialty": form.get("specialty") or None, "subjects": form.getlist("subjects"),
            "exempt": exempt}


def _form_errors(exc: ApiError) -> dict[str, str]:
    """The API's errors by field; nested exemption errors shown next to the exemption list."""
    errors: dict[str, str] = {}
    for key, message in api_errors(exc).items():
        if key.startswith("exempt_subjects."):
            errors["exempt_subjects"] = "免试科目：" + message
        else:
            errors[key] = message
    return errors


def _missing_basis(values: dict) -> dict[str, str]:
    if any(not basis for basis in values["exempt"].values()):
        return {"exempt_subjects": "申请免试的科目须填写免试依据"}
    return {}


def _body(values: dict, level: dict) -> dict:
    return {"city": values["city"], "review_point": values["review_point"],
            "level": level["code"], "specialty": values["specialty"],
            "subjects": values["subjects"],
            "exempt_subjects": [{"code": c, "basis": b} for c, b in values["exempt"].items()]}


def carried_subjects(sitting_id: str) -> tuple[dict, str | None]:
    """Subjects carried over from earlier sittings (code → {year, score, until}: the last exam
    year the pass still counts) and the archive number."""
    me = call("registration", "GET", f"{API}/sittings/{sitting_id}/me")
    rolling = me.get("rolling_years") or 1
    return ({c["subject_code"]: dict(c, until=c["year"] + rolling - 1)
             for c in me.get("carried") or []}, me.get("archive_number"))


def _render_form(sitting, prov, level, values, errors, carried, archive, **extra):
    return render_template("flow/form.html", sitting=sitting, province=prov, level=level,
                           values=values, errors=errors, carried=carried, archive=archive,
                           on_site=sitting.get("review_mode") == "on_site", step=4,
                           **extra), 422 if errors else 200


@bp.route("/exams/<sitting_id>/flow/<province>/form", methods=["GET", "POST"])
@candidate_only
def form(sitting_id: str, province: str):
    """Step 4: city, review point, level, specialty, subjects (minus carried-over), exemptions."""
    if sitting_id not in session.get("flow_notice", []):
        return redirect(url_for("flow.notice", sitting_id=sitting_id, province=province))
    sitting = _sitting(sitting_id)
    prov = _province(sitting, province)
    level = _level(sitting, request.values.get("level"))
    if level is None:
        return render_template("flow/level.html", sitting=sitting, province=prov, step=4)
    carried, archive = carried_subjects(sitting_id)
    state = call("registration", "GET", f"{API}/sittings/{sitting_id}/commitment")
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _posted_values()
        body = _body(values, level) | {
            "sitting_id": sitting_id, "province": province, "notice_accepted": True,
            "commitment_mode": state.get("choice") == "commit"}
        key = request.form.get("idempotency_key") or str(uuid.uuid4())
        errors = _missing_basis(values)
        if not errors:
            try:
                view = call("registration", "POST", f"{API}/applications/drafts", json=body,
                            headers={"Idempotency-Key": key})
                flash(f"报名信息已保存，报名序号 {view['application_number']}。"
                      "请按页面提示完成后续步骤并确认提交。", "success")
                return _back(view["id"])
            except ApiError as exc:
                errors = _form_errors(exc)
    else:
        values = {"city": "", "review_point": None, "specialty": None, "exempt": {},
                  "subjects": [s["code"] for s in level["subjects"] if s["code"] not in carried]}
    return _render_form(sitting, prov, level, values, errors, carried, archive,
                        commitment_mode=state.get("choice") == "commit",
                        action=url_for("flow.form", sitting_id=sitting_id, province=province),
                        idempotency_key=request.form.get("idempotency_key") or str(uuid.uuid4()))


@bp.route("/applications/<application_id>/edit", methods=["GET", "POST"])
@candidate_only
def edit(application_id: str):
    """Modify (while editable): the same form; the application goes back to draft."""
    view = _view(application_id)
    if not view.get("editable"):
        flash("当前状态不可修改报名信息。", "error")
        return _back(application_id)
    sitting = _sitting(view["sitting_id"])
    prov = _province(sitting, view["province"])
    level = _level(sitting, request.values.get("level") or view["level"])
    if level is None:
        abort(404)
    carried, archive = carried_subjects(view["sitting_id"])
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _posted_values()
        commit = bool(view.get("commitment_mode")) and request.form.get("withdraw") != "yes"
        errors = _missing_basis(values)
        if not errors:
            try:
                call("registration", "PUT", f"{API}/applications/{application_id}",
                     json=_body(values, level) | {"commitment_mode": commit})
                flash("报名信息已修改，请重新确认提交。", "success")
                return _back(application_id)
            except ApiError as exc:
                if exc.code == "edit_after_payment":
                    flash(exc.message, "error")
                    return _back(application_id)
                errors = _form_errors(exc)
    else:
        values = {"city": view["city"], "review_point": view.get("review_point"),
                  "specialty": view.get("specialty"),
                  "subjects": [s["code"] for s in view["subjects"]],
                  "exempt": {e["code"]: e["basis"] for e in view.get("exempt_subjects") or []}}
    return _render_form(sitting, prov, level, values, errors, carried, archive, a=view,
                        commitment_mode=view.get("commitment_mode"),
                        action=url_for("flow.edit", application_id=application_id))


# -- actions on the status page ----------------------------------------------------------------
def status_extras(view: dict) -> dict:
    """What the status page needs beyond the application view: the letter text while it is to
    be signed, and my score reviews once scores are out (each part may fail on its own)."""
    extras: dict = {"proof_kinds": PROOF_KINDS}
    if view.get("commitment_mode") and not view.get("letter_signed_at") \
            and view.get("state") == "draft":
        try:
            extras["letter"] = call("registration", "GET",
                                    f"{API}/sittings/{view['sitting_id']}/commitment")["letter"]
        except (ApiError, ServiceUnavailable):
            extras["letter"] = None
    if view.get("state") == "paid" and not view.get("admit_card"):  # waiting for the draw
        try:
            sitting = call("registration", "GET", f"{API}/sittings/{view['sitting_id']}")
            if (sitting.get("settings") or {}).get("admit_card_mode") == "allocation":
                prov = next(p for p in sitting["provinces"] if p["code"] == view["province"])
                extras["seat_draw_after"] = prov["windows"]["payment"]["end"]
        except (ApiError, ServiceUnavailable, StopIteration, KeyError, TypeError):
            pass
    if view.get("scores"):
        try:
            extras["score_reviews"] = call("registration", "GET",
                                           f"{API}/applications/{view['id']}/score-reviews")
        except (ApiError, ServiceUnavailable):
            extras["score_reviews"] = None
        extras["carried"] = _carried_scores(view)
    return extras


def _carried_scores(view: dict) -> list[dict]:
    """Scores of this level kept from earlier sittings (rolling validity), shown beside this
    year's so the candidate sees every subject the qualification counts."""
    try:
        kept, _ = carried_subjects(view["sitting_id"])
        if not kept:
            return []
        level = _level(call("registration", "GET", f"{API}/sittings/{view['sitting_id']}"),
                       view.get("level")) or {}
    except (ApiError, ServiceUnavailable):
        return []
    taken = {s["code"] for s in view.get("subjects") or []}
    return [dict(kept[s["code"]], name=s["name"]) for s in level.get("subjects", [])
            if s["code"] in kept and s["code"] not in taken]


def _post(application_id: str, path: str, success: str, **kw) -> dict | None:
    try:
        view = call("registration", "POST", f"{API}/applications/{application_id}{path}", **kw)
        flash(success, "success")
        return view
    except ApiError as exc:
        flash("；".join(api_errors(exc).values()), "error")
        return None


@bp.post("/applications/<application_id>/letter")
@candidate_only
def sign_letter(application_id: str):
    if request.form.get("agreed") != "yes":
        flash("请勾选同意告知承诺书后再签署", "error")
    else:
        _post(application_id, "/commitment-letter", "告知承诺书已签署。", json={"agreed": True})
    return _back(application_id)


@bp.post("/applications/<application_id>/proofs")
@candidate_only
def upload_proof(application_id: str):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要上传的证明材料（PDF 或 JPEG，不超过 10 MB）", "error")
        return _back(application_id)
    resp = upstream("registration", "POST", f"{API}/applications/{application_id}/proofs",
                    token=g.get("access_token"),
                    files={"file": (upload.filename, upload.stream, upload.mimetype)},
                    data={"kind": request.form.get("kind", "other")})
    if resp.status_code >= 400:
        flash(message_of(resp, "上传未成功，请稍后再试"), "error")
    else:
        flash(f"已上传：{resp.json().get('filename', upload.filename)}", "success")
    return _back(application_id)


@bp.post("/applications/<application_id>/proofs/<proof_id>/delete")
@candidate_only
def delete_proof(application_id: str, proof_id: str):
    resp = upstream("registration", "DELETE",
                    f"{API}/applications/{application_id}/proofs/{proof_id}",
                    token=g.get("access_token"))
    if resp.status_code >= 400:
        flash(message_of(resp, "删除未成功，请稍后再试"), "error")
    else:
        flash("证明材料已删除。", "info")
    return _back(application_id)


@bp.post("/applications/<application_id>/confirm")
@candidate_only
def confirm(application_id: str):
    """Confirm; the status page then shows the warnings (e.g. major mismatch) it came back with."""
    _post(application_id, "/confirm", "报名已确认提交，进入资格审核。")
    return _back(application_id)


@bp.get("/applications/<application_id>/form.pdf")
@candidate_only
def form_pdf(application_id: str):
    from gateway.views.candidate import _pdf
    return _pdf("registration", f"{API}/applications/{application_id}/form.pdf",
                "application-form.pdf")


@bp.post("/applications/<application_id>/score-reviews")
@candidate_only
def score_review(application_id: str):
    body = {"subject_code": request.form.get("subject_code", ""),
            "reason": request.form.get("reason", "").strip()}
    _post(application_id, "/score-reviews", "成绩复核申请已提交，结果将在本页和消息中通知您。",
          json=body)
    return _back(application_id)


# -- public --------------------------------------------------------------------------------------
@bp.get("/exams/<sitting_id>/public-notice")
def public_notice(sitting_id: str):
    """公示: who passed, with masked names and numbers; anyone may read it."""
    try:
        entries = call("registration", "GET", f"{API}/sittings/{sitting_id}/public-notice",
                       auth=False)
    except ApiError as exc:
        abort(exc.status if exc.status in (403, 404) else 400)
    exams = []
    try:
        exams = call("registration", "GET", f"{API}/exams", auth=False)
    except (ApiError, ServiceUnavailable):
        pass
    exam = next((e for e in exams if e["sitting_id"] == sitting_id), {})
    provinces = {p["code"]: p["name"] for p in exam.get("provinces") or []}
    return render_template("flow/public_notice.html", entries=entries, provinces=provinces,
                           exam_name=exam.get("exam_name") or sitting_id, sitting_id=sitting_id)

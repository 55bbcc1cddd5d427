"""Professional titles (职称, seed 003) for the professional: the 职称 home, base profile,
performance archive, choosing an accepting unit or review plan, the integrity pledge, my
applications with their actions, the handling record, the application PDF and my title
certificates. The form itself (sections, attachments, preview, submit) is in titles_form.py."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from gateway import session as user_session
from gateway.clients import ApiError, ServiceUnavailable, call
from gateway.views.forms import api_errors

bp = Blueprint("titles", __name__, url_prefix="/titles")
professional = user_session.login_required("candidate")
API = "/api/registration/titles"
TYPES = {"initial": "职称初定", "confirmation": "职称确认", "review": "职称评审"}
PLEDGES = {  # seed 003: the wording differs for review applications
    "initial": ("重庆市专业技术人员诚信承诺书",
                "本人已认真阅读并知悉职称初定的有关规定，承诺按相关规定程序申报，所提供的学历学位、"
                "工作经历、工作成绩等材料真实、准确，如有任何不实、弄虚作假或违反政策规定的情况，"
                "愿按有关规定接受相应处理。"),
    "confirmation": ("重庆市专业技术人员诚信承诺书",
                     "本人已认真阅读并知悉确认专业技术资格的有关规定，承诺按相关规定程序呈报，所提供的"
                     "确认材料（相关证书、业绩成果等）真实、准确，如有任何不实、弄虚作假或违反政策规定"
                     "的情况，愿按有关规定接受相应处理。"),
    "review": ("重庆市职称申报诚信承诺书",
               "本人已认真阅读并知悉申报评审工作通知的有关事宜，承诺按规定程序申报，所提供的专业技术"
               "职称申报材料（各种表格、相关证书、业绩成果、论文论著等）真实、准确，如有任何不实、"
               "弄虚作假或违反政策规定的情况，愿按有关规定接受相应处理。"),
}
# Titles offered for 初定 / 确认 (the review plans list their own): series → (title, level).
TITLE_CHOICES = {
    "工程技术": [("技术员", "初级"), ("助理工程师", "初级"), ("工程师", "中级"),
             ("高级工程师", "副高级"), ("正高级工程师", "正高级")],
    "经济": [("助理经济师", "初级"), ("经济师", "中级"), ("高级经济师", "副高级"),
           ("正高级经济师", "正高级")],
    "会计": [("助理会计师", "初级"), ("会计师", "中级"), ("高级会计师", "副高级"),
           ("正高级会计师", "正高级")],
    "实验技术": [("实验员", "初级"), ("助理实验师", "初级"), ("实验师", "中级"),
             ("高级实验师", "副高级"), ("正高级实验师", "正高级")],
}
INITIAL_LEVELS = ("初级", "中级")  # 职称初定 recognises first titles only
ARCHIVE_KINDS = {"project": "科研项目", "paper": "论文", "patent": "专利", "award": "获奖",
                 "training": "继续教育"}
POLITICAL = ["中共党员", "中共预备党员", "共青团员", "民主党派", "无党派人士", "群众"]
EDUCATION = ["中专", "大专", "本科", "硕士研究生", "博士研究生"]
CATEGORIES = ["事业单位人员", "国有企业人员", "私营企业及流动人员", "自由职业者"]
PROFILE_FIELDS = ("gender", "birth_date", "phone", "employer", "employer_region",
                  "work_start_date", "political_status", "education_highest", "current_series",
                  "current_title", "personnel_category", "archive_location", "position", "address")


def get(path: str, **kw):
    """A registration title call that 404s/403s as a page would."""
    try:
        return call("registration", "GET", API + path, **kw)
    except ApiError as exc:
        abort(exc.status if exc.status in (403, 404) else 400)


def act(method: str, path: str, done: str, back: str):
    """A button's call to registration: flash what happened (or why not) and go back."""
    try:
        call("registration", method, API + path)
        flash(done, "info")
    except ApiError as exc:
        flash(exc.message, "error")
    return redirect(url_for(back))


def blank_to_none(values: dict) -> dict:
    return {k: (v.strip() if isinstance(v, str) else v) or None for k, v in values.items()}


@bp.app_context_processor
def _labels():
    return {"title_types": TYPES}


# -- home ----------------------------------------------------------------------------------------
@bp.get("/")
@professional
def home():
    """职称 home: the three entry points, my applications, my certificates, profile, archive."""
    try:
        mine = call("registration", "GET", f"{API}/applications")
        error = None
    except (ApiError, ServiceUnavailable):
        mine, error = [], "申报信息暂时无法读取，请稍后刷新。"
    return render_template("titles/home.html", applications=mine[:5], apps_error=error)


# -- base profile ---------------------------------------------------------------------------------
@bp.route("/profile", methods=["GET", "POST"])
@professional
def profile():
    errors: dict[str, str] = {}
    if request.method == "POST":
        body = blank_to_none({f: request.form.get(f, "") for f in PROFILE_FIELDS})
        try:
            call("registration", "PUT", f"{API}/profile", json=body)
            flash("基本信息已保存，每次申报时将自动带入申报书。", "success")
            return redirect(url_for("titles.profile"))
        except ApiError as exc:
            errors = api_errors(exc)
        values = request.form
    else:
        values = get("/profile")
    return render_template("titles/profile.html", values=values, errors=errors,
                           political=POLITICAL, education=EDUCATION, categories=CATEGORIES,
                           series=list(TITLE_CHOICES)), 422 if errors else 200


# -- performance archive --------------------------------------------------------------------------
def _archive_body() -> dict:
    return blank_to_none({f: request.form.get(f, "")
                          for f in ("kind", "title", "date", "role", "description")})


@bp.route("/archive", methods=["GET", "POST"])
@professional
def archive():
    """业绩档案: add items here; each application can copy them in (同步)."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            call("registration", "POST", f"{API}/archive/items", json=_archive_body())
            flash("业绩已加入档案。", "success")
            return redirect(url_for("titles.archive"))
        except ApiError as exc:
            errors = api_errors(exc)
    data = get("/archive")
    items = data.get("items", data) if isinstance(data, dict) else data
    return render_template("titles/archive.html", items=items, kinds=ARCHIVE_KINDS,
                           errors=errors, form=request.form), 422 if errors else 200


@bp.route("/archive/<item_id>/edit", methods=["GET", "POST"])
@professional
def archive_edit(item_id: str):
    errors: dict[str, str] = {}
    data = get("/archive")
    items = data.get("items", data) if isinstance(data, dict) else data
    item = next((i for i in items if i["id"] == item_id), None)
    if item is None:
        abort(404)
    if request.method == "POST":
        try:
            call("registration", "PUT", f"{API}/archive/items/{item_id}", json=_archive_body())
            flash("业绩已修改。", "success")
            return redirect(url_for("titles.archive"))
        except ApiError as exc:
            errors = api_errors(exc)
            item = dict(item) | request.form.to_dict()
    return render_template("titles/archive_edit.html", item=item, kinds=ARCHIVE_KINDS,
                           errors=errors), 422 if errors else 200


@bp.post("/archive/<item_id>/delete")
@professional
def archive_delete(item_id: str):
    return act("DELETE", f"/archive/items/{item_id}", "业绩已从档案中删除。", "titles.archive")


# -- choosing where to apply -------------------------------------------------------------------
@bp.get("/<any(initial, confirmation):kind>/")
@professional
def units(kind: str):
    """初定 / 确认: read the notice, search the accepting units by name or jurisdiction."""
    q = (request.args.get("q") or "").strip()[:50]
    region = (request.args.get("region") or "").strip()[:6]
    params = {k: v for k, v in (("q", q), ("region", region)) if v}
    found = get("/units", params=params)
    found = [u for u in found if kind in (u.get("accepts") or [kind])]
    return render_template("titles/units.html", kind=kind, units=found, q=q, region=region)


@bp.get("/<any(initial, confirmation):kind>/units/<unit_id>")
@professional
def unit(kind: str, unit_id: str):
    """The unit's contact, 申报须知 and 附件要求, then 我要申报."""
    return render_template("titles/unit.html", kind=kind, unit=get(f"/units/{unit_id}"))


@bp.get("/review/")
@professional
def plans():
    """评审: the open review plans (搜索评委会或评审计划名称)."""
    q = (request.args.get("q") or "").strip()[:50]
    found = get("/plans")
    if q:
        found = [p for p in found if q in p["name"] or q in p.get("committee", "")]
    return render_template("titles/plans.html", plans=found, q=q)


@bp.get("/review/plans/<plan_id>")
@professional
def plan(plan_id: str):
    return render_template("titles/plan.html", plan=get(f"/plans/{plan_id}"))


def _choices(kind: str, plan_: dict | None) -> list[tuple[str, str, str]]:
    """(series, title, level) the professional may pick for this application."""
    if plan_ is not None:
        return [(t["series"], t["title_name"], t["title_level"]) for t in plan_["titles"]]
    return [(s, t, lv) for s, titles in TITLE_CHOICES.items() for t, lv in titles
            if kind != "initial" or lv in INITIAL_LEVELS]


@bp.route("/<any(initial, confirmation, review):kind>/pledge", methods=["GET", "POST"])
@professional
def pledge(kind: str):
    """Step 1: sign the integrity pledge and say which title; the draft is then created."""
    unit_id, plan_id = request.values.get("unit", ""), request.values.get("plan", "")
    plan_ = unit_ = units_ = None
    if kind == "review":
        plan_ = get(f"/plans/{plan_id[:40]}") if plan_id else abort(404)
        units_ = [u for u in get("/units") if "review" in (u.get("accepts") or ["review"])]
    else:
        unit_ = get(f"/units/{unit_id[:40]}") if unit_id else abort(404)
    choices = _choices(kind, plan_)
    errors: dict[str, str] = {}
    if request.method == "POST":
        picked = request.form.get("title", "")
        chosen = next((c for c in choices if "|".join(c) == picked), None)
        if request.form.get("pledge") != "yes":
            errors["pledge"] = "请阅读并勾选诚信承诺书后再填写申报书"
        if chosen is None:
            errors["title"] = "请选择申报职称"
        if kind == "review" and not request.form.get("unit"):
            errors["unit"] = "请选择受理单位（所在单位或主管部门）"
        if not errors:
            body = {"application_type": kind, "unit_id": request.form.get("unit") or unit_id,
                    "plan_id": plan_id or None, "series": chosen[0], "title_name": chosen[1],
                    "title_level": chosen[2],
                    "specialty": (request.form.get("specialty") or "").strip() or None,
                    "pledge": True}
            try:
                view = call("registration", "POST", f"{API}/applications", json=body)
                flash(f"已签署诚信承诺书，申报书编号 {view['application_number']}。"
                      "请依次填写各栏目，每栏保存后再进入下一栏。", "success")
                return redirect(url_for("titles_form.section", application_id=view["id"],
                                        section="basic"))
            except ApiError as exc:
                errors = api_errors(exc)
    title, text = PLEDGES[kind]
    return render_template("titles/pledge.html", kind=kind, unit=unit_, plan=plan_,
                           units=units_, choices=choices,
                           pledge_title=title, pledge_text=text, errors=errors,
                           form=request.form), 422 if errors else 200


# -- my applications --------------------------------------------------------------------------------
ACTION_LABELS = {"view": "查看", "edit": "修改", "withdraw": "撤回", "record": "办理记录",
                 "download": "下载申报书", "abandon": "删除"}


@bp.get("/applications")
@professional
def applications():
    """我的申报: each with the actions its state allows."""
    return render_template("titles/applications.html",
                           applications=call("registration", "GET", f"{API}/applications"),
                           labels=ACTION_LABELS)


@bp.get("/applications/<application_id>")
@professional
def view(application_id: str):
    """查看: the whole application read-only (also the preview before submitting)."""
    a = get(f"/applications/{application_id}")
    from gateway.views.titles_form import BASIC_LABELS, ROWS, sections_of
    return render_template("titles/preview.html", a=a, sections=sections_of(a), preview=False,
                           labels=BASIC_LABELS, rows_spec=ROWS, kinds=ARCHIVE_KINDS)


@bp.post("/applications/<application_id>/withdraw")
@professional
def withdraw(application_id: str):
    return act("POST", f"/applications/{application_id}/withdraw",
               "申报书已撤回，可修改后重新提交。", "titles.applications")


@bp.post("/applications/<application_id>/delete")
@professional
def abandon(application_id: str):
    if request.form.get("confirm") != "yes":
        flash("请勾选确认：删除即视为放弃本次申报。", "error")
        return redirect(url_for("titles.applications"))
    return act("DELETE", f"/applications/{application_id}", "申报书已删除，视为放弃本次申报。",
               "titles.applications")


@bp.get("/applications/<application_id>/record")
@professional
def record(application_id: str):
    """办理记录: every step, and who holds it now until when (so the professional can chase)."""
    a = get(f"/applications/{application_id}")
    return render_template("titles/record.html", a=a,
                           record=get(f"/applications/{application_id}/record"))


@bp.get("/applications/<application_id>/form.pdf")
@professional
def form_pdf(application_id: str):
    from gateway.views.candidate import _pdf
    return _pdf("registration", f"{API}/applications/{application_id}/form.pdf",
                f"title-application-{application_id[:8]}.pdf")


# -- my title certificates --------------------------------------------------------------------------
@bp.get("/certificates")
@professional
def certificates():
    """我的证书 (职称): each links to the certificate page (sharing, corrections, mailing)."""
    try:
        certs = call("certificates", "GET", "/api/certificates/me", params={"kind": "title"})
        error = None
    except (ApiError, ServiceUnavailable):
        certs, error = [], "证书服务暂时不可用，请稍后刷新。"
    return render_template("titles/certificates.html", certificates=certs, error=error)

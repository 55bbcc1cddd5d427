"""Ops pages of professional titles, inside registration's ops blueprint: each authority's
queue with deadlines and the step it may take (unit: return / forward / approve / reject;
reviewing authority: return / schedule; committee: votes), an application's detail, and the
plans and units (title admin). Every route names its roles; scope is checked again by the
service layer (``forbidden_scope``)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, g, redirect, render_template, request

from services.common import clock
from services.common.errors import DomainError, Invalid
from services.common.web.ops import ops_page
from services.registration.domain.catalog import BEIJING
from services.registration.domain.titles.sections import ARCHIVE_KINDS, BASIC_FIELDS, SECTIONS
from services.registration.service_layer.titles import applications, catalog, handling
from services.registration.web.titles_schemas import TitlePlanIn, TitlePlanUpdateIn

AUTHORITIES = handling.AUTHORITIES
ROLE_STEPS = {handling.UNIT: "受理单位审核", handling.ADMIN: "评审机构审核 / 安排评审",
              handling.COMMITTEE: "评审委员会评审"}


def _int(value: str | None, field: str) -> int:
    try:
        n = int(value or "")
    except ValueError:
        raise Invalid(f"{field}应为整数", code="integer_required") from None
    if n < 0 or n > 200:
        raise Invalid(f"{field}应在 0 至 200 之间", code="out_of_range")
    return n


def _date(value: str | None) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise Invalid("请选择评审会议日期", code="date_required") from None


def _lines(text: str | None, names: tuple[str, ...]) -> list[dict]:
    """One row per line, fields split by ``|`` (the plan form's title / specialty / rule lists)."""
    rows = []
    for line in (text or "").splitlines():
        parts = [x.strip() for x in line.replace("｜", "|").split("|")]
        if any(parts):
            rows.append(dict(zip(names, parts, strict=False)))
    return rows


def plan_from_form(form) -> dict:
    """The plan form as the API's body: times are Beijing time, the fee is in yuan."""
    def when(name):
        return f"{form[name]}:00+08:00" if form.get(name) else None
    try:
        fee_fen = round(float(form.get("fee_yuan") or "0") * 100)
    except ValueError:
        raise Invalid("收费标准应为金额（元）", code="fee_invalid") from None
    rules = [{"name": r["name"], "required": r.get("required", "") in ("必填", "是", "1")}
             for r in _lines(form.get("attachment_rules"), ("name", "required"))]
    body = {k: form.get(k) or None for k in ("name", "committee", "authority",
                                              "issuing_authority", "notice", "contact")}
    body.update(year=form.get("year"), committee_size=form.get("committee_size"),
                starts_at=when("starts_at"), ends_at=when("ends_at"), fee_fen=fee_fen,
                titles=_lines(form.get("titles"), ("series", "title_name", "title_level")),
                specialties=_lines(form.get("specialties"), ("series", "specialty", "direction")),
                attachment_rules=rules)
    return {k: v for k, v in body.items() if v is not None}


def _load(schema, body: dict) -> dict:
    from marshmallow import ValidationError
    try:
        return schema().load(body)
    except ValidationError as exc:
        first = next(iter(exc.messages.items()))
        raise Invalid(f"申报计划填写有误：{first[0]} — {first[1]}", code="invalid_plan") from None


def register_title_pages(bp: Blueprint, runtime) -> None:
    def queue_page(error=None, status=200):
        with runtime.uow() as uow:
            items = handling.queue(uow.session, g.principal)
            unit_names = {u["id"]: u["name"] for u in catalog.units(
                uow.session, include_inactive=True)}
        steps = [ROLE_STEPS[r] for r in AUTHORITIES if g.principal.has_any(r)]
        return render_template("titles/queue.html", items=items, error=error, steps=steps,
                               unit_names=unit_names,
                               now=clock.now(),
                               today=clock.now().astimezone(BEIJING).date()), status

    @bp.get("/titles/")
    @ops_page(*AUTHORITIES)
    def titles_queue():
        return queue_page()

    def detail_page(application_id, error=None, status=200):
        with runtime.uow() as uow:
            application = handling.view_for_staff(uow, application_id, g.principal)
            view = applications.view(uow.session, application, owner=False)
            record = applications.record(application)
            may_act = handling.holds(uow.session, application, g.principal)
        return render_template("titles/detail.html", a=view, record=record, may_act=may_act,
                               error=error, basic_labels=BASIC_FIELDS, sections=SECTIONS,
                               kinds=ARCHIVE_KINDS,
                               today=clock.now().astimezone(BEIJING).date()), status

    @bp.get("/titles/applications/<application_id>")
    @ops_page(*AUTHORITIES)
    def titles_detail(application_id):
        return detail_page(application_id)

    @bp.get("/titles/applications/<application_id>/attachments/<attachment_id>")
    @ops_page(*AUTHORITIES)
    def titles_attachment(application_id, attachment_id):
        with runtime.uow() as uow:
            handling.view_for_staff(uow, application_id, g.principal)
            row = applications.attachment_content(uow.session, application_id, attachment_id)
        return Response(row.content, mimetype="application/pdf",
                        headers={"Cache-Control": "private, no-store"})

    @bp.post("/titles/applications/<application_id>/<action>")
    @ops_page(*AUTHORITIES)
    def titles_act(application_id, action):
        f = request.form
        p = g.principal
        try:
            with runtime.uow() as uow:
                if action == "return":
                    handling.return_(uow, application_id, p, f.get("reason", ""))
                elif action == "forward":
                    handling.forward(uow, application_id, p, f.get("note") or None)
                elif action == "approve":
                    handling.unit_decide(uow, application_id, p, approved=True,
                                         note=f.get("note") or None)
                elif action == "reject":
                    handling.unit_decide(uow, application_id, p, approved=False,
                                         note=f.get("reason", ""))
                elif action == "schedule":
                    handling.schedule(uow, application_id, p, _date(f.get("meeting_on")))
                elif action == "decide":
                    handling.committee_decide(
                        uow, application_id, p, votes_for=_int(f.get("votes_for"), "赞成票"),
                        votes_against=_int(f.get("votes_against"), "反对票"),
                        votes_abstain=_int(f.get("votes_abstain"), "弃权票"),
                        note=f.get("note") or None)
                else:
                    raise Invalid("没有这个操作", code="action_unknown")
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            return detail_page(application_id, error=exc.message, status=exc.status)
        return redirect("/ops/registration/titles/", code=303)

    def plans_page(error=None, form=None, status=200):
        with runtime.uow() as uow:
            plans = catalog.plans(uow.session)
            units = catalog.units(uow.session, include_inactive=True)
        return render_template("titles/plans.html", plans=plans, units=units, now=clock.now(),
                               unit_kinds=catalog.UNIT_KINDS, error=error,
                               form=form or {}), status

    @bp.get("/titles/plans")
    @ops_page(handling.ADMIN)
    def titles_plans():
        return plans_page()

    @bp.post("/titles/plans")
    @ops_page(handling.ADMIN)
    def titles_plan_publish():
        """Publish a review plan from the form (the same checks as the API)."""
        try:
            data = _load(TitlePlanIn, plan_from_form(request.form))
            with runtime.uow() as uow:
                catalog.save_plan(uow, data, g.principal.username or g.principal.sub)
        except DomainError as exc:
            return plans_page(exc.message, request.form, exc.status)
        return redirect("/ops/registration/titles/plans", code=303)

    @bp.post("/titles/plans/<plan_id>/window")
    @ops_page(handling.ADMIN)
    def titles_plan_window(plan_id):
        """Move a plan's application window (e.g. extend the closing time)."""
        form = request.form
        try:
            data = _load(TitlePlanUpdateIn, {k: f"{form[k]}:00+08:00"
                                             for k in ("starts_at", "ends_at") if form.get(k)})
            with runtime.uow() as uow:
                catalog.save_plan(uow, data, g.principal.username or g.principal.sub, plan_id)
        except DomainError as exc:
            return plans_page(exc.message, None, exc.status)
        return redirect("/ops/registration/titles/plans", code=303)

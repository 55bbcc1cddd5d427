"""Verification's ops dashboard: the checks, and the simulated registries with their switches."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, g, redirect, render_template, request, url_for
from marshmallow import RAISE, ValidationError

from services.common.errors import Conflict
from services.common.web.errors import translate
from services.common.web.ops import ops_page
from services.verification.domain.model import KIND_LABELS, STATUS_LABELS, STATUSES
from services.verification.domain.rules import REGISTRY_LEVELS
from services.verification.service_layer import checks, registry
from services.verification.web import ops_eligibility, ops_review
from services.verification.web.schemas import (
    STUDY_MODES,
    DegreeRecordIn,
    EducationRecordIn,
    IdentityRecordIn,
)

VIEW_ROLES = ("reviewer", "exam_admin", "platform_admin", "auditor")
EDIT_ROLES = ("reviewer", "exam_admin", "platform_admin")
SWITCH_ROLES = ("exam_admin", "platform_admin")
BEIJING = timezone(timedelta(hours=8), "北京时间")


def beijing(dt, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Staff read times in Beijing time; they are stored in UTC."""
    return dt.astimezone(BEIJING).strftime(fmt) if dt else ""


def due(dt) -> str:
    """A deadline in Beijing time; midnight reads as 24:00 of the day it ends."""
    if not dt:
        return ""
    local = dt.astimezone(BEIJING)
    if (local.hour, local.minute) == (0, 0):
        return (local - timedelta(days=1)).strftime("%Y-%m-%d") + " 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def _row(c) -> dict:
    """A check as the dashboard shows it (read inside the unit of work)."""
    return {k: getattr(c, k) for k in (
        "kind", "candidate_id", "subject_name", "claim", "certificate_number", "status",
        "reason", "last_error", "attempts", "next_attempt_at", "updated_at")}


def ops_blueprint(runtime) -> Blueprint:
    bp = Blueprint("verification_ops", __name__, url_prefix="/ops/verification")
    chsi = runtime.services["education_registry"]
    degree = runtime.services["degree_registry"]
    people = runtime.services["identity_registry"]
    switches = runtime.services["registry_switches"]
    names = (chsi.name, degree.name, people.name)

    @bp.context_processor
    def _helpers():
        return {"beijing": beijing, "due": due,
                "beijing_iso": lambda v: beijing(datetime.fromisoformat(v)) if v else ""}

    @bp.get("/")
    @ops_page(*VIEW_ROLES)
    def index():
        status = request.args.get("status") or ""
        status = status if status in STATUSES else ""
        q = (request.args.get("q") or "").strip()
        with runtime.uow() as uow:
            rows = [_row(c) for c in checks.list_checks(uow, status or None, q or None)]
            counts = checks.status_counts(uow)
            oldest = checks.oldest_waiting(uow)
        return render_template("verification/ops_index.html", rows=rows, status=status, q=q,
                               counts=counts, total=sum(counts.values()), statuses=STATUSES,
                               labels=STATUS_LABELS, kinds=KIND_LABELS, oldest_waiting=oldest,
                               chsi=switches.state(chsi.name))

    def render_registry(form=None, errors=None, status=200, which="education"):
        q = (request.args.get("q") or "").strip()
        with runtime.uow() as uow:
            waiting = checks.status_counts(uow).get("checking", 0)
            oldest = checks.oldest_waiting(uow)
        return render_template(
            "verification/ops_registry.html", records=chsi.records(q or None), q=q,
            switch=switches.state(chsi.name), waiting=waiting, oldest_waiting=oldest,
            switches=[switches.state(n) for n in names],
            degree_records=degree.records(q or None, 100),
            identity_records=people.records(q or None, 100), which=which,
            levels=REGISTRY_LEVELS, study_modes=STUDY_MODES, form=form or {},
            errors=errors or {}, added=request.args.get("added"),
            can_edit=g.principal.has_any(*EDIT_ROLES),
            can_switch=g.principal.has_any(*SWITCH_ROLES)), status

    @bp.get("/registry")
    @ops_page(*VIEW_ROLES)
    def registry_page():
        return render_registry()

    @bp.post("/registry")
    @ops_page(*EDIT_ROLES)
    def add_record():
        form = {k: v for k, v in request.form.items() if k != "csrf_token"}
        try:
            data = EducationRecordIn(unknown=RAISE).load(form)
        except ValidationError as exc:
            return render_registry(form, translate(exc.messages), 422)
        try:
            with runtime.uow() as uow:
                registry.add_education_record(uow, chsi, actor=g.principal.username, **data)
        except Conflict as exc:
            return render_registry(form, {"certificate_number": [exc.message]}, 409)
        return redirect(url_for(".registry_page", added=data["certificate_number"].strip()))

    @bp.post("/registry/outage")
    @ops_page(*SWITCH_ROLES)
    def switch_outage():
        outage = request.form.get("outage") == "on"
        name = request.form.get("registry") or chsi.name
        if name not in names:
            return render_registry(errors={"registry": ["没有这个模拟服务"]}, status=422)
        with runtime.uow() as uow:
            registry.set_outage(uow, switches, name, outage, actor=g.principal.username)
        return redirect(url_for(".registry_page"))

    def add_other(which: str, schema, add):
        form = {k: v for k, v in request.form.items() if k != "csrf_token"}
        try:
            data = schema(unknown=RAISE).load(form)
        except ValidationError as exc:
            return render_registry(form, translate(exc.messages), 422, which)
        try:
            with runtime.uow() as uow:
                add(uow, actor=g.principal.username, **data)
        except Conflict as exc:
            return render_registry(form, {exc.details.get("field", "form"): [exc.message]}, 409,
                                   which)
        return redirect(url_for(".registry_page", added=form.get("certificate_number")
                                or "身份记录"))

    @bp.post("/registry/degree")
    @ops_page(*EDIT_ROLES)
    def add_degree_record():
        return add_other("degree", DegreeRecordIn,
                         lambda uow, **d: registry.add_degree_record(uow, degree, **d))

    @bp.post("/registry/identity")
    @ops_page(*EDIT_ROLES)
    def add_identity_record():
        return add_other("identity", IdentityRecordIn,
                         lambda uow, **d: registry.add_identity_record(uow, people, **d))

    ops_review.install(bp, runtime)
    ops_eligibility.install(bp, runtime)
    return bp

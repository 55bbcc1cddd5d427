"""Dashboard pages of the eligibility data: the major table, work years, integrity records."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from marshmallow import RAISE, ValidationError

from services.common.errors import DomainError
from services.common.web.errors import translate
from services.common.web.ops import ops_page
from services.verification.domain.majors import (
    RELATION_LABELS,
    split_names,
    with_entry,
    without_entry,
)
from services.verification.domain.work_years import Period, work_years
from services.verification.service_layer import eligibility
from services.verification.web.schemas import (
    IntegrityIn,
    MajorRelationQuery,
    RemovalIn,
    WorkYearsQuery,
)

READ_ROLES = ("reviewer", "exam_admin", "platform_admin", "auditor")
ADMIN_ROLES = ("exam_admin", "platform_admin")


def install(bp: Blueprint, runtime) -> None:
    store = runtime.services["major_table"]

    def render(error=None, status=200, **extra):
        table = store.current()
        q = (request.args.get("q") or "").strip()
        with runtime.uow() as uow:
            records = eligibility.integrity_list(uow.session, q or None)
        answer = years = None
        if request.args.get("major"):
            try:
                a = MajorRelationQuery().load({k: request.args.get(k) for k in
                                               ("exam", "level", "major") if request.args.get(k)})
                answer = eligibility.major_relation(store, a["exam"], a.get("level"), a["major"])
            except ValidationError as exc:
                error = "专业查询：" + _flat(exc)
        if request.args.get("exam_year"):
            try:
                w = WorkYearsQuery().load({k: v for k, v in request.args.items() if k in (
                    "exam_year", "study_mode", "graduation_date", "work", "off_work_study")
                    and v})
                years = work_years(exam_year=w["exam_year"], study_mode=w["study_mode"],
                                   graduation_date=w["graduation_date"],
                                   work=[Period(s, e) for s, e in w["work"]],
                                   off_work_study=[Period(s, e) for s, e in w["off_work_study"]])
            except ValidationError as exc:
                error = "工作年限计算：" + _flat(exc)
        return render_template(
            "verification/ops_eligibility.html", table=table, versions=store.versions(),
            labels=RELATION_LABELS, records=records, q=q, answer=answer, years=years,
            args=request.args, error=error, can_admin=g.principal.has_any(*ADMIN_ROLES),
            **extra), status

    @bp.get("/eligibility")
    @ops_page(*READ_ROLES)
    def eligibility_page():
        return render()

    def save(data: dict, note: str):
        with runtime.uow() as uow:
            eligibility.save_major_table(uow, store, data, actor=g.principal.username,
                                         note=note, expected_version=_int(
                                             request.form.get("expected_version")))

    @bp.post("/eligibility/majors")
    @ops_page(*ADMIN_ROLES)
    def save_major_entry():
        f = request.form
        current = (f.get("current") or "").strip()
        table = store.current()
        index = _int(f.get("table_index")) or 0
        if not current or not 0 <= index < len(table.data.get("tables", [])):
            return render("请填写现行专业名称", 422)
        if f.get("action") == "remove":
            data = without_entry(table.data, index, current)
            note = f"删除专业“{current}”"
        else:
            entry = {"current": current, "relation": f.get("relation"),
                     "names_1993_1998": split_names(f.get("names_1993_1998")),
                     "names_before_1993": split_names(f.get("names_before_1993"))}
            data = with_entry(table.data, index, entry)
            note = f"修改专业“{current}”（{RELATION_LABELS.get(entry['relation'], '?')}）"
        note = (f.get("note") or "").strip() or note
        try:
            save(data, note)
        except DomainError as exc:
            return render(exc.message, exc.status)
        return redirect(url_for(".eligibility_page"))

    @bp.post("/eligibility/integrity")
    @ops_page(*ADMIN_ROLES)
    def add_integrity():
        form = {k: v for k, v in request.form.items() if k != "csrf_token" and v != ""}
        try:
            data = IntegrityIn(unknown=RAISE).load(form)
            with runtime.uow() as uow:
                eligibility.add_integrity_record(uow, actor=g.principal.username, **data)
        except ValidationError as exc:
            return render("诚信记录：" + _flat(exc), 422, form=form)
        except DomainError as exc:
            return render(exc.message, exc.status, form=form)
        return redirect(url_for(".eligibility_page"))

    @bp.post("/eligibility/integrity/<record_id>/removal")
    @ops_page(*ADMIN_ROLES)
    def remove_integrity(record_id):
        try:
            data = RemovalIn(unknown=RAISE).load({"reason": request.form.get("reason", "")})
            with runtime.uow() as uow:
                eligibility.remove_integrity_record(uow, actor=g.principal.username,
                                                    record_id=record_id, **data)
        except ValidationError as exc:
            return render("移除诚信记录：" + _flat(exc), 422)
        except DomainError as exc:
            return render(exc.message, exc.status)
        return redirect(url_for(".eligibility_page"))


def _flat(exc: ValidationError) -> str:
    msgs = translate(exc.messages)
    return "；".join(f"{k}：{'、'.join(v) if isinstance(v, list) else v}" for k, v in msgs.items())


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

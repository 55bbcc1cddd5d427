"""Registration's ops dashboard: funnels and backlog, the review queue, catalog editing,
scores (import reports, pass marks, distributions, score reviews) and the after-exam steps.

Charts are inline SVG drawn on the server (the CSP allows no scripts or inline styles).
Forms post back here; the gateway checks their ``csrf_token``. Domain errors on a form re-render
the page with the message and the error's status.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, redirect, render_template, request
from sqlalchemy import func, select

from services.common.errors import DomainError, Invalid
from services.common.web.ops import ops_page
from services.registration.adapters import orm
from services.registration.domain.application import STATE_LABELS, TRANSITIONS
from services.registration.domain.catalog import BEIJING, REVIEW_MODES, WINDOW_KINDS
from services.registration.service_layer import (
    cancellations,
    catalog,
    catalog_admin,
    dashboard,
    qualification,
    reviews,
    score_reviews,
    scores,
)

STAFF = ("exam_admin", "auditor", "reviewer")


def _local_input(value: str) -> datetime | None:
    """``2026-03-08T17:00`` from a datetime-local field, read as Beijing time."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=BEIJING)
    except ValueError:
        raise Invalid(f"时间格式无效：{value}", code="datetime_invalid") from None


def ops_blueprint(runtime) -> Blueprint:
    bp = Blueprint("registration_ops", __name__, url_prefix="/ops/registration")

    def sittings(session) -> list:
        return session.execute(select(orm.sittings, orm.exams.c.name.label("exam_name"))
                               .join(orm.exams, orm.exams.c.code == orm.sittings.c.exam_code)
                               .order_by(orm.sittings.c.year.desc(), orm.sittings.c.id)).all()

    def actor() -> str:
        return g.principal.username or g.principal.sub

    def scope():
        return None if g.principal.has_any("exam_admin", "auditor") else g.principal.scope

    def act(page, fn, target: str):
        """Run a form's action, then go back to the page (or show it with the error on top)."""
        try:
            fn()
        except DomainError as exc:
            if exc.status == 404:
                raise
            return page(error=exc.message, status=exc.status)
        return redirect(target, code=303)

    @bp.get("/")
    @ops_page(*STAFF)
    def index():
        a = orm.applications
        with runtime.uow() as uow:
            counts = {(r.sitting_id, r.state): r.n for r in uow.session.execute(
                select(a.c.sitting_id, a.c.state, func.count().label("n"))
                .group_by(a.c.sitting_id, a.c.state)).all()}
            recent = uow.session.execute(select(a).order_by(a.c.created_at.desc()).limit(50)).all()
            rows = sittings(uow.session)
            data = dict(funnels=dashboard.funnels(uow.session), backlog=dashboard.backlog(
                uow.session), seats=dashboard.seats_used(uow.session))
        return render_template("registration/ops_index.html", sittings=rows, counts=counts,
                               states=list(TRANSITIONS), labels=STATE_LABELS, recent=recent,
                               modes=REVIEW_MODES, **data)

    # -- review queue -------------------------------------------------------------------------
    def reviews_page(error=None, status=200):
        with runtime.uow() as uow:
            queue = reviews.queue(uow.session, scope())
            place_names = {code: p["name"]
                           for code, p in catalog.province_names(uow.session).items()}
        return render_template("registration/ops_reviews.html", queue=queue, error=error,
                               place_names=place_names,
                               labels=STATE_LABELS, modes=REVIEW_MODES,
                               can_edit=g.principal.has_any("reviewer", "exam_admin")), status

    @bp.get("/reviews")
    @ops_page(*STAFF)
    def reviews_index():
        return reviews_page()

    @bp.post("/reviews/<application_id>")
    @ops_page("reviewer", "exam_admin")
    def reviews_decide(application_id):
        def run():
            with runtime.uow() as uow:
                reviews.decide(uow, application_id, scope=scope(),
                               outcome="approve" if request.form.get("outcome") == "approve"
                               else "return", reason=request.form.get("reason"), actor=actor())
        return act(reviews_page, run, "/ops/registration/reviews")

    # -- catalog --------------------------------------------------------------------------------
    def catalog_page(sitting_id, error=None, status=200):
        with runtime.uow() as uow:
            detail = catalog.sitting_detail(uow.session, sitting_id)
            positions = cancellations.positions(uow.session, sitting_id)
        return render_template("registration/ops_catalog.html", s=detail, error=error,
                               kinds={k: v for k, v in WINDOW_KINDS.items() if k != "score_review"},
                               modes=REVIEW_MODES, positions=positions, beijing=BEIJING,
                               can_edit=g.principal.has_any("exam_admin")), status

    @bp.get("/sittings/<sitting_id>/catalog")
    @ops_page("exam_admin", "auditor")
    def catalog_index(sitting_id):
        return catalog_page(sitting_id)

    @bp.post("/sittings/<sitting_id>/catalog/<action>")
    @ops_page("exam_admin")
    def catalog_edit(sitting_id, action):
        f = request.form

        def run():
            with runtime.uow() as uow:
                if action == "window":
                    catalog_admin.set_window(uow, sitting_id, f.get("province", ""),
                                             f.get("kind", ""), _local_input(f.get("start", ""))
                                             or _required(), _local_input(f.get("end", "")),
                                             actor())
                elif action == "fee":
                    catalog_admin.set_fee(uow, sitting_id, f.get("province", ""),
                                          _fen(f.get("fee_yuan", "")), actor())
                elif action == "settings":
                    s = catalog.sitting(uow.session, sitting_id)
                    catalog_admin.update_settings(uow, s.exam_code, {
                        "review_mode": f.get("review_mode"),
                        "admit_card_mode": f.get("admit_card_mode"),
                        "commitment_offered": f.get("commitment_offered") == "on",
                        "post_exam_check": f.get("post_exam_check") == "on",
                        "rolling_years": _int(f.get("rolling_years"), 1, 10),
                        "notice_days": _int(f.get("notice_days"), 0, 60)}, actor())
                elif action == "cancel":
                    cancellations.cancel(uow, sitting_id, reason=f.get("reason", ""),
                                         actor=actor(), province=f.get("province") or None,
                                         level=f.get("level") or None,
                                         specialty=f.get("specialty") or None)
                else:
                    raise Invalid("没有这个操作", code="action_unknown")
        return act(lambda **kw: catalog_page(sitting_id, **kw), run,
                   f"/ops/registration/sittings/{sitting_id}/catalog")

    # -- scores -----------------------------------------------------------------------------------
    def scores_page(sitting_id: str, status: int = 200, **extra):
        with runtime.uow() as uow:
            s = catalog.sitting(uow.session, sitting_id)
            sc, a = orm.scores, orm.applications
            imported = uow.session.execute(select(func.count()).select_from(sc).join(
                a, a.c.id == sc.c.application_id).where(a.c.sitting_id == sitting_id)).scalar()
            published = uow.session.execute(select(func.count()).select_from(sc).join(
                a, a.c.id == sc.c.application_id).where(a.c.sitting_id == sitting_id,
                                                        sc.c.published_at.is_not(None))).scalar()
            data = dict(charts=dashboard.distributions(uow.session, sitting_id),
                        history=scores.imports(uow.session, sitting_id),
                        subjects=sorted(catalog.subject_map(uow.session, sitting_id).values(),
                                        key=lambda x: x["code"]),
                        requests=score_reviews.pending(uow.session, sitting_id))
        can_edit = g.principal.has_any("exam_admin")
        return render_template("registration/ops_scores.html", sitting=s, imported=imported,
                               published=published, can_edit=can_edit, **data, **extra), status

    @bp.get("/sittings/<sitting_id>/scores")
    @ops_page("exam_admin", "auditor")
    def scores_index(sitting_id):
        return scores_page(sitting_id)

    @bp.post("/sittings/<sitting_id>/scores/import")
    @ops_page("exam_admin")
    def scores_import(sitting_id):
        from services.registration.web import uploaded_csv
        try:
            text = uploaded_csv()
            with runtime.uow() as uow:
                report = scores.import_csv(uow, sitting_id, text, g.principal.username)
            return scores_page(sitting_id, result=report)
        except DomainError as exc:
            if exc.status == 404:
                raise
            return scores_page(sitting_id, status=exc.status, error=exc.message,
                               rows=exc.details.get("rows", []))

    @bp.post("/sittings/<sitting_id>/scores/publish")
    @ops_page("exam_admin")
    def scores_publish(sitting_id):
        with runtime.uow() as uow:
            report = scores.publish(uow, sitting_id, g.principal.username)
        return scores_page(sitting_id, publish=report)

    @bp.post("/sittings/<sitting_id>/scores/pass-mark")
    @ops_page("exam_admin")
    def scores_pass_mark(sitting_id):
        try:
            with runtime.uow() as uow:
                score_reviews.set_pass_mark(uow, sitting_id, request.form.get("subject_code", ""),
                                            _int(request.form.get("pass_mark"), 1, 1000), actor())
        except DomainError as exc:
            if exc.status == 404:
                raise
            return scores_page(sitting_id, status=exc.status, error=exc.message)
        return redirect(f"/ops/registration/sittings/{sitting_id}/scores", code=303)

    @bp.post("/sittings/<sitting_id>/score-reviews/<review_id>")
    @ops_page("exam_admin")
    def scores_review_answer(sitting_id, review_id):
        f = request.form
        try:
            with runtime.uow() as uow:
                score_reviews.answer(uow, review_id, corrected=f.get("outcome") == "corrected",
                                     new_score=f.get("new_score"), answer=f.get("answer", ""),
                                     actor=actor())
        except DomainError as exc:
            if exc.status == 404:
                raise
            return scores_page(sitting_id, status=exc.status, error=exc.message)
        return redirect(f"/ops/registration/sittings/{sitting_id}/scores", code=303)

    # -- after the exam: post-exam check, public notice, objections ------------------------------
    def after_page(sitting_id, error=None, status=200, report=None):
        with runtime.uow() as uow:
            s = catalog.sitting(uow.session, sitting_id)
            data = dict(checks=qualification.waiting(uow.session, sitting_id,
                                                     qualification.POST_EXAM_CHECK),
                        notice=qualification.waiting(uow.session, sitting_id,
                                                     qualification.PUBLIC_NOTICE),
                        objections=qualification.objections(uow.session, sitting_id=sitting_id))
        return render_template("registration/ops_after.html", sitting=s, error=error,
                               report=report, can_edit=g.principal.has_any("exam_admin"),
                               can_check=g.principal.has_any("exam_admin", "reviewer"),
                               **data), status

    @bp.get("/sittings/<sitting_id>/after-exam")
    @ops_page(*STAFF)
    def after_index(sitting_id):
        return after_page(sitting_id)

    @bp.post("/sittings/<sitting_id>/after-exam/<action>")
    @ops_page("exam_admin", "reviewer")
    def after_action(sitting_id, action):
        f = request.form
        if action != "check" and action != "run" and not g.principal.has_any("exam_admin"):
            from services.common.errors import Forbidden
            raise Forbidden("您的角色无权进行此操作", code="role_required")

        def run():
            with runtime.uow() as uow:
                if action == "run":
                    from services.registration.web import bearer
                    qualification.run_checks(uow, sitting_id,
                                             verification=runtime.services["verification"],
                                             token=bearer(), actor=actor())
                elif action == "check":
                    qualification.decide_check(uow, f.get("application_id", ""),
                                               passed=f.get("outcome") == "pass",
                                               note=f.get("note", ""), actor=actor())
                elif action == "objection":
                    qualification.record_objection(uow, f.get("application_id", ""),
                                                   f.get("content", ""), actor())
                elif action == "decide":
                    qualification.decide_objection(uow, f.get("objection_id", ""),
                                                   upheld=f.get("outcome") == "upheld",
                                                   decision=f.get("decision", ""), actor=actor())
                elif action == "end":
                    qualification.end_notice_now(uow, sitting_id, actor())
                else:
                    raise Invalid("没有这个操作", code="action_unknown")
        return act(lambda **kw: after_page(sitting_id, **kw), run,
                   f"/ops/registration/sittings/{sitting_id}/after-exam")

    from services.registration.web.titles_ops import register_title_pages
    register_title_pages(bp, runtime)  # /ops/registration/titles/…
    return bp


def _required():
    raise Invalid("请填写开始时间", code="datetime_required")


def _int(value, low: int, high: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise Invalid("请填写整数", code="integer_required") from None
    if not low <= n <= high:
        raise Invalid(f"应在 {low} 至 {high} 之间", code="out_of_range")
    return n


def _fen(yuan: str) -> int:
    """``50`` or ``50.5`` yuan → fen, by string arithmetic (never a float)."""
    text = (yuan or "").strip()
    whole, _, cents = text.partition(".")
    if not whole.isdigit() or (cents and (not cents.isdigit() or len(cents) > 2)):
        raise Invalid("报名费格式应为元，最多两位小数", code="fee_invalid")
    return int(whole) * 100 + int((cents + "00")[:2])

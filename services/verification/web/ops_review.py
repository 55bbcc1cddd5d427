"""Dashboard pages of the manual-review queue: the queue with its figures, and one item."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from marshmallow import RAISE, ValidationError

from services.common.errors import DomainError, NotFound
from services.common.web.errors import translate
from services.common.web.ops import ops_page
from services.verification.domain.review import CAUSES, REASON_TEMPLATES, STATE_LABELS
from services.verification.service_layer import proofs, review, stats
from services.verification.web.schemas import DecisionIn, OnSiteIn, ProofRequestIn
from services.verification.web.views import file_response, item_detail, item_view

READ_ROLES = ("reviewer", "exam_admin", "platform_admin", "auditor")
ACT_ROLES = review.REVIEW_ROLES
VIEWS = {"waiting": "待审核", "overdue": "已超期", "claimed": "审核中",
         "proof_requested": "待补充证明", "on_site": "已预约现场核验", "decided": "已决定",
         "cancelled": "已撤销"}


def install(bp: Blueprint, runtime) -> None:
    config = runtime.services["review_config"]
    registries = [runtime.services[k] for k in ("education_registry", "degree_registry",
                                                  "identity_registry")]

    @bp.get("/review")
    @ops_page(*READ_ROLES)
    def review_queue():
        view = request.args.get("view") or "waiting"
        view = view if view in VIEWS else "waiting"
        with runtime.uow() as uow:
            items = [item_view(i) for i in review.queue(uow, g.principal, view)]
            counts = review.queue_counts(uow, g.principal)
            median = stats.median_hours_to_decision(uow.session)
            days = stats.outcomes_by_day(uow.session)
            health = [stats.registry_health(uow.session, r.name) for r in registries]
        return render_template(
            "verification/ops_review.html", items=items, counts=counts, view=view, views=VIEWS,
            median=median, chart=stats.chart(days), days=days, health=health,
            scope=g.principal.scope, sees_all=review.sees_all(g.principal),
            config=config)

    def render_item(item_id: str, error: str | None = None, status: int = 200, form=None):
        with runtime.uow() as uow:
            detail = item_detail(uow, review.get_item(uow, g.principal, item_id))
            seats = review.slot_usage(uow, detail.get("review_point"))
        return render_template(
            "verification/ops_review_item.html", item=detail, error=error, form=form or {},
            seats=seats,
            templates=REASON_TEMPLATES.values(), causes=CAUSES, labels=STATE_LABELS,
            can_act=g.principal.has_any(*ACT_ROLES), me=g.principal.username,
            config=config), status

    @bp.get("/review/<item_id>")
    @ops_page(*READ_ROLES)
    def review_item(item_id):
        return render_item(item_id)

    def act(item_id, fn, schema=None):
        form = {k: v for k, v in request.form.items() if k != "csrf_token"}
        try:
            data = schema(unknown=RAISE).load(form) if schema else {}
            with runtime.uow() as uow:
                fn(uow, g.principal, item_id, **data)
        except ValidationError as exc:
            msgs = translate(exc.messages)
            text = "；".join(f"{k}：{'、'.join(v)}" for k, v in msgs.items())
            return render_item(item_id, "提交的内容有误：" + text, 422, form)
        except NotFound:
            raise
        except DomainError as exc:
            return render_item(item_id, exc.message, exc.status, form)
        return redirect(url_for(".review_item", item_id=item_id))

    @bp.post("/review/<item_id>/claim")
    @ops_page(*ACT_ROLES)
    def claim(item_id):
        return act(item_id, review.claim)

    @bp.post("/review/<item_id>/release")
    @ops_page(*ACT_ROLES)
    def release(item_id):
        return act(item_id, review.release)

    @bp.post("/review/<item_id>/decision")
    @ops_page(*ACT_ROLES)
    def decide(item_id):
        def fn(uow, p, i, **data):
            return review.decide(uow, config, p, i, **data)
        return act(item_id, fn, DecisionIn)

    @bp.post("/review/<item_id>/on-site")
    @ops_page(*ACT_ROLES)
    def on_site(item_id):
        def fn(uow, p, i, **data):
            return review.schedule_on_site(uow, config, p, i, **data)
        return act(item_id, fn, OnSiteIn)

    @bp.post("/review/<item_id>/proof-request")
    @ops_page(*ACT_ROLES)
    def proof_request(item_id):
        return act(item_id, review.request_proof, ProofRequestIn)

    @bp.get("/review/<item_id>/proofs/<proof_id>")
    @ops_page(*READ_ROLES)
    def proof_file(item_id, proof_id):
        with runtime.uow() as uow:
            row = proofs.for_reviewer(uow, g.principal, proof_id, item_id)
        return file_response(row)

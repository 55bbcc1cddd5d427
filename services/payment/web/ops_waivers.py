"""Fee-waiver requests on the dashboard: finance reviews the proof and decides (audited)."""
from __future__ import annotations

from flask import Response, g, redirect, render_template, request

from services.common.errors import Invalid
from services.common.web.ops import ops_page
from services.payment.domain.money import yuan_to_fen
from services.payment.domain.waivers import STATUS_LABELS
from services.payment.service_layer import waivers


def install(bp, runtime, view_roles, edit_roles) -> None:
    @bp.get("/waivers")
    @ops_page(*view_roles)
    def waiver_list():
        status = request.args.get("status", "requested")
        with runtime.uow() as uow:
            rows = waivers.listing(uow, status if status in STATUS_LABELS else None)
        return render_template("payment/ops_waivers.html", rows=rows, status=status,
                               statuses=STATUS_LABELS, can_edit=g.principal.has_any(*edit_roles))

    @bp.get("/waivers/<waiver_id>/proof")
    @ops_page(*view_roles)
    def waiver_proof(waiver_id):
        with runtime.uow() as uow:
            w = waivers.get(uow, waiver_id)
            ext = "pdf" if w.proof_type == "application/pdf" else "jpg"
            resp = Response(w.proof, mimetype=w.proof_type)
        resp.headers["Content-Disposition"] = f'attachment; filename="waiver-{waiver_id}.{ext}"'
        resp.headers["Content-Security-Policy"] = "sandbox"
        return resp

    @bp.post("/waivers/<waiver_id>/approve")
    @ops_page(*edit_roles)
    def waiver_approve(waiver_id):
        try:
            fen = yuan_to_fen(request.form.get("amount", ""))
        except ValueError as exc:
            raise Invalid("减免后应缴金额格式不正确（元）", code="waiver_amount") from exc
        with runtime.uow() as uow:
            waivers.approve(uow, waiver_id, fen, g.principal.username or g.principal.sub,
                            request.form.get("note", ""))
        return redirect("/ops/payment/waivers")

    @bp.post("/waivers/<waiver_id>/reject")
    @ops_page(*edit_roles)
    def waiver_reject(waiver_id):
        with runtime.uow() as uow:
            waivers.reject(uow, waiver_id, g.principal.username or g.principal.sub,
                           request.form.get("note", ""))
        return redirect("/ops/payment/waivers")

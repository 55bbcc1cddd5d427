"""The candidate's money pages: fee waiver request, e-receipt, refunds of an order."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for

from gateway import session as user_session
from gateway.clients import ApiError, ServiceUnavailable, call, upstream

bp = Blueprint("payments", __name__)
candidate_only = user_session.login_required("candidate")


def order_panel(application_id: str, order: dict | None) -> dict:
    """What the application page shows around its order: the waiver and the refunds."""
    panel: dict = {"waiver": None, "refunds": []}
    try:
        panel["waiver"] = call("payment", "GET", f"/api/payment/applications/{application_id}/waiver")
    except (ApiError, ServiceUnavailable):
        pass
    if order and (order.get("refunded_fen") or order.get("status") == "refunded"):
        try:
            panel["refunds"] = call("payment", "GET",
                                    f"/api/payment/orders/{order['order_number']}/refunds")
        except (ApiError, ServiceUnavailable):
            pass
    return panel


@bp.post("/applications/<application_id>/waiver")
@candidate_only
def request_waiver(application_id: str):
    """Seed 001: low-income families ask for a fee waiver with a proof; finance decides."""
    proof = request.files.get("proof")
    reason = (request.form.get("reason") or "").strip()
    if not reason or proof is None or not proof.filename:
        flash("请填写申请理由并上传证明材料（PDF 或 JPEG）", "error")
        return redirect(url_for("candidate.application", application_id=application_id))
    resp = upstream("payment", "POST", f"/api/payment/applications/{application_id}/waiver",
                    token=g.get("access_token"), data={"reason": reason[:500]},
                    files={"proof": (proof.filename, proof.stream, proof.mimetype)})
    if resp.status_code >= 400:
        try:
            flash(resp.json()["error"]["message"], "error")
        except (ValueError, KeyError, TypeError):
            flash("申请未提交成功，请稍后再试", "error")
    else:
        flash("减免申请已提交，财务人员审核后会通知您。", "success")
    return redirect(url_for("candidate.application", application_id=application_id))


@bp.get("/orders/<order_number>/receipt.pdf")
@candidate_only
def receipt(order_number: str):
    resp = upstream("payment", "GET", f"/api/payment/orders/{order_number}/receipt.pdf",
                    token=g.get("access_token"))
    if resp.status_code != 200:
        abort(resp.status_code if resp.status_code in (403, 404, 409) else 400)
    return Response(resp.content, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="receipt-{order_number}.pdf"'})

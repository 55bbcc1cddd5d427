"""Payment's ops dashboard: orders and daily totals, reconciliation runs, the discrepancy queue,
refunds (and fee waivers, in ``ops_waivers``). Every change a finance officer makes is audited.
"""
from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import timedelta

from flask import Blueprint, g, redirect, render_template, request

from services.common import clock
from services.common.errors import Invalid
from services.common.web.ops import ops_page
from services.payment.domain import statement
from services.payment.domain.model import STATUS_LABELS, STATUSES, Order
from services.payment.domain.money import format_yuan, yuan_to_fen
from services.payment.domain.refunds import KINDS
from services.payment.domain.refunds import STATUS_LABELS as REFUND_LABELS
from services.payment.service_layer import reconciliation, refunds
from services.payment.web.charts import daily_bars

DAYS = 30
VIEW = ("finance", "auditor")
EDIT = ("finance",)


def daily_totals(orders: list[Order]) -> list[dict]:
    """Paid orders grouped by payment day (UTC+8, the day finance reconciles), newest first."""
    days: OrderedDict[str, dict] = OrderedDict()
    for o in sorted(orders, key=lambda o: o.paid_at, reverse=True):
        day = (o.paid_at + timedelta(hours=8)).strftime("%Y-%m-%d")
        row = days.setdefault(day, {"day": day, "count": 0, "fen": 0})
        row["count"] += 1
        row["fen"] += o.amount_fen
    return [dict(r, amount=format_yuan(r["fen"])) for r in days.values()]


def _actor() -> str:
    return g.principal.username or g.principal.sub


def _order_row(o: Order) -> dict:
    return {"order_number": o.order_number, "application_number": o.application_number,
            "description": o.description, "amount": format_yuan(o.amount_fen),
            "status": o.status, "status_label": o.status_label, "created_at": o.created_at,
            "expires_at": o.expires_at, "paid_at": o.paid_at, "confirmed_by": o.confirmed_by,
            "refund_due": o.refund_due, "refunded": format_yuan(o.refunded_fen),
            "provider_trade_no": o.provider_trade_no, "candidate_id": o.candidate_id}


def ops_blueprint(runtime) -> Blueprint:
    bp = Blueprint("payment_ops", __name__, url_prefix="/ops/payment")

    @bp.get("/")
    @ops_page(*VIEW)
    def index():
        q = (request.args.get("q") or "").strip()[:40]
        status = request.args.get("status") or ""
        with runtime.uow() as uow:
            query = uow.session.query(Order)
            if q:
                query = query.filter((Order.order_number == q.upper())
                                     | (Order.application_number == q))
            if status in STATUSES:
                query = query.filter(Order.status == status)
            rows = query.order_by(Order.created_at.desc()).limit(200).all()
            since = clock.now() - timedelta(days=DAYS)
            paid = (uow.session.query(Order).filter(Order.paid_at.isnot(None),
                                                    Order.paid_at >= since)
                    .filter(Order.status.in_(("paid", "refunded"))).all())
            totals = daily_totals(paid)
            view = [_order_row(o) for o in rows]
        days = [statement.beijing_day(clock.now() - timedelta(days=k))
                for k in range(DAYS - 1, -1, -1)]
        return render_template("payment/ops_index.html", rows=view, q=q, status=status,
                               statuses=STATUS_LABELS, totals=totals, days=DAYS,
                               chart=daily_bars(totals, days))

    @bp.get("/orders/<order_number>")
    @ops_page(*VIEW)
    def order_detail(order_number):
        with runtime.uow() as uow:
            o = uow.session.query(Order).filter_by(order_number=order_number).first()
            if o is None:
                return render_template("payment/ops_message.html", title="没有找到该订单"), 404
            order = _order_row(o)
            rows = refunds.refunds_of_order(uow, order_number)
        return render_template("payment/ops_order.html", order=order, refunds=rows,
                               kinds=KINDS, can_edit=g.principal.has_any(*EDIT))

    @bp.post("/orders/<order_number>/refunds")
    @ops_page(*EDIT)
    def order_refund(order_number):
        try:
            fen = yuan_to_fen(request.form.get("amount", ""))
        except ValueError as exc:
            raise Invalid("退费金额格式不正确（元，最多两位小数）", code="refund_amount") from exc
        with runtime.uow() as uow:
            refunds.request_refund(uow, order_number, fen, request.form.get("reason", ""),
                                   _actor())
        return redirect(f"/ops/payment/orders/{order_number}")

    # -- refunds ---------------------------------------------------------------------------
    @bp.get("/refunds")
    @ops_page(*VIEW)
    def refund_list():
        status = request.args.get("status") or ""
        with runtime.uow() as uow:
            rows = refunds.list_refunds(uow, status if status in REFUND_LABELS else None)
        return render_template("payment/ops_refunds.html", rows=rows, kinds=KINDS,
                               statuses=REFUND_LABELS, status=status,
                               can_edit=g.principal.has_any(*EDIT))

    @bp.post("/refunds/<refund_number>/<action>")
    @ops_page(*EDIT)
    def refund_action(refund_number, action):
        with runtime.uow() as uow:
            if action == "retry":
                refunds.retry(uow, refund_number, _actor())
            elif action == "reject":
                refunds.reject(uow, refund_number, request.form.get("reason", ""), _actor())
            elif action == "release":
                refunds.release(uow, refund_number, _actor())
            else:
                raise Invalid("没有这个操作", code="bad_action")
        return redirect("/ops/payment/refunds")

    # -- reconciliation --------------------------------------------------------------------
    @bp.get("/reconciliation")
    @ops_page(*VIEW)
    def runs():
        with runtime.uow() as uow:
            rows = reconciliation.runs(uow.session)
        yesterday = statement.beijing_day(clock.now() - timedelta(days=1))
        return render_template("payment/ops_runs.html", rows=rows, labels=reconciliation.RUN_LABELS,
                               yesterday=yesterday, can_edit=g.principal.has_any(*EDIT))

    @bp.post("/reconciliation")
    @ops_page(*EDIT)
    def start_run():
        day = (request.form.get("day") or "").strip()
        upload = request.files.get("file")
        with runtime.uow() as uow:
            if upload and upload.filename:
                hint = str(uuid.uuid4())
                path, sha = reconciliation.save_upload(upload.stream, runtime.settings.data_dir,
                                                       hint)
                run_id = reconciliation.queue_run(uow, day, _actor(), source="upload",
                                                  upload_path=str(path), sha256=sha)
            else:
                run_id = reconciliation.queue_run(uow, day, _actor())
        return redirect(f"/ops/payment/reconciliation/{run_id}")

    @bp.get("/reconciliation/<run_id>")
    @ops_page(*VIEW)
    def run_detail(run_id):
        with runtime.uow() as uow:
            run = reconciliation.run(uow.session, run_id)
            found = reconciliation.discrepancy_list(uow.session, status=None, run_id=run_id)
        pct = 100 if run.status in ("completed",) else (
            int(100 * run.lines_done / run.lines_total) if run.lines_total else 0)
        return render_template("payment/ops_run.html", run=run, pct=pct, found=found,
                               labels=reconciliation.RUN_LABELS, kinds=reconciliation.KIND_LABELS,
                               busy=run.status in ("queued", "running"))

    @bp.get("/discrepancies")
    @ops_page(*VIEW)
    def discrepancy_queue():
        status = request.args.get("status", "open")
        with runtime.uow() as uow:
            rows = reconciliation.discrepancy_list(
                uow.session, status if status in ("open", "auto_fixed", "resolved") else None)
        return render_template("payment/ops_discrepancies.html", rows=rows, status=status,
                               kinds=reconciliation.KIND_LABELS,
                               can_edit=g.principal.has_any(*EDIT))

    @bp.post("/discrepancies/<discrepancy_id>/resolve")
    @ops_page(*EDIT)
    def resolve(discrepancy_id):
        with runtime.uow() as uow:
            reconciliation.resolve(uow, discrepancy_id, request.form.get("resolution", ""),
                                   _actor())
        return redirect("/ops/payment/discrepancies")

    from services.payment.web import ops_waivers
    ops_waivers.install(bp, runtime, VIEW, EDIT)
    return bp

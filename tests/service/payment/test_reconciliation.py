"""Reconciliation against the sandbox's daily statement (T+1): fixes, discrepancies, rejects."""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from services.common import clock
from services.payment.adapters.orm import discrepancies, reconciliation_runs
from services.payment.domain import statement
from services.payment.domain.model import Order
from services.payment.domain.provider import TradeStatus
from services.payment.service_layer import payments
from services.payment.worker import reconcile


def _today():
    return statement.beijing_day(clock.now())


def _run(world, day, data=None):
    r = world.client.post("/ops/payment/reconciliation", data=data or {"day": day},
                          headers=world.finance(), content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    run_id = r.headers["Location"].rsplit("/", 1)[1]
    reconcile(world.rt)
    with world.rt.engine.connect() as c:
        return c.execute(select(reconciliation_runs).where(
            reconciliation_runs.c.id == run_id)).one()


def _found(world, run_id):
    with world.rt.engine.connect() as c:
        return c.execute(select(discrepancies).where(discrepancies.c.run_id == run_id)).all()


def test_lost_notification_is_fixed_by_the_next_days_statement(world):
    world.request_payment()
    number = world.order()["order_number"]
    trade_no, _ = world.pay(number, faults=("lost",))
    day = _today()
    r = world.client.post("/ops/payment/reconciliation", data={"day": day},
                          headers=world.finance(), content_type="multipart/form-data")
    assert r.status_code == 422 and "T+1" in r.get_data(as_text=True)
    clock.shift(timedelta(days=1))
    run = _run(world, day)
    assert run.status == "completed" and run.lines_total == 1 and run.fixed == 1
    order = world.order()
    assert order["status"] == "paid"
    paid = world.events("payment.order.paid")
    assert [p["confirmed_by"] for p in paid] == ["statement"]
    (d,) = _found(world, run.id)
    assert d.kind == "paid_not_here" and d.status == "auto_fixed" and d.trade_no == trade_no
    ev = world.events("payment.discrepancy.found")
    assert ev[0]["kind"] == "paid_not_here" and ev[0]["status"] == "auto_fixed"
    page = world.client.get(f"/ops/payment/reconciliation/{run.id}", headers=world.finance())
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="100"' in html and "对方已收款，我方未到账" in html
    again = _run(world, day)  # a second run of the same day finds nothing new
    assert again.matched == 1 and again.discrepancies == 0


def test_paid_here_not_there_is_queued_for_finance_and_resolution_is_audited(world):
    world.request_payment()
    number = world.order()["order_number"]
    # A bug (or a forged confirmation) made us believe in a trade the provider never had.
    payments.confirm(world.rt.uow, TradeStatus(number, "TRADE_SUCCESS", "FAKE-TRADE", 10000,
                                               clock.now()), "query")
    day = _today()
    clock.shift(timedelta(days=1))
    run = _run(world, day)
    (d,) = _found(world, run.id)
    assert d.kind == "missing_in_statement" and d.status == "open"
    queue = world.client.get("/ops/payment/discrepancies", headers=world.finance())
    assert number in queue.get_data(as_text=True)
    r = world.client.post(f"/ops/payment/discrepancies/{d.id}/resolve", data={"resolution": ""},
                          headers=world.finance())
    assert r.status_code == 422
    auditor = world.tokens.headers(sub="aud-1", roles=("auditor",))
    assert world.client.post(f"/ops/payment/discrepancies/{d.id}/resolve",
                             data={"resolution": "x"}, headers=auditor).status_code == 403
    r = world.client.post(f"/ops/payment/discrepancies/{d.id}/resolve",
                          data={"resolution": "核实为系统错误，已联系考生"}, headers=world.finance())
    assert r.status_code == 302
    r = world.client.post(f"/ops/payment/discrepancies/{d.id}/resolve",
                          data={"resolution": "again"}, headers=world.finance())
    assert r.status_code == 409
    audit = world.rt.tables.audit_log
    with world.rt.engine.connect() as c:
        rows = c.execute(select(audit).where(audit.c.action == "discrepancy.resolved")).all()
    assert len(rows) == 1 and rows[0].actor == "tester" and rows[0].target == d.id


def test_uploaded_statement_with_amount_mismatch_and_unknown_order(world):
    world.request_payment()
    number = world.order()["order_number"]
    trade_no, _ = world.pay(number)
    day = _today()
    at = statement.format_time(clock.now())
    csv_text = ("trade_no,out_trade_no,type,amount,status,occurred_at,refund_no\n"
                f"{trade_no},{number},payment,99.00,TRADE_SUCCESS,{at},\n"
                f"T-X,BK-NOT-OURS,payment,50.00,TRADE_SUCCESS,{at},\n")
    run = _run(world, day, {"day": day, "file": (io.BytesIO(csv_text.encode()), "s.csv")})
    assert run.status == "completed"
    kinds = sorted(d.kind for d in _found(world, run.id))
    assert kinds == ["amount_mismatch", "unknown_order"]
    assert world.order()["status"] == "paid"  # a disputed amount changes nothing by itself


def test_malformed_statement_is_rejected_whole_with_a_line_report(world):
    world.request_payment()
    number = world.order()["order_number"]
    world.pay(number, faults=("lost",))
    day = _today()
    at = statement.format_time(clock.now())
    csv_text = ("trade_no,out_trade_no,type,amount,status,occurred_at,refund_no\n"
                f"T1,{number},payment,100.00,TRADE_SUCCESS,{at},\n"
                f"T2,{number},payment,abc,TRADE_SUCCESS,{at},\n"
                "T3,BK1,payment,1.00,TRADE_SUCCESS\n"
                f"T4,BK2,refund,1.00,REFUND_SUCCESS,{at},\n"
                "T5,BK3,payment,1.00,TRADE_SUCCESS,2001-01-01 00:00:00,\n")
    run = _run(world, day, {"day": day, "file": (io.BytesIO(csv_text.encode()), "s.csv")})
    assert run.status == "rejected"
    assert [e["line"] for e in run.line_report["errors"]] == [3, 4, 5, 6]
    assert run.line_report["count"] == 4
    assert world.order()["status"] == "pending"  # nothing applied from a rejected file
    assert _found(world, run.id) == []
    page = world.client.get(f"/ops/payment/reconciliation/{run.id}", headers=world.finance())
    assert "金额" in page.get_data(as_text=True) and "文件被拒绝" in page.get_data(as_text=True)


def test_statement_checksum_is_verified(world, tmp_path):
    world.request_payment()
    world.pay(world.order()["order_number"])
    day = _today()
    clock.shift(timedelta(days=1))
    real_get = world.provider.http.get

    def corrupt(url, stream=False, timeout=None):
        ans = real_get(url, stream=stream, timeout=timeout)
        ans.content = ans.content.replace(b"100.00", b"1000.00")
        return ans
    world.provider.http.get = corrupt
    try:
        run = _run(world, day)
    finally:
        world.provider.http.get = real_get
    assert run.status == "failed" and "checksum" in run.error


def test_daily_job_reconciles_yesterday_once(world):
    world.request_payment()
    world.pay(world.order()["order_number"], faults=("lost",))
    clock.shift(timedelta(days=1))
    assert reconcile(world.rt) is not None
    assert reconcile(world.rt) is None  # yesterday is done
    assert world.order()["status"] == "paid"
    with world.rt.uow() as uow:
        assert uow.session.query(Order).one().confirmed_by == "statement"


def test_refund_done_at_provider_but_unknown_here_is_fixed(world):
    world.request_payment()
    number = world.order()["order_number"]
    world.pay(number)
    world.sandbox_client.post("/api/sandbox/refund-faults", data={"faults": "lost_answer"})
    world.client.post(f"/api/payment/ops/orders/{number}/refunds",
                      json={"amount_fen": 10000, "reason": "考生申请"}, headers=world.finance())
    world.run_refunds()
    assert world.refunds(number)[0]["status"] == "failed"
    day = _today()
    clock.shift(timedelta(days=1))
    run = _run(world, day)
    kinds = [(d.kind, d.status) for d in _found(world, run.id)]
    assert kinds == [("state_mismatch", "auto_fixed")]
    world.run_refunds()
    assert world.refunds(number)[0]["status"] == "succeeded"
    assert world.order()["status"] == "refunded"


def test_a_run_whose_process_died_is_failed_and_can_be_run_again(world):
    from services.payment.service_layer import reconciliation
    day = statement.beijing_day(clock.now() - timedelta(days=1))
    with world.rt.uow() as uow:
        run_id = reconciliation.queue_run(uow, day, "fin")
    assert reconciliation.claim_next(world.rt.engine) == run_id  # …and the worker dies here
    r = world.client.post("/ops/payment/reconciliation", data={"day": day},
                          headers=world.finance(), content_type="multipart/form-data")
    assert r.status_code == 409
    clock.shift(timedelta(hours=2))
    assert reconcile(world.rt) is not None  # the stale run is failed; the daily run goes
    with world.rt.engine.connect() as c:
        statuses = {r.id: r.status for r in c.execute(
            select(reconciliation_runs.c.id, reconciliation_runs.c.status))}
    assert statuses[run_id] == "failed" and "completed" in statuses.values()

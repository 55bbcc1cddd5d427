"""Reconciliation against the provider's daily statement (T+1): the last word on "paid".

A run reads the statement line by line (csv over a file, never loaded whole), stages the lines
in one transaction (a file with any malformed line is rejected whole, with a line report), then
compares them with our orders and refunds in set-based queries:

- ``paid_not_here``     the provider took money we did not know of (lost notification): the
                         order is confirmed now (``confirmed_by=statement``) — auto-fixed;
- ``duplicate_payment`` a second trade for an order, or a payment of a replaced order: a refund
                         is opened by seed 004's rules — auto-fixed;
- ``unknown_order``     money for an order number we never issued — finance;
- ``amount_mismatch``   the amounts differ — finance;
- ``missing_in_statement`` we think it is paid, the provider does not list it — finance;
- ``state_mismatch``    the provider refunded what we still count as processing/failed: the
                         refund is retried at once with its number (the provider confirms) —
                         auto-fixed;
- ``refund_mismatch``   a refund there not here, or here not there — finance.

Every discrepancy is a row (finance resolves the open ones in the dashboard, audited) and a
``payment.discrepancy.found`` event.
"""
from __future__ import annotations

import csv
import hashlib
import logging
import shutil
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update

from services.common import clock
from services.common.errors import Conflict, Invalid, NotFound
from services.payment.adapters import staging
from services.payment.adapters.orm import (
    discrepancies,
    orders,
    reconciliation_runs,
    refunds,
    statement_lines,
)
from services.payment.domain import model, statement
from services.payment.domain import refunds as refund_rules
from services.payment.domain.provider import (
    PaymentProvider,
    ProviderUnavailable,
    StatementNotReady,
    TradeStatus,
)

log = logging.getLogger(__name__)
BATCH = 10_000
PROGRESS_EVERY = 50_000
KIND_LABELS = {"paid_not_here": "对方已收款，我方未到账", "duplicate_payment": "重复缴费",
               "unknown_order": "对方有款，我方无此订单", "amount_mismatch": "金额不符",
               "missing_in_statement": "我方已缴费，对账单无此笔", "state_mismatch": "状态不符",
               "refund_mismatch": "退款不符"}
RUN_LABELS = {"queued": "排队中", "running": "对账中", "completed": "已完成", "rejected": "文件被拒绝",
              "failed": "失败"}
AUTO_KINDS = ("paid_not_here", "duplicate_payment", "state_mismatch")


class StatementRejected(Exception):
    def __init__(self, message: str, report: dict | None = None):
        super().__init__(message)
        self.message, self.report = message, report


# -- queueing -------------------------------------------------------------------------------
def queue_run(uow, day: str, actor: str, *, source: str = "provider",
              upload_path: str | None = None, sha256: str | None = None) -> str:
    try:
        statement.day_bounds(day)
    except ValueError as exc:
        raise Invalid("日期格式应为 yyyy-mm-dd", code="bad_day", fields={"day": ["格式错误"]}) from exc
    if source == "provider" and day >= statement.beijing_day(clock.now()):
        raise Invalid("对账单次日才提供（T+1），只能对账昨天及以前的日期", code="statement_not_ready")
    busy = uow.session.execute(select(reconciliation_runs.c.id).where(
        reconciliation_runs.c.statement_day == day,
        reconciliation_runs.c.status.in_(("queued", "running")))).first()
    if busy:
        raise Conflict("该日期的对账正在进行中", code="run_in_progress")
    run_id = str(uuid.uuid4())
    uow.session.execute(insert(reconciliation_runs).values(
        id=run_id, statement_day=day, source=source, status="queued", requested_by=actor,
        created_at=clock.now(), upload_path=upload_path, sha256=sha256, lines_total=0,
        lines_done=0, matched=0, fixed=0, discrepancies=0))
    uow.audit(actor, "reconciliation.queued", run_id, day=day, source=source)
    uow.commit()
    return run_id


def save_upload(stream, data_dir: Path, run_hint: str) -> tuple[Path, str]:
    """Copy an uploaded statement to disk in chunks, hashing it on the way."""
    d = Path(data_dir) / "statements"
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"upload-{run_hint}.csv"
    h = hashlib.sha256()
    with path.open("wb") as f:
        for chunk in iter(lambda: stream.read(1 << 16), b""):
            h.update(chunk)
            f.write(chunk)
    return path, h.hexdigest()


def queue_daily(uow) -> str | None:
    """The daily job: reconcile yesterday (Beijing) once its statement exists."""
    day = statement.beijing_day(clock.now() - timedelta(days=1))
    rows = uow.session.execute(select(reconciliation_runs.c.status,
                                      reconciliation_runs.c.created_at)
                               .where(reconciliation_runs.c.statement_day == day,
                                      reconciliation_runs.c.source == "provider")).all()
    if any(r.status in ("queued", "running", "completed") for r in rows):
        return None
    if any(r.created_at > clock.now() - timedelta(minutes=30) for r in rows):
        return None  # failed a moment ago (statement not ready yet?): try again later
    return queue_run(uow, day, "system")


# -- running --------------------------------------------------------------------------------
def _set(engine, run_id: str, **values) -> None:
    with engine.begin() as conn:
        conn.execute(update(reconciliation_runs).where(reconciliation_runs.c.id == run_id)
                     .values(**values))


STALE_AFTER = timedelta(hours=1)


def fail_stale(engine) -> int:
    """A run still "running" after an hour lost its process: fail it and drop its staged lines."""
    cutoff = clock.now() - STALE_AFTER
    with engine.begin() as conn:
        stale = [r.id for r in conn.execute(select(reconciliation_runs.c.id).where(
            reconciliation_runs.c.status == "running", reconciliation_runs.c.started_at < cutoff))]
        for run_id in stale:
            conn.execute(update(reconciliation_runs).where(reconciliation_runs.c.id == run_id)
                         .values(status="failed", finished_at=clock.now(), phase="done",
                                 error="对账进程中断，请重新对账"))
            conn.execute(delete(statement_lines).where(statement_lines.c.run_id == run_id))
    return len(stale)


def claim_next(engine) -> str | None:
    fail_stale(engine)
    with engine.begin() as conn:
        row = conn.execute(select(reconciliation_runs.c.id).where(
            reconciliation_runs.c.status == "queued").order_by(
            reconciliation_runs.c.created_at).limit(1)).first()
        if row is None:
            return None
        took = conn.execute(update(reconciliation_runs).where(
            reconciliation_runs.c.id == row.id, reconciliation_runs.c.status == "queued")
            .values(status="running", started_at=clock.now(), phase="download")).rowcount
    return row.id if took else None


def run_next(runtime, provider: PaymentProvider) -> str | None:
    """The reconciliation job: take one queued run and carry it out."""
    run_id = claim_next(runtime.engine)
    if run_id is not None:
        execute(runtime, provider, run_id)
    return run_id


def execute(runtime, provider: PaymentProvider, run_id: str) -> None:
    engine = runtime.engine
    with engine.connect() as conn:
        run = conn.execute(select(reconciliation_runs).where(
            reconciliation_runs.c.id == run_id)).one()
    tmp = Path(tempfile.mkdtemp(prefix="baokao-statement-"))
    try:
        if run.source == "upload":
            path, sha = Path(run.upload_path), run.sha256
        else:
            fetched = provider.download_statement(run.statement_day, tmp)
            path, sha = fetched.path, fetched.sha256
        _set(engine, run_id, sha256=sha, phase="staging")
        reconcile_file(runtime, run_id, path, run.statement_day)
    except StatementRejected as exc:
        _set(engine, run_id, status="rejected", finished_at=clock.now(), error=exc.message[:500],
             line_report=exc.report, phase="done")
        _audit(runtime, "reconciliation.rejected", run_id, error=exc.message[:200])
    except StatementNotReady:
        _set(engine, run_id, status="failed", finished_at=clock.now(), phase="done",
             error="对账单尚未生成（T+1 提供），稍后自动重试")
    except ProviderUnavailable as exc:
        _set(engine, run_id, status="failed", finished_at=clock.now(), phase="done",
             error=f"无法获取对账单：{exc}"[:500])
    except Exception as exc:
        log.exception("reconciliation run %s failed", run_id)
        _set(engine, run_id, status="failed", finished_at=clock.now(), phase="done",
             error=f"对账出错：{type(exc).__name__}"[:500])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if run.source == "upload" and run.upload_path:
            Path(run.upload_path).unlink(missing_ok=True)


def _audit(runtime, action: str, target: str, **detail) -> None:
    with runtime.uow() as uow:
        uow.audit("system:reconciliation", action, target, **detail)
        uow.commit()


def count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n


def stage_file(engine, run_id: str, path: Path, day: str) -> int:
    """Parse and stage every line in one transaction; reject the file on any bad line."""
    total = max(count_lines(path) - 1, 0)
    _set(engine, run_id, lines_total=total, lines_done=0)
    errors: list[dict] = []
    n_errors = 0
    batch: list[statement.Line] = []
    staged = 0
    with engine.begin() as conn, path.open(newline="", encoding="utf-8",
                                           errors="strict") as f:
        reader = csv.reader(f)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise StatementRejected(f"文件无法读取：{exc}") from exc
        if header is None or tuple(h.strip().lstrip("\ufeff") for h in header) != statement.HEADER:
            raise StatementRejected("表头不正确，应为 " + ",".join(statement.HEADER),
                                    {"count": 1, "errors": [{"line": 1, "error": "表头不正确"}]})
        line_no = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                n_errors += 1
                if len(errors) < statement.MAX_REPORTED_ERRORS:
                    errors.append({"line": line_no + 1, "error": f"无法解析：{exc}"[:200]})
                break
            line_no = reader.line_num
            if not row:
                continue
            parsed = statement.parse_row(row, line_no, day)
            if isinstance(parsed, str):
                n_errors += 1
                if len(errors) < statement.MAX_REPORTED_ERRORS:
                    errors.append({"line": line_no, "error": parsed})
                continue
            if n_errors:
                continue  # the file will be refused: keep reading only to report every bad line
            batch.append(parsed)
            if len(batch) >= BATCH:
                staged += staging.stage(conn, run_id, batch)
                batch.clear()
                if staged % PROGRESS_EVERY < BATCH:
                    _set(engine, run_id, lines_done=staged)
        if n_errors:
            conn.rollback()
            raise StatementRejected(f"对账单有 {n_errors} 行格式错误，整份文件未导入",
                                    {"count": n_errors, "errors": errors})
        staged += staging.stage(conn, run_id, batch)
    with engine.begin() as conn:
        staging.analyze(conn)
    _set(engine, run_id, lines_done=staged, lines_total=staged, phase="comparing")
    return staged


def reconcile_file(runtime, run_id: str, path: Path, day: str) -> dict:
    """Stage the file, compare, record discrepancies; the run's counters."""
    engine = runtime.engine
    stage_file(engine, run_id, path, day)
    try:
        result = compare(runtime, run_id, day)
    finally:
        with engine.begin() as conn:
            conn.execute(delete(statement_lines).where(statement_lines.c.run_id == run_id))
    _set(engine, run_id, status="completed", finished_at=clock.now(), phase="done", **result)
    _audit(runtime, "reconciliation.completed", run_id, day=day, **result)
    return result


# -- comparing ------------------------------------------------------------------------------
def compare(runtime, run_id: str, day: str) -> dict:
    from services.payment.service_layer import payments  # a use case of the sibling module
    engine = runtime.engine
    L, Od, R = statement_lines.c, orders.c, refunds.c
    start, end = statement.day_bounds(day)
    pay = and_(L.run_id == run_id, L.type == statement.PAYMENT)
    found: list[dict] = []
    fixed = 0
    with engine.connect() as conn:
        payments_total = conn.execute(select(func.count()).select_from(statement_lines)
                                      .where(pay)).scalar()
        # One pass over the lines: only those that do not match an order exactly come back.
        odd = conn.execute(select(
            L.out_trade_no, L.trade_no, L.amount_fen, L.occurred_at, Od.id.label("oid"),
            Od.amount_fen.label("ours"), Od.status).select_from(
            statement_lines.outerjoin(orders, Od.order_number == L.out_trade_no)).where(
            pay, or_(Od.id.is_(None), Od.amount_fen != L.amount_fen,
                     Od.provider_trade_no.is_(None), Od.provider_trade_no != L.trade_no))).all()
        known = {t for (t,) in conn.execute(select(R.trade_no).where(
            R.trade_no.in_([r.trade_no for r in odd if r.oid is not None] or [""]),
            R.kind.in_(model.REFUND_OUTCOMES)))} if odd else set()
        unknown_trades = []
        for r in odd:
            if r.oid is None:
                found.append(dict(kind="unknown_order", order_number=r.out_trade_no,
                                  trade_no=r.trade_no, their_amount_fen=r.amount_fen,
                                  their_status="TRADE_SUCCESS",
                                  detail="对账单中有此笔收款，我方没有该订单"))
            elif r.ours != r.amount_fen:
                found.append(dict(kind="amount_mismatch", order_number=r.out_trade_no,
                                  trade_no=r.trade_no, their_amount_fen=r.amount_fen,
                                  our_amount_fen=r.ours, our_status=r.status,
                                  their_status="TRADE_SUCCESS", detail="对账单金额与订单金额不符"))
            elif r.trade_no not in known:
                unknown_trades.append(r)
        matched = payments_total - len(odd) + len(known)
        missing = conn.execute(select(Od.order_number, Od.provider_trade_no, Od.amount_fen,
                                      Od.status).where(
            Od.paid_at >= start, Od.paid_at < end, Od.provider_trade_no.isnot(None),
            ~exists().where(L.run_id == run_id, L.type == statement.PAYMENT,
                            L.out_trade_no == Od.order_number,
                            L.trade_no == Od.provider_trade_no))).all()
        refund_lines = conn.execute(select(L.refund_no, L.trade_no, L.out_trade_no,
                                           L.amount_fen, R.status, R.amount_fen.label("ours"))
                                    .select_from(statement_lines.outerjoin(
                                        refunds, R.refund_number == L.refund_no))
                                    .where(L.run_id == run_id, L.type == statement.REFUND)).all()
        refunds_missing = conn.execute(select(R.refund_number, R.order_number, R.trade_no,
                                              R.amount_fen).where(
            R.status == refund_rules.SUCCEEDED, R.finished_at >= start, R.finished_at < end,
            ~exists().where(L.run_id == run_id, L.type == statement.REFUND,
                            L.refund_no == R.refund_number))).all()
    for r in unknown_trades:  # the provider's word, applied like a notification's
        trade = TradeStatus(order_number=r.out_trade_no, status="TRADE_SUCCESS",
                            trade_no=r.trade_no, amount_fen=r.amount_fen, paid_at=r.occurred_at)
        order = payments.confirm(runtime.uow, trade, "statement")
        became = order.status if order else None
        kind = "paid_not_here" if became == model.PAID and order.provider_trade_no == r.trade_no \
            else "duplicate_payment"
        fixed += 1
        found.append(dict(kind=kind, order_number=r.out_trade_no, trade_no=r.trade_no,
                          their_amount_fen=r.amount_fen, our_amount_fen=r.amount_fen,
                          our_status=r.status, their_status="TRADE_SUCCESS", status="auto_fixed",
                          detail="已按对账单确认缴费" if kind == "paid_not_here"
                          else "已按退费规则安排原路退回"))
    for r in missing:
        found.append(dict(kind="missing_in_statement", order_number=r.order_number,
                          trade_no=r.provider_trade_no, our_amount_fen=r.amount_fen,
                          our_status=r.status, detail="我方记为已缴费，对账单中没有这笔交易"))
    for r in refund_lines:
        if r.status is None:
            found.append(dict(kind="refund_mismatch", order_number=r.out_trade_no,
                              trade_no=r.trade_no, their_amount_fen=r.amount_fen,
                              their_status="REFUND_SUCCESS", detail=f"对方退款 {r.refund_no}，我方无此退费单"))
        elif r.ours != r.amount_fen:
            found.append(dict(kind="refund_mismatch", order_number=r.out_trade_no,
                              trade_no=r.trade_no, their_amount_fen=r.amount_fen,
                              our_amount_fen=r.ours, our_status=r.status,
                              detail=f"退费单 {r.refund_no} 金额不符"))
        elif r.status != refund_rules.SUCCEEDED:
            _retry_now(runtime, r.refund_no)
            fixed += 1
            found.append(dict(kind="state_mismatch", order_number=r.out_trade_no,
                              trade_no=r.trade_no, their_amount_fen=r.amount_fen,
                              our_amount_fen=r.ours, our_status=r.status,
                              their_status="REFUND_SUCCESS", status="auto_fixed",
                              detail=f"对方已退款，退费单 {r.refund_no} 立即重新确认"))
    for r in refunds_missing:
        found.append(dict(kind="refund_mismatch", order_number=r.order_number,
                          trade_no=r.trade_no, our_amount_fen=r.amount_fen,
                          our_status="succeeded", detail=f"退费单 {r.refund_number} 对账单中没有"))
    record(runtime, run_id, day, found)
    return {"matched": int(matched or 0), "fixed": fixed, "discrepancies": len(found)}


def _retry_now(runtime, refund_number: str) -> None:
    from services.payment.domain.refunds import Refund
    with runtime.uow() as uow:
        refund = uow.session.query(Refund).filter_by(refund_number=refund_number).one()
        if refund.status in (refund_rules.FAILED, refund_rules.PROCESSING):
            refund.next_attempt_at = clock.now()
            uow.commit()


def record(runtime, run_id: str, day: str, found: list[dict]) -> None:
    for chunk in range(0, len(found), 500):
        with runtime.uow() as uow:
            for d in found[chunk:chunk + 500]:
                did = str(uuid.uuid4())
                values = {"status": "open", "trade_no": None, "our_amount_fen": None,
                          "their_amount_fen": None, "our_status": None, "their_status": None,
                          **d}
                uow.session.execute(insert(discrepancies).values(
                    id=did, run_id=run_id, statement_day=day, created_at=clock.now(), **values))
                uow.emit("payment.discrepancy.found", {
                    "discrepancy_id": did, "run_id": run_id, "statement_day": day,
                    "kind": values["kind"], "order_number": values["order_number"],
                    "trade_no": values["trade_no"], "our_amount_fen": values["our_amount_fen"],
                    "their_amount_fen": values["their_amount_fen"],
                    "status": values["status"]}, values["order_number"])
            uow.commit()


# -- finance ---------------------------------------------------------------------------------
def resolve(uow, discrepancy_id: str, resolution: str, actor: str) -> None:
    resolution = (resolution or "").strip()
    if not resolution:
        raise Invalid("请填写处理说明", code="resolution_required",
                      fields={"resolution": ["必填"]})
    row = uow.session.execute(select(discrepancies).where(
        discrepancies.c.id == discrepancy_id)).first()
    if row is None:
        raise NotFound("没有找到该差异", code="discrepancy_not_found")
    if row.status != "open":
        raise Conflict("该差异已处理", code="already_resolved")
    uow.session.execute(update(discrepancies).where(discrepancies.c.id == discrepancy_id)
                        .values(status="resolved", resolution=resolution[:300],
                                resolved_by=actor, resolved_at=clock.now()))
    uow.audit(actor, "discrepancy.resolved", discrepancy_id, kind=row.kind,
              order=row.order_number, resolution=resolution[:300])
    uow.commit()


def runs(session, limit: int = 30) -> list:
    return session.execute(select(reconciliation_runs).order_by(
        reconciliation_runs.c.created_at.desc()).limit(limit)).all()


def run(session, run_id: str):
    row = session.execute(select(reconciliation_runs).where(
        reconciliation_runs.c.id == run_id)).first()
    if row is None:
        raise NotFound("没有找到该对账批次", code="run_not_found")
    return row


def discrepancy_list(session, status: str | None = "open", run_id: str | None = None,
                     limit: int = 200) -> list:
    q = select(discrepancies)
    if status:
        q = q.where(discrepancies.c.status == status)
    if run_id:
        q = q.where(discrepancies.c.run_id == run_id)
    return session.execute(q.order_by(discrepancies.c.created_at.desc()).limit(limit)).all()

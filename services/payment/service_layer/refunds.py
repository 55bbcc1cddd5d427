"""Refunds: opened by seed 004's rules or by finance, driven to the provider by a job.

When each kind of refund may go (seed 004, "重复缴费怎么办"):
- ``duplicate_same_order`` — after registration closes (the order's payment deadline);
- ``duplicate_other_order`` — after the exam's reconciliation: held until registration
  publishes the application's scores (the exam is over) or finance releases it;
- ``late`` — at once (no payment is accepted after the window);
- ``manual`` / ``cancellation`` — at once.

The provider is called outside any transaction. Before the call the refund is leased
(``processing``); success, a firm refusal or an error is recorded after it; a crash in between
leaves the lease to expire and the same refund number is sent again, which the provider
answers without refunding twice.
"""
from __future__ import annotations

import logging
import secrets

from sqlalchemy import func
from sqlalchemy.orm.exc import StaleDataError

from services.common import clock
from services.common.errors import Conflict, Invalid, NotFound, PermanentFailure
from services.payment.adapters.orm import applications
from services.payment.domain import model
from services.payment.domain import refunds as rules
from services.payment.domain.model import Order
from services.payment.domain.provider import (
    PaymentProvider,
    ProviderUnavailable,
    RefundRefused,
    RefundRequest,
)
from services.payment.domain.refunds import Refund

log = logging.getLogger(__name__)
REASONS = {model.DUPLICATE_SAME_ORDER: "同一订单重复缴费，报名截止后原路退回",
           model.DUPLICATE_OTHER_ORDER: "不同订单重复缴费，考试对账后原路退回",
           model.LATE: "超过缴费期限的缴费，原路退回"}


def new_refund_number(uow) -> str:
    while True:
        number = rules.refund_number(clock.now(), secrets.randbelow(10**12))
        if uow.session.query(Refund).filter_by(refund_number=number).first() is None:
            return number


def refunded_or_pending_fen(uow, trade_no: str) -> int:
    total = (uow.session.query(func.coalesce(func.sum(Refund.amount_fen), 0))
             .filter(Refund.trade_no == trade_no, Refund.status != rules.REJECTED).scalar())
    return int(total or 0)


def _exam_settled_at(uow, application_id: str):
    row = uow.session.execute(applications.select().where(
        applications.c.application_id == application_id)).first()
    return row.exam_settled_at if row else None


def open_for_outcome(uow, order: Order, trade_no: str, outcome: str) -> Refund | None:
    """Seed 004: money that must go back gets a refund, once per trade."""
    if outcome not in model.REFUND_OUTCOMES:
        return None
    if uow.session.query(Refund).filter(Refund.trade_no == trade_no,
                                        Refund.kind.in_(model.REFUND_OUTCOMES)).first():
        return None
    now = clock.now()
    if outcome == model.DUPLICATE_SAME_ORDER:
        not_before = max(now, order.payment_deadline)
    elif outcome == model.DUPLICATE_OTHER_ORDER:
        settled = _exam_settled_at(uow, order.application_id)
        not_before = max(now, settled) if settled else None
    else:
        not_before = now
    refund = Refund.request(new_refund_number(uow), order.order_number, trade_no,
                            order.amount_fen, outcome, REASONS[outcome],
                            paid_fen=order.amount_fen,
                            already_refunded_fen=refunded_or_pending_fen(uow, trade_no),
                            now=now, not_before=not_before, requested_by="system")
    uow.add(refund)
    uow.audit("system", "refund.opened", refund.refund_number, order=order.order_number,
              trade_no=trade_no, kind=outcome, amount_fen=refund.amount_fen,
              not_before=not_before.isoformat() if not_before else None)
    return refund


def request_refund(uow, order_number: str, amount_fen: int, reason: str, actor: str,
                   kind: str = "manual", *, commit: bool = True) -> Refund:
    """Finance (or a cancellation) returns part or all of an order's accepted payment."""
    order = uow.session.query(Order).filter_by(order_number=order_number).first()
    if order is None:
        raise NotFound("没有找到该订单", code="order_not_found")
    if order.provider_trade_no is None or order.paid_at is None:
        raise Conflict("该订单没有可退的缴费", code="order_not_paid")
    if not reason.strip():
        raise Invalid("请填写退费原因", code="refund_reason", fields={"reason": ["必填"]})
    refund = Refund.request(new_refund_number(uow), order.order_number, order.provider_trade_no,
                            amount_fen, kind, reason.strip()[:200], paid_fen=order.amount_fen,
                            already_refunded_fen=refunded_or_pending_fen(
                                uow, order.provider_trade_no),
                            now=clock.now(), not_before=clock.now(), requested_by=actor)
    uow.add(refund)
    uow.audit(actor, "refund.requested", refund.refund_number, order=order.order_number,
              amount_fen=amount_fen, kind=kind, reason=refund.reason)
    if commit:  # event handlers leave the commit to the inbox (same transaction as its row)
        uow.commit()
    return refund


def release_for_application(uow, application_id: str, actor: str) -> int:
    """The exam was reconciled: held refunds of the application's orders may go now."""
    now = clock.now()
    row = uow.session.execute(applications.select().where(
        applications.c.application_id == application_id)).first()
    if row is not None and row.exam_settled_at is None:
        uow.session.execute(applications.update().where(
            applications.c.application_id == application_id).values(exam_settled_at=now,
                                                                      updated_at=now))
    numbers = [o.order_number for o in
               uow.session.query(Order).filter_by(application_id=application_id)]
    released = 0
    for refund in uow.session.query(Refund).filter(Refund.order_number.in_(numbers)):
        if refund.release(now):
            released += 1
            uow.audit(actor, "refund.released", refund.refund_number)
    return released


def on_scores_published(event, uow) -> None:
    """Handler of ``registration.scores.published``: the exam is over, reconcile its refunds."""
    release_for_application(uow, event.data["application_id"], "registration:scores_published")


def on_refund_requested(event, uow) -> None:
    """Handler of ``registration.refund.requested``: the exam authority cancelled a paid
    application (seed 001, too few applicants) — its order is refunded in full, at once."""
    d = event.data
    order = uow.session.query(Order).filter_by(order_number=d["order_number"]).first()
    if order is None or order.application_id != d["application_id"]:
        raise PermanentFailure(f"refund request {event.id}: no order {d['order_number']} "
                               f"for application {d['application_id']}")
    if order.provider_trade_no is None:
        log.info("refund request for %s: nothing was paid through the provider (waived)",
                 order.order_number)
        return
    if uow.session.query(Refund).filter(Refund.order_number == order.order_number,
                                        Refund.kind == "cancellation",
                                        Refund.status != rules.REJECTED).first():
        return  # asked before
    left = order.amount_fen - refunded_or_pending_fen(uow, order.provider_trade_no)
    amount = min(d["amount_fen"], left)
    if amount <= 0:
        log.warning("refund request for %s: nothing left to refund", order.order_number)
        return
    request_refund(uow, order.order_number, amount, d.get("reason") or "考试取消",
                   "registration", kind="cancellation", commit=False)


def on_application_cancelled(event, uow) -> None:
    """Handler of ``registration.application.cancelled``: the open order can no longer be paid,
    and money that still arrives for the application goes back at once (no exam to wait for)."""
    from services.payment.service_layer.orders import lock_application
    d = event.data
    now = clock.now()
    lock_application(uow, d["application_id"], d["candidate_id"])
    for order in uow.session.query(Order).filter_by(application_id=d["application_id"],
                                                    status=model.PENDING):
        if order.cancel(now, f"考试已取消：{d['reason']}"[:200]):
            uow.track(order)
    release_for_application(uow, d["application_id"], "registration:application_cancelled")


def release(uow, refund_number: str, actor: str) -> None:
    """Finance: the exam was reconciled, this held refund may go."""
    if _get(uow, refund_number).release(clock.now()):
        uow.audit(actor, "refund.released", refund_number)
        uow.commit()


def retry(uow, refund_number: str, actor: str) -> None:
    refund = _get(uow, refund_number)
    refund.retry(clock.now())
    uow.audit(actor, "refund.retry", refund_number)
    uow.commit()


def reject(uow, refund_number: str, reason: str, actor: str) -> None:
    refund = _get(uow, refund_number)
    if refund.status == rules.PROCESSING:
        raise Conflict("退费正在处理中，不能取消", code="refund_state")
    refund.reject(clock.now(), reason or "财务决定不予退费")
    uow.audit(actor, "refund.rejected", refund_number, reason=reason)
    uow.commit()


def _get(uow, refund_number: str) -> Refund:
    refund = uow.session.query(Refund).filter_by(refund_number=refund_number).first()
    if refund is None:
        raise NotFound("没有找到该退费单", code="refund_not_found")
    return refund


def process_due(uow_factory, provider: PaymentProvider, limit: int = 20) -> int:
    """The refund job: send due refunds to the provider; the number that succeeded."""
    now = clock.now()
    with uow_factory() as uow:
        due = (uow.session.query(Refund.refund_number)
               .filter(Refund.status.in_((rules.REQUESTED, rules.FAILED, rules.PROCESSING)),
                       Refund.next_attempt_at.isnot(None), Refund.next_attempt_at <= now)
               .order_by(Refund.next_attempt_at).limit(limit).all())
    done = 0
    for (number,) in due:
        done += process_one(uow_factory, provider, number)
    return done


def process_one(uow_factory, provider: PaymentProvider, refund_number: str) -> bool:
    with uow_factory() as uow:  # lease it (the version check stops a second worker)
        refund = _get(uow, refund_number)
        if not refund.is_due(clock.now()):
            return False
        refund.submit(clock.now())
        request = RefundRequest(refund.refund_number, refund.order_number, refund.trade_no,
                                refund.amount_fen, refund.reason)
        try:
            uow.commit()
        except StaleDataError:
            return False
    try:
        result = provider.refund(request)
    except RefundRefused as exc:
        _record_failure(uow_factory, refund_number, f"{exc.code} {exc.message}", firm=True)
        return False
    except ProviderUnavailable as exc:
        _record_failure(uow_factory, refund_number, str(exc), firm=False)
        return False
    with uow_factory() as uow:
        refund = _get(uow, refund_number)
        if refund.status != rules.PROCESSING:
            return False
        refund.succeed(result.refunded_at)
        order = uow.session.query(Order).filter_by(order_number=refund.order_number).one()
        order.refund_succeeded(refund.trade_no, refund.amount_fen, refund.refund_number,
                               refund.reason, result.refunded_at)
        if refund.kind in model.REFUND_OUTCOMES and not _open_auto_refunds(uow, order, refund):
            order.refund_due = False
        uow.track(order)
        uow.emit("payment.refund.succeeded", {
            "refund_number": refund.refund_number, "order_number": order.order_number,
            "application_id": order.application_id, "candidate_id": order.candidate_id,
            "trade_no": refund.trade_no, "kind": refund.kind, "refunded_fen": refund.amount_fen,
            "reason": refund.reason, "refunded_at": result.refunded_at,
            "order_status": order.status}, order.application_id)
        uow.audit("provider:refund", "refund.succeeded", refund_number,
                  order=order.order_number, amount_fen=refund.amount_fen,
                  total_refunded_fen=result.total_refunded_fen)
        uow.commit()
    return True


def _open_auto_refunds(uow, order: Order, done: Refund) -> bool:
    return uow.session.query(Refund).filter(
        Refund.order_number == order.order_number, Refund.id != done.id,
        Refund.kind.in_(model.REFUND_OUTCOMES),
        Refund.status.notin_((rules.SUCCEEDED, rules.REJECTED))).first() is not None


def _record_failure(uow_factory, refund_number: str, error: str, firm: bool) -> None:
    log.warning("refund %s failed (%s): %s", refund_number, "refused" if firm else "retry", error)
    with uow_factory() as uow:
        refund = _get(uow, refund_number)
        if refund.status != rules.PROCESSING:
            return
        refund.fail(clock.now(), error)
        if firm:
            refund.next_attempt_at = None  # a firm no: finance decides
        uow.audit("provider:refund", "refund.failed", refund_number, error=error[:200],
                  firm=firm)
        uow.commit()


def list_refunds(uow, status: str | None = None, limit: int = 200) -> list[Refund]:
    q = uow.session.query(Refund)
    if status:
        q = q.filter(Refund.status == status)
    return q.order_by(Refund.created_at.desc()).limit(limit).all()


def refunds_of_order(uow, order_number: str) -> list[Refund]:
    return (uow.session.query(Refund).filter_by(order_number=order_number)
            .order_by(Refund.created_at).all())

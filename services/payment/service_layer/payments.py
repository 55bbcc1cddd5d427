"""Paying an order: the checkout, the provider's notifications, and active queries.

Whatever the source (notification, the candidate's "查询" button, the polling job), the same
``confirm`` applies the provider's word, so a payment is announced exactly once.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.common import clock
from services.common.errors import Invalid
from services.payment.adapters.orm import notifications_seen
from services.payment.domain import model
from services.payment.domain.model import Order
from services.payment.domain.provider import (
    Checkout,
    PaymentProvider,
    ProviderRefused,
    ProviderUnavailable,
    TradeStatus,
)
from services.payment.service_layer import orders, refunds, waivers

log = logging.getLogger(__name__)
POLL_AFTER = timedelta(minutes=1)
REPLAY_WINDOW = timedelta(hours=48)  # the provider retries for ~25 h; older news is a replay


def checkout(uow, provider: PaymentProvider, order_number: str, candidate_id: str,
             return_url: str, notify_url: str) -> str:
    order = orders.get_owned(uow, order_number, candidate_id)
    order.check_payable(clock.now())
    return provider.create_checkout(Checkout(
        order_number=order.order_number, amount_fen=order.amount_fen,
        subject=order.description, return_url=return_url, notify_url=notify_url,
        expires_at=order.expires_at))


def confirm(uow_factory, trade: TradeStatus, confirmed_by: str) -> Order | None:
    """Apply a verified paid trade to its order; None when there is no such order.

    Raises ``Invalid`` (amount/order mismatch) without touching the order. Money that must go
    back (seed 004: duplicate or late payment) gets a refund in the same transaction. A
    concurrent confirmation (version conflict) is retried once; the second pass sees it done.
    """
    for attempt in (1, 2):
        with uow_factory() as uow:
            order = uow.session.query(Order).filter_by(order_number=trade.order_number).first()
            if order is None:
                return None
            outcome = order.apply_payment(trade.payment(confirmed_by))
            uow.track(order)
            if outcome == model.PAID_NOW:
                waivers.close_paid(uow, order)
            if outcome != model.ALREADY_KNOWN:
                refunds.open_for_outcome(uow, order, trade.trade_no, outcome)
                uow.audit(f"provider:{confirmed_by}", "order.payment_confirmed",
                          order.order_number, trade_no=trade.trade_no, status=order.status,
                          outcome=outcome)
            try:
                uow.commit()
                return order
            except (StaleDataError, IntegrityError):
                if attempt == 2:
                    raise
    return None


def refuse(uow_factory, reason: str, form: dict) -> None:
    log.warning("payment notification refused (%s): out_trade_no=%s notify_id=%s", reason,
                form.get("out_trade_no"), form.get("notify_id"))
    with uow_factory() as uow:
        uow.audit("provider:notification", "notification.refused",
                  str(form.get("out_trade_no", ""))[:64], reason=reason,
                  notify_id=str(form.get("notify_id", ""))[:64])
        uow.commit()


def handle_notification(uow_factory, provider: PaymentProvider, form: dict) -> bool:
    """True when the notification is genuine and applied (answer "success"), else False."""
    try:
        trade = provider.verify_notification(form)
    except ProviderRefused as exc:
        refuse(uow_factory, exc.reason, form)
        return False
    if not trade.paid:
        return True  # e.g. WAIT_BUYER_PAY arriving late, TRADE_CLOSED: nothing to apply
    replay = _replay(uow_factory, trade, form)
    if replay is not None:
        return replay
    try:
        order = confirm(uow_factory, trade, "notification")
    except Invalid as exc:
        refuse(uow_factory, exc.code, form)
        return False
    if order is None:
        refuse(uow_factory, "unknown_order", form)
        return False
    _remember(uow_factory, trade, form)
    return True


def _digest(form: dict) -> str:
    return hashlib.sha256(str(form.get("sign", "")).encode()).hexdigest()


def _replay(uow_factory, trade: TradeStatus, form: dict) -> bool | None:
    """None for news; for a notify_id seen before, the answer without applying it again.

    The very same signed notification again (the provider's retry after our answer was lost,
    or its duplicate) is answered "success" so the provider stops; a known notify_id with other
    content, or a notification older than the replay window, is refused and logged.
    """
    notify_id = str(form.get("notify_id", ""))[:64]
    sent_at = form.get("notify_time")
    if sent_at:
        from services.payment.adapters.alipay import parse_beijing_time
        try:
            if parse_beijing_time(sent_at) < clock.now() - REPLAY_WINDOW:
                refuse(uow_factory, "stale_notification", form)
                return False
        except ValueError:
            refuse(uow_factory, "malformed", form)
            return False
    if not notify_id:
        return None
    with uow_factory() as uow:
        seen = uow.session.execute(select(notifications_seen).where(
            notifications_seen.c.notify_id == notify_id)).first()
        if seen is None:
            return None
        same = seen.sign_digest == _digest(form) and seen.trade_no == trade.trade_no
        uow.audit("provider:notification", "notification.replayed", seen.order_number,
                  notify_id=notify_id, same_content=same)
        uow.commit()
    if not same:
        refuse(uow_factory, "replayed_notify_id", form)
        return False
    return True


def _remember(uow_factory, trade: TradeStatus, form: dict) -> None:
    notify_id = str(form.get("notify_id", ""))[:64]
    if not notify_id:
        return
    with uow_factory() as uow:
        try:
            uow.session.execute(notifications_seen.insert().values(
                notify_id=notify_id, order_number=trade.order_number[:32],
                trade_no=trade.trade_no, sign_digest=_digest(form), received_at=clock.now()))
            uow.commit()
        except IntegrityError:
            uow.rollback()  # a concurrent copy got there first


def refresh(uow_factory, provider: PaymentProvider, order_number: str) -> bool:
    """Ask the provider about one order now; True when it became (or already was) paid.

    The provider is called outside any transaction; its answer is applied in a new one.
    """
    with uow_factory() as uow:
        order = uow.session.query(Order).filter_by(order_number=order_number).one()
        if order.status == model.PAID:
            return True
    trade = provider.query(order_number)
    if trade.order_number != order_number or not trade.paid:
        with uow_factory() as uow:
            fresh = uow.session.query(Order).filter_by(order_number=order_number).one()
            fresh.last_checked_at = clock.now()
            try:
                uow.commit()
            except StaleDataError:
                pass
        return False
    confirmed = confirm(uow_factory, trade, "query")
    return confirmed is not None and confirmed.status == model.PAID


def poll_pending(uow_factory, provider: PaymentProvider, limit: int = 50) -> int:
    """The periodic job: query pending orders older than a minute, oldest check first."""
    now = clock.now()
    with uow_factory() as uow:
        due = (uow.session.query(Order)
               .filter(Order.status == model.PENDING, Order.created_at <= now - POLL_AFTER)
               .filter((Order.last_checked_at.is_(None))
                       | (Order.last_checked_at <= now - POLL_AFTER))
               .order_by(Order.created_at).limit(limit).all())
        numbers = [o.order_number for o in due]
    return _ask_about(uow_factory, provider, numbers, "polling")


def _ask_about(uow_factory, provider: PaymentProvider, numbers: list[str], why: str) -> int:
    """Query the provider about each order (one failing answer does not stop the others);
    how many turned out paid."""
    paid = 0
    for number in numbers:
        try:
            paid += refresh(uow_factory, provider, number)
        except (ProviderUnavailable, Invalid) as exc:
            log.warning("%s order %s failed: %s", why, number, exc)
    return paid


def settle_overdue(uow_factory, provider: PaymentProvider, limit: int = 50) -> int:
    """Before overdue orders expire, ask the provider about each: money taken in an order's
    last minutes whose notification is late or lost then shows as paid, not as 已过期. A
    provider that cannot answer does not hold expiry up: an expired order still takes an
    in-time payment when the news comes (query, notification or the daily statement)."""
    now = clock.now()
    with uow_factory() as uow:
        numbers = [o.order_number for o in uow.session.query(Order).filter(
            Order.status == model.PENDING, Order.expires_at <= now)
            .order_by(Order.expires_at).limit(limit)]
    return _ask_about(uow_factory, provider, numbers, "asking about overdue")

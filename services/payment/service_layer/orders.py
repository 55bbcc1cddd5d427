"""Orders: opened from registration's payment requests, closed by payment, expiry or a newer request."""
from __future__ import annotations

import logging
import secrets

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from services.common import clock
from services.common.errors import Invalid, NotFound, PermanentFailure
from services.payment.adapters.orm import applications
from services.payment.domain import model
from services.payment.domain.model import Order
from services.payment.domain.money import order_amount

log = logging.getLogger(__name__)
REPLACED = "报名信息重新确认，已生成新订单"


def new_order_number(uow) -> str:
    while True:
        number = model.order_number(clock.now(), secrets.randbelow(10**12))
        if uow.session.query(Order).filter_by(order_number=number).first() is None:
            return number


def lock_application(uow, application_id: str, candidate_id: str):
    """Serialise everything about one application's orders: its row, locked FOR UPDATE.

    The row is created with ON CONFLICT DO NOTHING (no IntegrityError: the inbox would take one
    at commit for "already handled"); on PostgreSQL a second transaction waits here until the
    first commits and then sees its order. SQLite serialises writers by itself.
    """
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    uow.session.execute(insert(applications).values(
        application_id=application_id, candidate_id=candidate_id, updated_at=clock.now())
        .on_conflict_do_nothing(index_elements=["application_id"]))
    return uow.session.execute(select(applications).where(
        applications.c.application_id == application_id).with_for_update()).one()


def open_order(event, uow) -> None:
    """Handler of ``registration.payment.requested``: one open order per application."""
    d = event.data
    lock_application(uow, d["application_id"], d["candidate_id"])
    if uow.session.query(Order).filter_by(request_event_id=event.id).first() is not None:
        return  # the same request delivered again (the inbox normally stops it earlier)
    try:
        amount = order_amount(d["fee_per_subject_fen"], d["subject_count"])
    except Invalid as exc:
        raise PermanentFailure(f"payment request {event.id}: {exc.message}") from exc
    if amount != d["amount_fen"]:
        raise PermanentFailure(
            f"payment request {event.id}: amount_fen {d['amount_fen']} != "
            f"{d['fee_per_subject_fen']} x {d['subject_count']} = {amount}")
    existing = (uow.session.query(Order).filter_by(application_id=d["application_id"])
                .filter(Order.status.in_((model.PENDING, model.PAID))).all())
    if any(o.status == model.PAID for o in existing):
        log.warning("application %s is already paid; payment request %s ignored",
                    d["application_id"], event.id)
        return
    now = clock.now()
    from services.payment.service_layer import waivers  # sibling use case (no import cycle)
    waiver = waivers.approved_for(uow, d["application_id"])
    order = Order(number=new_order_number(uow), application_id=d["application_id"],
                  application_number=d["application_number"], candidate_id=d["candidate_id"],
                  province=d["province"], description=d["description"],
                  fee_per_subject_fen=d["fee_per_subject_fen"], subject_count=d["subject_count"],
                  amount_fen=amount if waiver is None else min(waiver.amount_fen, amount),
                  created_at=now, payment_deadline=d["payment_deadline"],
                  request_event_id=event.id)
    if waiver is not None:  # re-confirmed after a fee waiver: the waiver still holds
        order.waiver_id = waiver.id
        order.settle_waived(now, waiver.id)
    for old in existing:
        old.cancel(now, REPLACED, replaced_by=order.order_number)
        uow.track(old)
    uow.add(order)
    uow.session.execute(applications.update().where(
        applications.c.application_id == d["application_id"]).values(
        current_order_number=order.order_number, updated_at=now))


def expire_overdue(uow, limit: int = 200) -> int:
    now = clock.now()
    overdue = (uow.session.query(Order).filter(Order.status == model.PENDING,
                                               Order.expires_at <= now)
               .order_by(Order.expires_at).limit(limit).all())
    for order in overdue:
        if order.expire(now):
            uow.track(order)
    uow.commit()
    return len(overdue)


def get_owned(uow, order_number: str, candidate_id: str) -> Order:
    order = uow.session.query(Order).filter_by(order_number=order_number).first()
    if order is None or order.candidate_id != candidate_id:
        raise NotFound("没有找到该订单", code="order_not_found")
    return order


def current_for_application(uow, application_id: str, candidate_id: str) -> Order:
    """The newest order of the application (paid beats a later cancelled one)."""
    orders = (uow.session.query(Order).filter_by(application_id=application_id,
                                                 candidate_id=candidate_id)
              .order_by(Order.created_at.desc()).all())
    if not orders:
        raise NotFound("该报名尚未生成缴费订单", code="order_not_found")
    paid = [o for o in orders if o.status in (model.PAID, model.REFUNDED)]
    return paid[0] if paid else orders[0]


def list_for(uow, candidate_id: str) -> list[Order]:
    return (uow.session.query(Order).filter_by(candidate_id=candidate_id)
            .order_by(Order.created_at.desc()).limit(200).all())





def on_application_expired(event, uow) -> None:
    """Handler of ``registration.application.expired``: the application was not paid in time,
    so its open order can no longer be paid (seed 004), and money that still arrives for it
    goes back at once (there is no exam to wait for)."""
    from services.payment.service_layer.refunds import release_for_application
    d = event.data
    now = clock.now()
    lock_application(uow, d["application_id"], d["candidate_id"])
    for order in uow.session.query(Order).filter_by(application_id=d["application_id"],
                                                    status=model.PENDING):
        if order.application_expired(now, d["payment_deadline"]):  # loaded: a datetime
            uow.track(order)
    release_for_application(uow, d["application_id"], "registration:application_expired")

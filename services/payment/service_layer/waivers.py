"""Fee waivers: the candidate's request with proof, finance's decision, the reduced order."""
from __future__ import annotations

from services.common import clock
from services.common.errors import Conflict, NotFound
from services.payment.domain import model
from services.payment.domain.model import Order
from services.payment.domain.waivers import APPROVED, REQUESTED, Waiver
from services.payment.service_layer import orders

WAIVED = "费用减免已批准，已按减免后金额生成新订单"


def request(uow, application_id: str, candidate_id: str, reason: str, proof: bytes) -> Waiver:
    current = orders.current_for_application(uow, application_id, candidate_id)
    if current.status in (model.PAID, model.REFUNDED):
        raise Conflict("该报名已缴费，不能再申请减免", code="order_paid")
    if uow.session.query(Waiver).filter(Waiver.application_id == application_id,
                                        Waiver.status.in_((REQUESTED, APPROVED))).first():
        raise Conflict("该报名已有减免申请", code="waiver_exists")
    waiver = Waiver(application_id=application_id, candidate_id=candidate_id, reason=reason,
                    proof=proof, now=clock.now())
    uow.add(waiver)
    uow.audit(candidate_id, "waiver.requested", waiver.id, application_id=application_id,
              proof_type=waiver.proof_type, proof_bytes=len(proof))
    uow.commit()
    return waiver


def get(uow, waiver_id: str) -> Waiver:
    w = uow.session.get(Waiver, waiver_id)
    if w is None:
        raise NotFound("没有找到该减免申请", code="waiver_not_found")
    return w


def latest_for(uow, application_id: str, candidate_id: str) -> Waiver:
    w = (uow.session.query(Waiver).filter_by(application_id=application_id,
                                             candidate_id=candidate_id)
         .order_by(Waiver.created_at.desc()).first())
    if w is None:
        raise NotFound("没有减免申请", code="waiver_not_found")
    return w


def approved_for(uow, application_id: str) -> Waiver | None:
    return uow.session.query(Waiver).filter_by(application_id=application_id,
                                               status=APPROVED).first()


def reissue(uow, waiver: Waiver, base: Order, request_id: str) -> Order:
    """A new order for what is left to pay; settled at once when nothing is."""
    now = clock.now()
    order = Order(number=orders.new_order_number(uow), application_id=base.application_id,
                  application_number=base.application_number, candidate_id=base.candidate_id,
                  province=base.province, description=base.description + "（已减免）",
                  fee_per_subject_fen=base.fee_per_subject_fen, subject_count=base.subject_count,
                  amount_fen=waiver.amount_fen, created_at=now,
                  payment_deadline=base.payment_deadline, request_event_id=request_id)
    order.waiver_id = waiver.id
    order.settle_waived(now, waiver.id)
    uow.add(order)
    return order


def approve(uow, waiver_id: str, amount_fen: int, actor: str, note: str = "") -> Order:
    waiver = get(uow, waiver_id)
    orders.lock_application(uow, waiver.application_id, waiver.candidate_id)
    current = orders.current_for_application(uow, waiver.application_id, waiver.candidate_id)
    if current.status in (model.PAID, model.REFUNDED):
        raise Conflict("该报名已缴费，请改用退费", code="order_paid")
    full = current.fee_per_subject_fen * current.subject_count
    waiver.approve(amount_fen, full, actor, note, clock.now())
    order = reissue(uow, waiver, current, f"waiver:{waiver.id}")
    if current.cancel(clock.now(), WAIVED, replaced_by=order.order_number):
        uow.track(current)
    uow.audit(actor, "waiver.approved", waiver.id, amount_fen=amount_fen,
              order=order.order_number, replaced=current.order_number)
    uow.commit()
    return order


def close_paid(uow, order: Order) -> None:
    """An order paid in full through the provider closes the application's waiting request."""
    if order.waiver_id is not None:
        return  # paid what an approved waiver left to pay
    for waiver in uow.session.query(Waiver).filter_by(application_id=order.application_id,
                                                      status=REQUESTED):
        if waiver.close_paid(clock.now()):
            uow.audit("system", "waiver.closed_paid", waiver.id, order=order.order_number)


def reject(uow, waiver_id: str, actor: str, note: str) -> None:
    waiver = get(uow, waiver_id)
    waiver.reject(actor, note, clock.now())
    uow.audit(actor, "waiver.rejected", waiver.id, note=note[:200])
    uow.commit()


def listing(uow, status: str | None = None, limit: int = 200) -> list[Waiver]:
    q = uow.session.query(Waiver)
    if status:
        q = q.filter(Waiver.status == status)
    return q.order_by(Waiver.created_at.desc()).limit(limit).all()

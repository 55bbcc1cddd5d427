"""The message centre: other services' events become notices to the candidate."""
from __future__ import annotations

from services.common import clock
from services.identity.domain.messages import describe
from services.identity.domain.model import Notification

EVENT_TYPES = (
    "verification.education.verified",
    "verification.identity.verified",
    "registration.application.reviewed",
    "registration.admit_card.issued",
    "registration.scores.published",
    "payment.order.paid",
    "payment.order.refunded",
    "registration.application.cancelled",
    "certificates.certificate.issued",
)


def notify_candidate(event, uow) -> None:
    described = describe(event.type, event.data)
    candidate_id = event.data.get("candidate_id")
    if described is None or not candidate_id:
        return
    title, body, link = described
    uow.session.add(Notification(candidate_id=candidate_id, kind=event.type, title=title,
                                 body=body, link=link, event_id=event.id,
                                 created_at=clock.now()))


def list_for(uow, candidate_id: str, limit: int = 50) -> list[Notification]:
    return (uow.session.query(Notification).filter_by(candidate_id=candidate_id)
            .order_by(Notification.created_at.desc()).limit(limit).all())

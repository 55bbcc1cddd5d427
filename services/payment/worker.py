"""Payment's worker: the outbox relay, the event consumers and the timed jobs."""
from __future__ import annotations

from services.common.events.registry import load_catalog
from services.payment.service_layer import orders, payments, reconciliation, refunds

EXPIRE_EVERY_SECONDS = 30
POLL_EVERY_SECONDS = 60
REFUND_EVERY_SECONDS = 60
RECONCILE_EVERY_SECONDS = 30
# Registration's cancellation events (consumed when their contracts exist in the catalog).
REFUND_REQUESTED = "registration.refund.requested"
APPLICATION_CANCELLED = "registration.application.cancelled"


def expire_orders(runtime) -> int:
    payments.settle_overdue(runtime.uow, runtime.services["provider"])  # paid ones stay paid
    with runtime.uow() as uow:
        return orders.expire_overdue(uow)


def poll_provider(runtime) -> int:
    return payments.poll_pending(runtime.uow, runtime.services["provider"])


def process_refunds(runtime) -> int:
    return refunds.process_due(runtime.uow, runtime.services["provider"])


def reconcile(runtime) -> str | None:
    """Queue yesterday's run once its statement exists, then carry out one queued run."""
    reconciliation.fail_stale(runtime.engine)
    with runtime.uow() as uow:
        reconciliation.queue_daily(uow)
    return reconciliation.run_next(runtime, runtime.services["provider"])


def register(runtime) -> None:
    runtime.handler("open_order", "registration.payment.requested")(orders.open_order)
    runtime.handler("application_expired", "registration.application.expired")(
        orders.on_application_expired)
    runtime.handler("release_refunds", "registration.scores.published")(
        refunds.on_scores_published)
    published = {t for t, _ in load_catalog()}
    if REFUND_REQUESTED in published:
        runtime.handler("refund_requested", REFUND_REQUESTED)(refunds.on_refund_requested)
    if APPLICATION_CANCELLED in published:
        runtime.handler("application_cancelled", APPLICATION_CANCELLED)(
            refunds.on_application_cancelled)
    runtime.periodic("expire_orders", EXPIRE_EVERY_SECONDS)(expire_orders)
    runtime.periodic("poll_provider", POLL_EVERY_SECONDS)(poll_provider)
    runtime.periodic("process_refunds", REFUND_EVERY_SECONDS)(process_refunds)
    runtime.periodic("reconcile", RECONCILE_EVERY_SECONDS)(reconcile)


def main() -> None:
    from services.common.worker import run_forever
    from services.payment.bootstrap import bootstrap
    run_forever(bootstrap())


if __name__ == "__main__":
    main()

"""Registration's worker: the outbox relay and the consumers of others' facts."""
from __future__ import annotations

from services.registration.service_layer import (
    admit_cards,
    applications,
    expiry,
    projections,
    qualification,
)
from services.registration.service_layer.titles import handling as titles


def register(runtime) -> None:
    runtime.handler("candidate_projection", "identity.candidate.registered")(
        projections.candidate_registered)
    runtime.handler("education_projection", "verification.education.verified")(
        projections.education_verified)
    runtime.handler("photo_uploaded", "identity.photo.uploaded")(projections.photo_uploaded)
    runtime.handler("photo_locked", "identity.photo.locked")(projections.photo_locked)
    runtime.handler("order_paid", "payment.order.paid")(applications.on_order_paid)
    runtime.handler("order_refunded", "payment.order.refunded")(applications.on_order_refunded)
    runtime.handler("title_certificate_issued", "certificates.certificate.issued")(
        titles.on_certificate_issued)
    runtime.periodic("allocate_seats", 60)(admit_cards.allocate_due)
    runtime.periodic("end_notices", 300)(qualification.end_notices_job)
    runtime.periodic("expire_unpaid", 60)(expiry.expire_unpaid_job)


def main() -> None:
    from services.common.worker import run_forever
    from services.registration.bootstrap import bootstrap
    run_forever(bootstrap())


if __name__ == "__main__":
    main()

"""Identity's worker: the outbox relay and the message-centre consumer."""
from __future__ import annotations

from services.identity.service_layer import notifications, photos


def register(runtime) -> None:
    runtime.handler("notify_candidate", *notifications.EVENT_TYPES)(
        notifications.notify_candidate)
    runtime.handler("lock_reviewed_photo", "registration.application.reviewed")(
        photos.lock_on_approved_application)


def main() -> None:
    from services.common.worker import run_forever
    from services.identity.bootstrap import bootstrap
    run_forever(bootstrap())


if __name__ == "__main__":
    main()

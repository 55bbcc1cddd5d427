"""Identity's worker: the outbox relay, the message-centre consumer, photo locking and the
public-security check's outcome (it decides whether a name may be corrected)."""
from __future__ import annotations

from services.identity.service_layer import notifications, photos, profile


def register(runtime) -> None:
    runtime.handler("notify_candidate", *notifications.EVENT_TYPES)(
        notifications.notify_candidate)
    runtime.handler("lock_reviewed_photo", "registration.application.reviewed")(
        photos.lock_on_approved_application)
    runtime.handler("remember_identity_check", "verification.identity.verified")(
        profile.on_identity_verified)


def main() -> None:
    from services.common.worker import run_forever
    from services.identity.bootstrap import bootstrap
    run_forever(bootstrap())


if __name__ == "__main__":
    main()

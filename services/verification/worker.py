"""Verification's worker: the outbox relay, identity's events, and the retry of waiting checks."""
from __future__ import annotations

from services.verification.service_layer import checks, contexts, review

RETRY_EVERY_SECONDS = 5
ESCALATE_EVERY_SECONDS = 60


def register(runtime) -> None:
    registry = runtime.services["education_registry"]
    registries = checks.Registries(education=registry,
                                   degree=runtime.services["degree_registry"],
                                   identity=runtime.services["identity_registry"],
                                   documents=runtime.services.get("candidate_documents"))
    runtime.services["registries"] = registries
    config = runtime.services["review_config"]
    check, context = checks.on_identity_event(registries, config), contexts.on_context_event(config)

    @runtime.handler("check_education", *checks.IDENTITY_EVENTS)
    def check_education(event, uow) -> None:
        # The candidate's context is written in the same transaction before any item is filed,
        # so a review item can never be filed before the context that decides its queue.
        if event.type == "identity.candidate.registered":
            context(event, uow)
        check(event, uow)

    runtime.handler("candidate_context", "registration.application.submitted")(context)

    @runtime.periodic("retry_checks", RETRY_EVERY_SECONDS)
    def retry_checks(rt) -> dict:
        return checks.retry_due_checks(rt.uow, registries, config=config)

    @runtime.periodic("record_registry_calls", RETRY_EVERY_SECONDS)
    def record_registry_calls(rt) -> dict:
        return {"recorded": sum(r.flush() for r in (registries.education, registries.degree,
                                                     registries.identity))}

    @runtime.periodic("escalate_overdue_reviews", ESCALATE_EVERY_SECONDS)
    def escalate_overdue_reviews(rt) -> dict:
        return review.escalate_overdue(rt.uow)


def main() -> None:
    from services.common.worker import run_forever
    from services.verification.bootstrap import bootstrap
    run_forever(bootstrap())


if __name__ == "__main__":
    main()

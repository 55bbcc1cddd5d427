"""Certificates' worker: the outbox relay, the consumers that issue qualification and title
certificates, batch jobs, reporting title certificates to the national platform."""
from __future__ import annotations

from functools import partial

from services.certificates.service_layer import batches, documents, issuance, national


def register(runtime) -> None:
    base_url = runtime.settings.public_base_url.rstrip("/")
    runtime.handler("issue_certificate", issuance.QUALIFIED)(partial(
        issuance.on_candidate_qualified, keys=runtime.services["keys"], base_url=base_url))
    runtime.handler("issue_title_certificate", issuance.TITLE_DECIDED)(partial(
        issuance.on_title_decided, keys=runtime.services["keys"], base_url=base_url))
    runtime.handler("reprint_with_locked_photo", "identity.photo.locked")(
        documents.on_photo_locked)
    runtime.periodic("certificate_batches", 2.0)(
        lambda rt: batches.work(rt, rt.services["seals"], base_url))
    runtime.periodic("national_reports", 2.0)(
        lambda rt: national.work(rt, rt.services["national"]))


def main() -> None:
    from services.certificates.bootstrap import bootstrap
    from services.common.worker import run_forever
    run_forever(bootstrap())


if __name__ == "__main__":
    main()

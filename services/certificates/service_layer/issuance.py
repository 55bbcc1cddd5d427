"""Issuing certificates: one per qualification or approved title application, numbered, signed,
announced in one transaction."""
from __future__ import annotations

import dataclasses
import json
from datetime import date

from sqlalchemy import insert

from services.certificates.adapters.orm import certificate_versions, find_by_qualification, next_value
from services.certificates.domain import credential, numbers, proof
from services.certificates.domain.model import VALID, Certificate, Qualification, TitleAward
from services.certificates.service_layer import national
from services.common import clock
from services.common.errors import Invalid, PermanentFailure

QUALIFIED = "registration.candidate.qualified"
TITLE_DECIDED = "registration.title_application.decided"
_FIELDS = [f.name for f in dataclasses.fields(Qualification)]
_TITLE_FIELDS = [f.name for f in dataclasses.fields(TitleAward)]


def _sequence_name(q: Qualification | TitleAward) -> str:
    code = numbers.exam_part(q.exam_code)
    if q.number_prefix == numbers.PREFIX:  # the qualification series keeps its counter names
        return f"number:{q.sitting_year}:{code}"
    return f"number:{q.number_prefix}:{q.sitting_year}:{code}"


def issue(uow, keys, base_url: str, qualification: Qualification | TitleAward
          ) -> tuple[Certificate, bool]:
    """Issue the certificate of a qualification or a title award; (certificate, created).
    Idempotent: one certificate per source id."""
    existing = find_by_qualification(uow.session, qualification.qualification_id)
    if existing is not None:
        return existing, False
    q = qualification
    sequence = next_value(uow.session, _sequence_name(q))
    number = numbers.compose(q.sitting_year, q.exam_code, sequence, q.number_prefix)
    status_index = next_value(uow.session, "status_list_index") - 1
    cert = Certificate(number=number, qualification=q, status_index=status_index,
                       issued_at=clock.now())
    sign_current(uow, keys, base_url, cert)
    cert.issued(credential.verification_url(base_url, number))
    national.enqueue(uow, cert)  # a title certificate is reported to the national platform
    return cert, True


def sign_current(uow, keys, base_url: str, cert: Certificate) -> None:
    """Sign the certificate's current version and keep it in the version history."""
    kid, key = keys.active()
    signed = proof.sign(credential.build(cert, base_url), key, keys.verification_method(kid),
                        cert.issued_at)
    cert.attach_credential(json.dumps(signed, ensure_ascii=False, indent=2), kid)
    uow.add(cert)
    uow.session.flush()  # the version row refers to the certificate row
    uow.session.execute(insert(certificate_versions).values(
        number=cert.number, version=cert.version, holder_name=cert.holder_name,
        document_number_masked=cert.document_number_masked, status_index=cert.status_index,
        status=VALID, issued_at=cert.issued_at, kid=kid, credential=cert.credential))


def on_candidate_qualified(event, uow, *, keys, base_url: str) -> None:
    """Handler of ``registration.candidate.qualified`` (redeliveries and re-sends are no-ops)."""
    qualification = Qualification(**{name: event.data.get(name) for name in _FIELDS})
    try:
        issue(uow, keys, base_url, qualification)
    except Invalid as exc:  # the data itself is unusable: retrying cannot help, park it for ops
        raise PermanentFailure(f"{exc.code}: {exc.message}") from exc


def on_title_decided(event, uow, *, keys, base_url: str) -> None:
    """Handler of ``registration.title_application.decided``: an approved title gets its title
    certificate (once per application, whatever the redeliveries); a refusal issues nothing."""
    data = event.data
    if not data.get("approved"):
        return
    values = {name: data.get(name) for name in _TITLE_FIELDS}
    if isinstance(values["decided_on"], str):  # the contract loads a date; be lenient anyway
        values["decided_on"] = date.fromisoformat(values["decided_on"])
    try:
        issue(uow, keys, base_url, TitleAward(**values))
    except Invalid as exc:
        raise PermanentFailure(f"{exc.code}: {exc.message}") from exc

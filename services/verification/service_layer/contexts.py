"""What verification keeps about a candidate beyond their claims: for reviewers and for filing.

Identity's registration gives the name, the masked document number and birth date (shown to
reviewers); registration's application gives the province whose reviewers own the candidate's
review items. Both handlers upsert one row; events arriving late or twice are harmless (the
newest application wins by ``submitted_at``).
"""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from sqlalchemy import insert, update

from services.common import clock
from services.verification.adapters.orm import candidate_contexts as t
from services.verification.domain.review import ReviewConfig
from services.verification.service_layer import review
from services.verification.service_layer.review import context_of

CONTEXT_EVENTS = ("identity.candidate.registered", "registration.application.submitted")


QUEUE_FIELDS = ("application_province", "application_review_point", "document_type",
                "document_number_masked")


def _upsert(session, candidate_id: str, held, **values) -> SimpleNamespace:
    """Write the context (``held``: the row read in this transaction, or None); → the fields
    that decide the candidate's queue, as now written."""
    values["updated_at"] = clock.now()
    if held is None:
        session.execute(insert(t).values(candidate_id=candidate_id, **values))
    else:
        session.execute(update(t).where(t.c.candidate_id == candidate_id).values(**values))
    return SimpleNamespace(**{f: values[f] if f in values else getattr(held, f, None)
                              for f in QUEUE_FIELDS})


def _dt(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def on_context_event(config: ReviewConfig):
    def candidate_context(event, uow) -> None:
        d = event.data
        held = context_of(uow.session, d["candidate_id"])
        if event.type == "identity.candidate.registered":
            birth = d.get("birth_date")
            ctx = _upsert(uow.session, d["candidate_id"], held, name=d["name"],
                          document_type=d["document_type"],
                          document_number_masked=d["document_number_masked"],
                          birth_date=date.fromisoformat(birth) if isinstance(birth, str) else birth)
        else:
            at = _dt(d["submitted_at"])
            if held is not None and held.application_at is not None and at <= held.application_at:
                return  # an older application: the newer one decides the queue
            ctx = _upsert(uow.session, d["candidate_id"], held,
                          application_province=d["province"], application_exam=d["exam_code"],
                          application_at=at, application_review_point=d.get("review_point"))
        review.refile_candidate(uow, config, d["candidate_id"], ctx)
    return candidate_context

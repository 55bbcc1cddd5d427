"""How checks, review items and proofs are shown (API and dashboard share these)."""
from __future__ import annotations

from flask import Response

from services.verification.domain.model import KIND_LABELS, STATUS_LABELS, Check
from services.verification.domain.review import CAUSES, STATE_LABELS, ReviewItem
from services.verification.service_layer import checks, proofs, review

ITEM_FIELDS = ("id", "check_id", "candidate_id", "kind", "cause", "summary", "province",
               "review_point", "province_source", "status", "claimed_by", "claimed_at",
               "first_decision", "outcome", "reason_code", "reason", "decided_by", "decided_at",
               "proof_request", "deadline", "overdue", "escalated_at", "appointment", "created_at",
               "updated_at")
UPLOADABLE = frozenset({"failed", "manual_check", "on_site_check"})


def check_view(c: Check, item: ReviewItem | None = None, n_proofs: int = 0) -> dict:
    """A check as its candidate sees it, with where a manual review of it stands."""
    view = {"kind": c.kind, "kind_label": KIND_LABELS[c.kind], "status": c.status,
            "status_label": STATUS_LABELS[c.status], "reason": c.reason,
            "updated_at": c.updated_at, "review_status": None, "review_status_label": None,
            "review_deadline": None, "decision": None, "decision_reason": None,
            "decided_at": None, "proof_requested": False, "proof_request_reason": None,
            "can_upload_proof": c.status in UPLOADABLE, "proofs": n_proofs, "appointment": None}
    if item is not None and item.status != "cancelled":
        view.update(review_status=item.status, review_status_label=STATE_LABELS[item.status],
                    review_deadline=item.deadline if item.is_open else None,
                    proof_requested=item.status == "proof_requested",
                    proof_request_reason=item.proof_request
                    if item.status == "proof_requested" else None,
                    appointment=_public_appointment(item.appointment)
                    if item.status == "on_site_scheduled" else None)
        if item.status == "decided":
            view.update(decision=item.outcome, decision_reason=item.reason,
                        decided_at=item.decided_at)
    return view


def _public_appointment(a: dict | None) -> dict | None:
    """What the candidate needs of an appointment (not who booked it)."""
    if not a:
        return None
    return {k: a[k] for k in ("review_point", "place", "starts_at", "ends_at")}


def my_checks(uow, candidate_id: str) -> list[dict]:
    found = checks.checks_of(uow, candidate_id)
    latest = review.latest_items(uow, [c.id for c in found])
    counts: dict[str, int] = {}
    for p in proofs.of_candidate(uow.session, candidate_id):
        counts[p["kind"]] = counts.get(p["kind"], 0) + 1
    return [check_view(c, latest.get(c.id), counts.get(c.kind, 0)) for c in found]


def item_view(item: ReviewItem) -> dict:
    view = {k: getattr(item, k) for k in ITEM_FIELDS}
    view.update(kind_label=KIND_LABELS.get(item.kind, item.kind),
                cause_label=CAUSES[item.cause], status_label=STATE_LABELS[item.status])
    return view


def item_detail(uow, item: ReviewItem) -> dict:
    """Everything a reviewer needs: the claim, the registry's answer, the proofs, the trail."""
    check = uow.session.get(Check, item.check_id)
    ctx = review.context_of(uow.session, item.candidate_id)
    candidate = {"candidate_id": item.candidate_id,
                 "name": (ctx.name if ctx else None) or (check.subject_name if check else None),
                 "document_type": ctx.document_type if ctx else None,
                 "document_number_masked": ctx.document_number_masked if ctx else None,
                 "birth_date": ctx.birth_date.isoformat() if ctx and ctx.birth_date else None,
                 "application_province": ctx.application_province if ctx else None,
                 "application_exam": ctx.application_exam if ctx else None}
    check_data = {} if check is None else {
        "id": check.id, "kind": check.kind, "status": check.status,
        "status_label": STATUS_LABELS[check.status], "reason": check.reason,
        "reason_code": check.reason_code, "claim": check.claim,
        "registry_record": check.registry_record}
    return {**item_view(item), "candidate": candidate, "check": check_data,
            "proofs": proofs.of_candidate(uow.session, item.candidate_id),
            "trail": list(item.trail or [])}


def file_response(row: dict) -> Response:
    """A stored proof, shown inline but sandboxed: it can run nothing in our origin."""
    from urllib.parse import quote
    resp = Response(row["content"], mimetype=row["content_type"])
    resp.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(row['filename'])}"
    resp.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp

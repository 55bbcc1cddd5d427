"""API routes of proofs (candidates) and of the manual-review queue (reviewers)."""
from __future__ import annotations

from flask import request

from services.common.errors import DomainError, NotFound
from services.verification.domain.review import REASON_TEMPLATES, ReviewItem
from services.verification.service_layer import proofs, review
from services.verification.web import schemas
from services.verification.web.views import file_response, item_detail, item_view

REVIEW_ROLES = review.REVIEW_ROLES
READ_ROLES = (*REVIEW_ROLES, "auditor")


def install(api, runtime) -> None:
    config = runtime.services["review_config"]

    # -- candidates ------------------------------------------------------------------------
    @api.route("/me/proofs", ["POST"], response=schemas.ProofOut, roles=("candidate",),
               status=201)
    def upload_proof(principal):
        """Upload a proof (multipart ``file``, optional ``kind``: education | degree | identity).

        PDF or JPEG, at most 10 MB, recognised by content. It joins the open review item, or
        disputes a failed check (a reviewer looks again).
        """
        upload = request.files.get("file")
        if upload is None:
            raise DomainError("请选择要上传的证明材料文件（PDF 或 JPEG）", code="proof_missing",
                              status=422, field="file")
        content = upload.stream.read(10 * 1024 * 1024 + 1)
        with runtime.uow() as uow:
            return proofs.upload(uow, config, candidate_id=principal.sub,
                                 kind=request.form.get("kind") or "education",
                                 filename=upload.filename, content=content,
                                 actor=principal.username or principal.sub)

    @api.route("/me/proofs", response=schemas.ProofOut, roles=("candidate",))
    def my_proofs(principal):
        """The proofs I uploaded."""
        with runtime.uow() as uow:
            return proofs.of_candidate(uow.session, principal.sub)

    @api.route("/me/proofs/<proof_id>", roles=("candidate",))
    def my_proof_file(proof_id, principal):
        """One of my proofs, as uploaded."""
        with runtime.uow() as uow:
            row = proofs.content(uow.session, proof_id)
        if row["candidate_id"] != principal.sub:
            raise NotFound("没有找到该证明材料", code="proof_not_found")
        return file_response(row)

    # -- reviewers ---------------------------------------------------------------------------
    @api.route("/review/templates", response=schemas.TemplateOut, roles=READ_ROLES)
    def reason_templates():
        """The reason templates a decision or a proof request picks from."""
        return [vars(t) for t in REASON_TEMPLATES.values()]

    @api.route("/review/items", query=schemas.QueueQuery, response=schemas.ReviewItemOut,
               roles=READ_ROLES)
    def review_queue(args, principal):
        """Items in my scope: waiting, claimed, overdue, proof_requested, decided, cancelled."""
        with runtime.uow() as uow:
            return [item_view(i) for i in review.queue(uow, principal, args["view"],
                                                       args["limit"])]

    @api.route("/review/counts", response=schemas.QueueCountsOut, roles=READ_ROLES)
    def review_counts(principal):
        """How many items of my scope are in each view."""
        with runtime.uow() as uow:
            return review.queue_counts(uow, principal)

    @api.route("/review/items/<item_id>", response=schemas.ReviewItemDetailOut, roles=READ_ROLES)
    def review_item(item_id, principal):
        """One item with the candidate's data, the registry's answer, proofs and audit trail."""
        with runtime.uow() as uow:
            return item_detail(uow, review.get_item(uow, principal, item_id))

    def act(item_id, principal, fn, **kw) -> dict:
        with runtime.uow() as uow:
            item: ReviewItem = fn(uow, principal, item_id, **kw)
            return item_detail(uow, item)

    @api.route("/review/items/<item_id>/claim", ["POST"], response=schemas.ReviewItemDetailOut,
               roles=REVIEW_ROLES)
    def claim_item(item_id, principal):
        """Claim an item (409 ``already_claimed`` when another reviewer holds it)."""
        return act(item_id, principal, review.claim)

    @api.route("/review/items/<item_id>/release", ["POST"],
               response=schemas.ReviewItemDetailOut, roles=REVIEW_ROLES)
    def release_item(item_id, principal):
        """Give a claimed item back to the queue."""
        return act(item_id, principal, review.release)

    @api.route("/review/items/<item_id>/decision", ["POST"], body=schemas.DecisionIn,
               response=schemas.ReviewItemDetailOut, roles=REVIEW_ROLES)
    def decide_item(item_id, data, principal):
        """Decide a claimed item: passed / failed with a reason template and a note.

        409 ``already_decided`` with ``current`` (the item as it stands) when it is decided.
        """
        def fn(uow, p, i):
            return review.decide(uow, config, p, i, **data)
        return act(item_id, principal, fn)

    @api.route("/review/items/<item_id>/on-site", ["POST"], body=schemas.OnSiteIn,
               response=schemas.ReviewItemDetailOut, roles=REVIEW_ROLES)
    def schedule_on_site(item_id, data, principal):
        """Book an on-site check (review point, place, time slot with a time zone).

        The candidate's check becomes ``on_site_check`` (announced); the outcome is decided on
        this item after the visit.
        """
        def fn(uow, p, i):
            return review.schedule_on_site(uow, config, p, i, **data)
        return act(item_id, principal, fn)

    @api.route("/review/on-site/slots", query=schemas.SlotQuery, response=schemas.SlotOut,
               roles=READ_ROLES)
    def slot_usage(args):
        """Upcoming on-site slots with their seats (capacity per slot: ``onsite_slot_capacity``)."""
        with runtime.uow() as uow:
            return review.slot_usage(uow, args["review_point"])

    @api.route("/review/items/<item_id>/proof-request", ["POST"], body=schemas.ProofRequestIn,
               response=schemas.ReviewItemDetailOut, roles=REVIEW_ROLES)
    def request_proof(item_id, data, principal):
        """Ask the candidate for more proof; the item waits for the upload."""
        return act(item_id, principal, review.request_proof, **data)

    @api.route("/review/proofs/<proof_id>", roles=READ_ROLES)
    def review_proof_file(proof_id, principal):
        """A proof of a candidate whose item is in my scope; every view is audited
        (``proof.viewed``)."""
        with runtime.uow() as uow:
            row = proofs.for_reviewer(uow, principal, proof_id)
        return file_response(row)

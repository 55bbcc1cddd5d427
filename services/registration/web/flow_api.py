"""API of the seed-002 steps, the reviewers' queue, seat drawing and cancelling."""
from __future__ import annotations

from flask import Response, request

from services.common.web.api import Api
from services.registration.service_layer import (
    admit_cards,
    applications,
    cancellations,
    catalog,
    flow,
    reviews,
)
from services.registration.web import schemas
from services.registration.web.common import CANDIDATE, EXAM_ADMIN, REVIEWERS, bearer, idempotency_key


def register_flow(api: Api, runtime, base_url: str) -> None:
    """The seed-002 steps, seat drawing and the reviewers' API."""
    def verification():
        return runtime.services["verification"]

    @api.route("/sittings/<sitting_id>/commitment", response=schemas.CommitmentOut, roles=CANDIDATE)
    def commitment(sitting_id, principal):
        """Commitment notice, letter and exam notice, with my choice for this sitting (if any)."""
        with runtime.uow() as uow:
            return flow.commitment(uow.session, principal.sub, sitting_id)

    @api.route("/sittings/<sitting_id>/commitment", ["POST"], body=schemas.CommitmentIn,
               response=schemas.CommitmentOut, roles=CANDIDATE)
    def choose_commitment(sitting_id, data, principal):
        """Choose commitment mode or not; declining is final for the sitting (seed 004)."""
        from sqlalchemy.exc import IntegrityError
        with runtime.uow() as uow:
            try:
                out = flow.choose(uow, candidate_id=principal.sub, sitting_id=sitting_id,
                                  commit=data["commit"], verification=verification(),
                                  token=bearer())
                uow.commit()
            except IntegrityError:  # a double click: the twin recorded the choice first
                uow.rollback()
                out = flow.commitment(uow.session, principal.sub, sitting_id)
            return out

    @api.route("/applications/drafts", ["POST"], body=schemas.DraftIn,
               response=schemas.ApplicationFullOut, roles=CANDIDATE, status=201)
    def save_draft(data, principal):
        """Save the form: the application number is given; confirm later (Idempotency-Key ok)."""
        with runtime.uow() as uow:
            application = flow.save_draft(uow, candidate_id=principal.sub, data=data,
                                          verification=verification(), token=bearer(),
                                          idempotency_key=idempotency_key())
            return applications.view(uow.session, application), 201

    @api.route("/applications/<application_id>", ["PUT"], body=schemas.FormIn,
               response=schemas.ApplicationFullOut, roles=CANDIDATE)
    def modify(application_id, data, principal):
        """Modify the form until paid; a submitted application goes back to draft."""
        with runtime.uow() as uow:
            application = flow.modify(uow, application_id=application_id,
                                      candidate_id=principal.sub, data=data,
                                      verification=verification(), token=bearer())
            return applications.view(uow.session, application)

    @api.route("/applications/<application_id>/commitment-letter", ["POST"],
               body=schemas.LetterIn, response=schemas.ApplicationFullOut, roles=CANDIDATE)
    def sign_letter(application_id, data, principal):
        """Sign the commitment letter (commitment mode only)."""
        with runtime.uow() as uow:
            return applications.view(uow.session,
                                     flow.sign_letter(uow, application_id, principal.sub))

    @api.route("/applications/<application_id>/proofs", response=schemas.ProofItemOut,
               roles=CANDIDATE)
    def list_proofs(application_id, principal):
        """The proofs uploaded for my application."""
        with runtime.uow() as uow:
            applications.owned(uow, application_id, principal.sub)
            return flow.proofs(uow.session, application_id)

    @api.route("/applications/<application_id>/proofs", ["POST"], response=schemas.ProofItemOut,
               roles=CANDIDATE, status=201)
    def upload_proof(application_id, principal):
        """Upload a proof (multipart ``file`` + ``kind``): PDF or JPEG by content, ≤ 10 MB."""
        upload = request.files.get("file")
        content = upload.read(10 * 1024 * 1024 + 1) if upload is not None else b""
        with runtime.uow() as uow:
            return flow.add_proof(uow, application_id, principal.sub,
                                  kind=request.form.get("kind", "other"),
                                  filename=upload.filename if upload is not None else "",
                                  content=content), 201

    @api.route("/applications/<application_id>/proofs/<proof_id>", ["DELETE"], roles=CANDIDATE)
    def delete_proof(application_id, proof_id, principal):
        """Remove a proof while the application is a draft."""
        with runtime.uow() as uow:
            flow.delete_proof(uow, application_id, principal.sub, proof_id)
        return Response(status=204)

    @api.route("/applications/<application_id>/confirm", ["POST"],
               response=schemas.ApplicationFullOut, roles=CANDIDATE)
    def confirm(application_id, principal):
        """Confirm the saved form; qualification review starts (warnings say what to check)."""
        with runtime.uow() as uow:
            application = flow.confirm(uow, application_id, principal.sub,
                                       verification=verification(),
                                       photos=runtime.services["photos"], token=bearer())
            return applications.view(uow.session, application)

    @api.route("/applications/<application_id>/form.pdf", roles=CANDIDATE)
    def form_pdf(application_id, principal):
        """The application form as an A4 PDF (CJK fonts, the locked photo, QR)."""
        with runtime.uow() as uow:
            application = applications.owned(uow, application_id, principal.sub)
            form = flow.form_sheet(uow.session, application, base_url)
            number = application.application_number
        pdf = flow.form_document(form, principal.sub, runtime.services["holder_photos"])
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="application-{number}.pdf"',
            "Cache-Control": "private, no-store"})

    # -- reviewers -------------------------------------------------------------------------------
    @api.route("/reviews", response=schemas.ReviewItemOut, roles=REVIEWERS)
    def review_queue(principal):
        """Applications waiting for review in my scope (province / review point), oldest first."""
        with runtime.uow() as uow:
            scope = None if principal.has_any("exam_admin") else principal.scope
            return [r._asdict() for r in reviews.queue(uow.session, scope,
                                                       request.args.get("sitting_id"))]

    @api.route("/applications/<application_id>/decision", ["POST"], body=schemas.DecisionIn,
               response=schemas.ApplicationFullOut, roles=REVIEWERS)
    def decide(application_id, data, principal):
        """Approve, or return with a reason (online / on-site review)."""
        with runtime.uow() as uow:
            scope = None if principal.has_any("exam_admin") else principal.scope
            application = reviews.decide(uow, application_id, scope=scope,
                                         outcome=data["outcome"], reason=data["reason"],
                                         actor=principal.username or principal.sub)
            return applications.view(uow.session, application)

    # -- seats -----------------------------------------------------------------------------------
    @api.route("/sittings/<sitting_id>/seats/allocate", ["POST"], body=schemas.AllocateIn,
               response=schemas.DrawOut, roles=EXAM_ADMIN)
    def allocate(sitting_id, data, principal):
        """Draw a province's seats now (the periodic job does it when the payment window closes)."""
        with runtime.uow() as uow:
            return admit_cards.allocate(uow, sitting_id, data["province"], seed=data["seed"],
                                        actor=principal.username or principal.sub)

    @api.route("/sittings/<sitting_id>/positions", response=schemas.PositionOut, roles=EXAM_ADMIN)
    def positions(sitting_id):
        """Live applications per province, level and specialty (to spot too few applicants)."""
        with runtime.uow() as uow:
            catalog.sitting(uow.session, sitting_id)
            return cancellations.positions(uow.session, sitting_id)

    @api.route("/sittings/<sitting_id>/cancel", ["POST"], body=schemas.CancelIn,
               response=schemas.CancelOut, roles=EXAM_ADMIN)
    def cancel(sitting_id, data, principal):
        """Cancel a sitting or a position: applicants are told, paid ones are refunded (events)."""
        with runtime.uow() as uow:
            return cancellations.cancel(uow, sitting_id, actor=principal.username or principal.sub,
                                        **data)

"""Registration's web layer: thin routes over the service layer."""
from __future__ import annotations

from pathlib import Path

from flask import Response, request

from services.common import clock
from services.common.web.api import Api
from services.common.web.app import create_service_app
from services.registration.service_layer import admit_cards, applications, catalog, scores
from services.registration.web import schemas
from services.registration.web.after_exam_api import register_scores
from services.registration.web.catalog_api import register_catalog, register_places
from services.registration.web.common import (  # noqa: F401 (bearer, uploaded_csv: used by ops)
    CANDIDATE,
    EXAM_ADMIN,
    bearer,
    idempotency_key,
    uploaded_csv,
)
from services.registration.web.flow_api import register_flow
from services.registration.web.ops import ops_blueprint
from services.registration.web.titles_api import register_titles


def create_app(runtime=None, verifier=None):
    if runtime is None:
        from services.registration.bootstrap import bootstrap
        runtime = bootstrap()
    base_url = runtime.settings.public_base_url
    api = Api("registration", "Registration",
              "Exam catalog, applications, qualification review, admit cards and scores.")

    @api.route("/exams", response=schemas.OpenSittingOut, roles=None)
    def open_exams():
        """Sittings whose application window is open (public: the landing page lists them)."""
        with runtime.uow() as uow:
            return catalog.open_sittings(uow.session, clock.now())

    @api.route("/sittings/<sitting_id>", response=schemas.SittingOut, roles=CANDIDATE)
    def sitting(sitting_id):
        """A sitting's levels, specialties, subjects, fees, cities and windows."""
        with runtime.uow() as uow:
            return catalog.sitting_detail(uow.session, sitting_id)

    @api.route("/applications", ["POST"], body=schemas.ApplyIn, response=schemas.ApplicationFullOut,
               roles=CANDIDATE, status=201)
    def apply(data, principal):
        """Apply for a sitting (Idempotency-Key header honoured); review runs at once."""
        key = (request.headers.get("Idempotency-Key") or "").strip()[:100] or None
        with runtime.uow() as uow:
            application = applications.apply(uow, candidate_id=principal.sub,
                                              idempotency_key=key, **data)
            return applications.view(uow.session, application), 201

    @api.route("/me/applications", response=schemas.ApplicationFullOut, roles=CANDIDATE)
    def my_applications(principal):
        """My applications, newest first, each with its state and next step."""
        with runtime.uow() as uow:
            return [applications.view(uow.session, a) for a in applications.mine(uow, principal.sub)]

    @api.route("/applications/<application_id>", response=schemas.ApplicationFullOut, roles=CANDIDATE)
    def application(application_id, principal):
        """One of my applications."""
        with runtime.uow() as uow:
            return applications.view(uow.session,
                                     applications.owned(uow, application_id, principal.sub))

    @api.route("/applications/<application_id>/withdraw", ["POST"],
               response=schemas.ApplicationFullOut, roles=CANDIDATE)
    def withdraw(application_id, principal):
        """Withdraw an application before payment."""
        with runtime.uow() as uow:
            application = applications.withdraw(uow, application_id, principal.sub)
            return applications.view(uow.session, application)

    @api.route("/applications/<application_id>/admit-card.pdf", roles=CANDIDATE)
    def admit_card_pdf(application_id, principal):
        """The admit card as an A4 PDF with the candidate's locked photo, once issued."""
        with runtime.uow() as uow:
            application = applications.owned(uow, application_id, principal.sub)
            card = admit_cards.sheet(uow.session, application, base_url)
            number = application.application_number
        pdf = admit_cards.document(card, principal.sub, runtime.services["holder_photos"])
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="admit-card-{number}.pdf"',
            "Cache-Control": "private, no-store"})

    @api.route("/admit-cards/<number>", response=schemas.AdmitCardCheckOut, roles=None)
    def check_admit_card(number):
        """Public check behind the QR code on an admit card (name masked)."""
        with runtime.uow() as uow:
            return admit_cards.verify(uow.session, number)

    @api.route("/sittings/<sitting_id>/scores/import", ["POST"], response=schemas.ImportReportOut,
               roles=EXAM_ADMIN)
    def import_scores(sitting_id, principal):
        """Import scores from CSV (admit_card_number,subject_code,score); all rows or none."""
        text = uploaded_csv()
        with runtime.uow() as uow:
            return scores.import_csv(uow, sitting_id, text, principal.username or principal.sub)

    @api.route("/sittings/<sitting_id>/scores/publish", ["POST"],
               response=schemas.PublishReportOut, roles=EXAM_ADMIN)
    def publish_scores(sitting_id, principal):
        """Publish imported scores; candidates passing every subject are qualified."""
        with runtime.uow() as uow:
            return scores.publish(uow, sitting_id, principal.username or principal.sub)

    register_flow(api, runtime, base_url)
    register_scores(api, runtime)
    register_catalog(api, runtime)
    register_places(api, runtime)
    register_titles(api, runtime, base_url)
    return create_service_app(runtime, api, ops=ops_blueprint(runtime), verifier=verifier,
                              template_dir=Path(__file__).parent / "templates")

"""API of catalog editing by the exam admin."""
from __future__ import annotations

from services.common.web.api import Api
from services.registration.web import schemas
from services.registration.web.common import EXAM_ADMIN


def register_catalog(api: Api, runtime) -> None:
    """Catalog editing by the exam admin (the dashboard has forms for windows and fees)."""
    from services.registration.service_layer import catalog_admin

    @api.route("/exams/<exam_code>/settings", ["PUT"], body=schemas.SettingsIn,
               response=schemas.SettingsOut, roles=EXAM_ADMIN)
    def exam_settings(exam_code, data, principal):
        """How an exam is run: review mode, commitment, admit cards, rolling years, notice."""
        with runtime.uow() as uow:
            return catalog_admin.update_settings(uow, exam_code, data,
                                                 principal.username or principal.sub)

    @api.route("/sittings/<sitting_id>/windows/<province>/<kind>", ["PUT"], body=schemas.WindowIn,
               response=schemas.WindowSetOut, roles=EXAM_ADMIN)
    def set_window(sitting_id, province, kind, data, principal):
        """Set a province's window (application, payment, admit_card, scores)."""
        with runtime.uow() as uow:
            return catalog_admin.set_window(uow, sitting_id, province, kind, data["start"],
                                            data["end"], principal.username or principal.sub)

    @api.route("/sittings/<sitting_id>/fees/<province>", ["PUT"], body=schemas.FeeIn,
               response=schemas.FeeOut, roles=EXAM_ADMIN)
    def set_fee(sitting_id, province, data, principal):
        """Set the fee per subject (fen) in a province."""
        with runtime.uow() as uow:
            return catalog_admin.set_fee(uow, sitting_id, province, data["fee_per_subject_fen"],
                                         principal.username or principal.sub)

    @api.route("/sittings/<sitting_id>/copy", ["POST"], body=schemas.CopyIn,
               response=schemas.SittingRefOut, roles=EXAM_ADMIN, status=201)
    def copy_sitting(sitting_id, data, principal):
        """Create another year's sitting from this one (windows shifted to the new exam date)."""
        with runtime.uow() as uow:
            return {"sitting_id": catalog_admin.copy_sitting(
                uow, sitting_id, year=data["year"], exam_date=data["exam_date"],
                actor=principal.username or principal.sub)}, 201



def register_places(api: Api, runtime) -> None:
    """Catalog structure: review points, exam sites and rooms, levels and subjects (upserts)."""
    from services.registration.service_layer import catalog_admin

    def actor(principal) -> str:
        return principal.username or principal.sub

    @api.route("/review-points/<code>", ["PUT"], body=schemas.PlaceIn,
               response=schemas.PlaceOut, roles=EXAM_ADMIN)
    def put_review_point(code, data, principal):
        """Create or change a review point (审核点) of a city."""
        with runtime.uow() as uow:
            return catalog_admin.put_review_point(uow, code, data, actor(principal))

    @api.route("/exam-sites/<code>", ["PUT"], body=schemas.PlaceIn, response=schemas.PlaceOut,
               roles=EXAM_ADMIN)
    def put_site(code, data, principal):
        """Create or change an exam site (考点) of a city."""
        with runtime.uow() as uow:
            return catalog_admin.put_site(uow, code, data, actor(principal))

    @api.route("/exam-sites/<code>/rooms/<int:number>", ["PUT"], body=schemas.RoomIn,
               response=schemas.RoomOut, roles=EXAM_ADMIN)
    def put_room(code, number, data, principal):
        """Create or change a room (考场, number unique in the city) and its capacity."""
        with runtime.uow() as uow:
            return catalog_admin.put_room(uow, code, number, data, actor(principal))

    @api.route("/sittings/<sitting_id>/levels/<code>", ["PUT"], body=schemas.LevelIn,
               response=schemas.LevelPutOut, roles=EXAM_ADMIN)
    def put_level(sitting_id, code, data, principal):
        """Create or change a level (报考级别) and add its specialties."""
        with runtime.uow() as uow:
            return catalog_admin.put_level(uow, sitting_id, code, data, actor(principal))

    @api.route("/sittings/<sitting_id>/subjects/<code>", ["PUT"], body=schemas.SubjectIn,
               response=schemas.SubjectPutOut, roles=EXAM_ADMIN)
    def put_subject(sitting_id, code, data, principal):
        """Create or change a subject: level, name, marks, session time, exemptable."""
        with runtime.uow() as uow:
            return catalog_admin.put_subject(uow, sitting_id, code, data, actor(principal))

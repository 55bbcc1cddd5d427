"""API after the exam: returning candidates, pass marks, score reviews, post-exam check,
public notice."""
from __future__ import annotations

from flask import request

from services.common.web.api import Api
from services.registration.service_layer import (
    applications,
    catalog,
    qualification,
    score_reviews,
)
from services.registration.web import schemas
from services.registration.web.common import CANDIDATE, EXAM_ADMIN, REVIEWERS, bearer


def register_scores(api: Api, runtime) -> None:
    """Returning candidates, pass marks, score reviews, post-exam check and public notice."""
    def actor(principal) -> str:
        return principal.username or principal.sub

    @api.route("/sittings/<sitting_id>/me", response=schemas.ArchiveOut, roles=CANDIDATE)
    def my_archive(sitting_id, principal):
        """My archive number and the subjects carried over within the rolling period."""
        from services.registration.service_layer import archive
        with runtime.uow() as uow:
            return archive.me(uow.session, principal.sub, catalog.sitting(uow.session, sitting_id))

    @api.route("/sittings/<sitting_id>/subjects/<subject_code>/pass-mark", ["PUT"],
               body=schemas.PassMarkIn, response=schemas.PassMarkOut, roles=EXAM_ADMIN)
    def pass_mark(sitting_id, subject_code, data, principal):
        """Set a subject's pass mark (before its scores are published)."""
        with runtime.uow() as uow:
            return score_reviews.set_pass_mark(uow, sitting_id, subject_code, data["pass_mark"],
                                               actor(principal))

    @api.route("/applications/<application_id>/score-reviews", response=schemas.ScoreReviewOut,
               roles=CANDIDATE)
    def my_score_reviews(application_id, principal):
        """My score review requests and their answers."""
        with runtime.uow() as uow:
            return score_reviews.mine(uow.session,
                                      applications.owned(uow, application_id, principal.sub))

    @api.route("/applications/<application_id>/score-reviews", ["POST"],
               body=schemas.ScoreReviewIn, response=schemas.ScoreReviewOut, roles=CANDIDATE,
               status=201)
    def request_score_review(application_id, data, principal):
        """Ask for a score review within 30 days of publication (one per subject)."""
        with runtime.uow() as uow:
            application = applications.owned(uow, application_id, principal.sub)
            return score_reviews.request(uow, application, data["subject_code"],
                                         data["reason"]), 201

    @api.route("/score-reviews", response=schemas.ScoreReviewOut, roles=EXAM_ADMIN)
    def all_score_reviews():
        """Score review requests (oldest first), optionally ``?sitting_id=``."""
        with runtime.uow() as uow:
            return score_reviews.pending(uow.session, request.args.get("sitting_id"))

    @api.route("/score-reviews/<review_id>/answer", ["POST"], body=schemas.ScoreReviewAnswerIn,
               response=schemas.StatusOut, roles=EXAM_ADMIN)
    def answer_score_review(review_id, data, principal):
        """Answer a score review: unchanged, or corrected with the new score."""
        with runtime.uow() as uow:
            return score_reviews.answer(uow, review_id, corrected=data["outcome"] == "corrected",
                                        new_score=data["new_score"], answer=data["answer"],
                                        actor=actor(principal))

    @api.route("/sittings/<sitting_id>/post-exam-checks", response=schemas.WaitingOut,
               roles=REVIEWERS)
    def post_exam_checks(sitting_id):
        """Candidates waiting for the post-exam check."""
        with runtime.uow() as uow:
            catalog.sitting(uow.session, sitting_id)
            return [r._asdict() for r in qualification.waiting(uow.session, sitting_id,
                                                                qualification.POST_EXAM_CHECK)]

    @api.route("/sittings/<sitting_id>/post-exam-checks/run", ["POST"],
               response=schemas.CheckRunOut, roles=REVIEWERS)
    def run_post_exam_checks(sitting_id, principal):
        """Re-check commitment-mode candidates with verification (integrity list, education)."""
        with runtime.uow() as uow:
            return qualification.run_checks(uow, sitting_id,
                                            verification=runtime.services["verification"],
                                            token=bearer(), actor=actor(principal))

    @api.route("/applications/<application_id>/post-exam-check", ["POST"],
               body=schemas.CheckDecisionIn, response=schemas.StatusOut, roles=REVIEWERS)
    def decide_post_exam_check(application_id, data, principal):
        """Decide a flagged post-exam check by hand."""
        with runtime.uow() as uow:
            qualification.decide_check(uow, application_id, passed=data["outcome"] == "pass",
                                       note=data["note"], actor=actor(principal))
            return {"id": application_id, "status": data["outcome"]}

    @api.route("/applications/<application_id>/objections", ["POST"], body=schemas.ObjectionIn,
               response=schemas.StatusOut, roles=EXAM_ADMIN, status=201)
    def record_objection(application_id, data, principal):
        """Record an objection received during the public notice."""
        with runtime.uow() as uow:
            return qualification.record_objection(uow, application_id, data["content"],
                                                  actor(principal)), 201

    @api.route("/objections/<objection_id>/decision", ["POST"], body=schemas.ObjectionDecisionIn,
               response=schemas.StatusOut, roles=EXAM_ADMIN)
    def decide_objection(objection_id, data, principal):
        """Decide an objection: upheld (no qualification) or dismissed."""
        with runtime.uow() as uow:
            qualification.decide_objection(uow, objection_id, upheld=data["outcome"] == "upheld",
                                           decision=data["decision"], actor=actor(principal))
            return {"id": objection_id, "status": data["outcome"]}

    @api.route("/sittings/<sitting_id>/notice/end", ["POST"], response=schemas.CountOut,
               roles=EXAM_ADMIN)
    def end_notice(sitting_id, principal):
        """End the sitting's public notice now; those without pending objections qualify."""
        with runtime.uow() as uow:
            return {"qualified": qualification.end_notice_now(uow, sitting_id, actor(principal))}

    @api.route("/sittings/<sitting_id>/public-notice", response=schemas.NoticeEntryOut, roles=None)
    def public_notice(sitting_id):
        """The public notice (公示) of those who passed: masked names only."""
        with runtime.uow() as uow:
            catalog.sitting(uow.session, sitting_id)
            return qualification.public_list(uow.session, sitting_id)

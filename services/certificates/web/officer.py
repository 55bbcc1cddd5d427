"""Certificate officers' API: revocations (two officers), corrections, mailing, batches."""
from __future__ import annotations

from flask import Response

from services.certificates.service_layer import (
    batches,
    corrections,
    mailing,
    national,
    revocation,
)
from services.certificates.web import schemas
from services.certificates.web.holder import _file
from services.common.errors import NotFound

OFFICER = ("certificate_officer",)
READERS = ("certificate_officer", "auditor")


def register_officer_routes(api, runtime, base_url: str) -> None:
    keys, cipher = runtime.services["keys"], runtime.services["pii"]

    @api.route("/<number>/revocations", methods=("POST",), body=schemas.RevocationIn,
               response=schemas.RevocationOut, roles=OFFICER, status=201)
    def request_revocation(number, data, principal):
        """First officer: ask to revoke, with a reason. A second officer must approve."""
        with runtime.uow() as uow:
            rid = revocation.request(uow, number, data["reason_code"], data["reason"], principal)
            uow.commit()
            return _one(revocation.listing(uow, None, rid=rid), rid)

    @api.route("/revocations", query=schemas.StatusQuery, response=schemas.RevocationOut,
               roles=READERS)
    def list_revocations(args):
        """Revocation requests (default: awaiting a second officer)."""
        with runtime.uow() as uow:
            return revocation.listing(uow, args.get("status", "pending"))

    @api.route("/revocations/<rid>/approve", methods=("POST",), response=schemas.RevocationOut,
               roles=OFFICER)
    def approve_revocation(rid, principal):
        """Second officer: approve (the requester is refused: ``same_officer``)."""
        with runtime.uow() as uow:
            revocation.approve(uow, rid[:32], principal)
            uow.commit()
            return _one(revocation.listing(uow, None, rid=rid), rid)

    @api.route("/revocations/<rid>/reject", methods=("POST",), response=schemas.RevocationOut,
               roles=OFFICER)
    def reject_revocation(rid, principal):
        """Turn a revocation request down (or, by its requester, withdraw it)."""
        with runtime.uow() as uow:
            revocation.reject(uow, rid[:32], principal)
            uow.commit()
            return _one(revocation.listing(uow, None, rid=rid), rid)

    @api.route("/corrections", query=schemas.StatusQuery, response=schemas.CorrectionOut,
               roles=READERS)
    def list_corrections(args):
        """Correction requests (default: awaiting an officer)."""
        with runtime.uow() as uow:
            return corrections.listing(uow, status=args.get("status", "pending"))

    @api.route("/corrections/<cid>/proofs/<pid>", roles=READERS)
    def correction_proof(cid, pid):
        """A proof file of a correction request."""
        with runtime.uow() as uow:
            return _file(corrections.proof_file(uow, cid, pid))

    @api.route("/corrections/<cid>/approve", methods=("POST",), response=schemas.CorrectionOut,
               roles=OFFICER)
    def approve_correction(cid, principal):
        """Approve: version N+1 is signed, version N superseded, the holder's PDF renewed."""
        with runtime.uow() as uow:
            corrections.approve(uow, keys, base_url, cid[:32], principal)
            uow.commit()
            return _one(corrections.listing(uow, cid=cid), cid)

    @api.route("/corrections/<cid>/reject", methods=("POST",), body=schemas.DecisionIn,
               response=schemas.CorrectionOut, roles=OFFICER)
    def reject_correction(cid, data, principal):
        """Reject with a note the holder sees."""
        with runtime.uow() as uow:
            corrections.reject(uow, cid[:32], principal, data.get("note", ""))
            uow.commit()
            return _one(corrections.listing(uow, cid=cid), cid)

    @api.route("/mailings", response=schemas.MailingOut, roles=READERS)
    def mailing_queue():
        """Mailings not yet delivered, oldest first (phones masked)."""
        with runtime.uow() as uow:
            return mailing.queue(uow, cipher)

    @api.route("/mailings/<mid>/state", methods=("POST",), body=schemas.MailingStateIn,
               response=schemas.MailingOut, roles=OFFICER)
    def mailing_state(mid, data, principal):
        """Move a mailing on: printed → shipped (tracking_number) → delivered, or cancelled."""
        with runtime.uow() as uow:
            out = mailing.advance(uow, cipher, mid[:32], data["state"],
                                  data.get("tracking_number"), principal)
            uow.commit()
            return out

    @api.route("/replacements", response=schemas.MailingOut, roles=READERS)
    def replacement_queue():
        """Replacements (补发) whose materials await review, oldest first, with their files."""
        with runtime.uow() as uow:
            return mailing.review_queue(uow, cipher)

    @api.route("/replacements/<mid>/materials/<material_id>", roles=READERS)
    def replacement_material(mid, material_id, principal):
        """One uploaded material, decrypted; every view is written to the audit log."""
        with runtime.uow() as uow:
            _kind, content_type, data = mailing.material_file(
                uow, cipher, mid[:32], material_id[:32], principal)
            uow.commit()
        return material_response(content_type, data)

    @api.route("/replacements/<mid>/approve", methods=("POST",), response=schemas.MailingOut,
               roles=OFFICER)
    def approve_replacement(mid, principal):
        """The materials are in order: the replacement joins the print queue (requested)."""
        with runtime.uow() as uow:
            out = mailing.review(uow, cipher, mid[:32], principal, approve=True)
            uow.commit()
            return out

    @api.route("/replacements/<mid>/reject", methods=("POST",), body=schemas.RejectIn,
               response=schemas.MailingOut, roles=OFFICER)
    def reject_replacement(mid, data, principal):
        """The materials are not in order: rejected with a reason the holder sees."""
        with runtime.uow() as uow:
            out = mailing.review(uow, cipher, mid[:32], principal, approve=False,
                                 reason=data["reason"])
            uow.commit()
            return out

    @api.route("/national-reports", query=schemas.NationalStateQuery,
               response=schemas.NationalReportOut, roles=READERS)
    def national_reports(args):
        """Reports of title certificates to the national platform, newest first."""
        with runtime.uow() as uow:
            return national.listing(uow, args.get("state"))

    @api.route("/national-reports/<number>/requeue", methods=("POST",),
               response=schemas.NationalReportOut, roles=OFFICER, status=202)
    def national_requeue(number, principal):
        """Report this title certificate's current version again, at once."""
        with runtime.uow() as uow:
            out = national.officer_requeue(uow, number[:40], principal)
            uow.commit()
            return out

    @api.route("/batches", methods=("POST",), body=schemas.BatchIn, response=schemas.BatchOut,
               roles=OFFICER, status=201)
    def create_batch(data, principal):
        """(Re)issue for a list of qualification ids; the worker works through it."""
        with runtime.uow() as uow:
            bid = batches.create(uow, "\n".join(data["qualification_ids"]), principal)
            uow.commit()
            return batches.progress(uow, bid)[0]

    @api.route("/batches/<bid>", response=schemas.BatchOut, roles=READERS)
    def batch_progress(bid):
        """Progress of a batch."""
        with runtime.uow() as uow:
            found = batches.progress(uow, bid[:32])
            if not found:
                raise NotFound("没有这个批次", code="batch_not_found")
            return found[0]


def material_response(content_type: str, data: bytes) -> Response:
    """A material for the officer's browser (a JPEG inline, a PDF as a download: PDF viewers
    do not run under the sandbox CSP), never cached."""
    pdf = content_type == "application/pdf"
    disposition = 'attachment; filename="material.pdf"' if pdf else 'inline; filename="material.jpg"'
    return Response(data, mimetype=content_type, headers={
        "Content-Disposition": disposition,
        "Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; sandbox"})


def _one(rows: list[dict], row_id: str) -> dict:
    for r in rows:
        if r["id"] == row_id:
            return r
    raise NotFound("没有这条记录", code="not_found")

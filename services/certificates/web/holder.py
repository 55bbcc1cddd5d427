"""The holder's routes: version history, corrections (补正), sharing links, paper mailing."""
from __future__ import annotations

from flask import Response, request
from marshmallow import RAISE
from sqlalchemy import select

from services.certificates.adapters.orm import certificate_versions
from services.certificates.domain import replacement
from services.certificates.service_layer import corrections, mailing, national, queries, sharing
from services.certificates.web import schemas
from services.common.errors import NotFound

HOLDER = ("candidate",)
# A replacement carries up to four files (10 + 2 × 10 + 2 MB): this route alone reads more
# than the app-wide 12 MB; each file is still cut at its own limit + 1 byte.
REPLACEMENT_MAX_BODY = 34 * 1024 * 1024


def register_holder_routes(api, runtime, base_url: str) -> None:
    cipher = runtime.services["pii"]

    @api.route("/<number>/versions/<int:version>/credential.json", roles=HOLDER)
    def version_credential(number, version, principal):
        """An earlier (or the current) signed version of one of my certificates."""
        with runtime.uow() as uow:
            cert = queries.owned(uow, number, principal.sub)
            v = certificate_versions
            raw = uow.session.execute(select(v.c.credential).where(
                v.c.number == cert.number, v.c.version == version)).scalar()
            if raw is None:
                raise NotFound("没有这个版本", code="version_not_found")
            return Response(raw.encode(), mimetype="application/json", headers={
                "Content-Disposition": f'attachment; filename="{cert.number}-v{version}.json"'})

    @api.route("/<number>/history", response=schemas.HistoryOut, roles=HOLDER)
    def history(number, principal):
        """Every version of my certificate and every correction I asked for."""
        with runtime.uow() as uow:
            cert = queries.owned(uow, number, principal.sub)
            return {"number": cert.number, "version": cert.version, "status": cert.status,
                    "versions": queries.history(uow, cert),
                    "corrections": corrections.listing(uow, number=cert.number)}

    @api.route("/<number>/corrections", methods=("POST",), response=schemas.CorrectionOut,
               roles=HOLDER, status=201)
    def request_correction(number, principal):
        """Ask for a correction: multipart form ``kind`` (name|document), ``new_value``,
        ``note`` and 1-5 files ``proofs`` (PDF or JPEG by content, ≤ 10 MB each)."""
        form = schemas.CorrectionForm(unknown=RAISE).load(request.form.to_dict())
        files = [(f.filename, f.read(10 * 1024 * 1024 + 1)) for f in request.files.getlist("proofs")]
        with runtime.uow() as uow:
            cert = queries.owned(uow, number, principal.sub)
            cid = corrections.request(uow, cert, form["kind"], form["new_value"],
                                      form.get("note", ""), files)
            uow.commit()
            return corrections.listing(uow, cid=cid)[0]

    @api.route("/<number>/national", query=schemas.NationalQuery, response=schemas.NationalOut,
               roles=HOLDER)
    def national_status(number, args, principal):
        """My title certificate's report to the national platform (上报人社部); with
        ``compare=true`` also what the platform holds, field by field (查询人社部平台)."""
        with runtime.uow() as uow:
            cert = queries.owned(uow, number, principal.sub)
            out = {"status": national.status(uow, national.title_only(cert)), "platform": None}
        if args["compare"]:  # the remote query runs after the transaction has ended
            out["platform"] = national.compare(runtime.services["national"], cert)
        return out

    @api.route("/<number>/national/report", methods=("POST",),
               response=schemas.NationalReportOut, roles=HOLDER, status=202)
    def national_report(number, principal):
        """Re-report to the national platform (上报人社部): only when what it holds differs
        (``nothing_differs``), not while a report (``report_pending``) or a correction
        (``correction_pending``) is pending, at most once per 10 minutes (``too_soon``)."""
        return national.holder_requeue(runtime, runtime.services["national"], number,
                                       principal.sub)

    @api.route("/<number>/corrections/<cid>/proofs/<pid>", roles=HOLDER)
    def my_proof(number, cid, pid, principal):
        """A proof file I sent with a correction request."""
        with runtime.uow() as uow:
            queries.owned(uow, number, principal.sub)
            row = corrections.proof_file(uow, cid, pid, candidate_id=principal.sub)
            return _file(row)

    @api.route("/<number>/shares", methods=("POST",), body=schemas.ShareIn,
               response=schemas.ShareOut, roles=HOLDER, status=201)
    def create_share(number, data, principal):
        """Make a verification link for an employer, protected by a PIN I choose (6-12 letters
        or digits). The ``url`` is shown once: only its hash is kept."""
        with runtime.uow() as uow:
            cert = queries.owned(uow, number, principal.sub)
            out = sharing.create(uow, cert, data["pin"], data.get("label"), data.get("days"),
                                 base_url)
            uow.commit()
            return out

    @api.route("/<number>/shares", response=schemas.ShareOut, roles=HOLDER)
    def list_shares(number, principal):
        """My verification links for this certificate (without their URLs)."""
        with runtime.uow() as uow:
            return sharing.listing(uow, queries.owned(uow, number, principal.sub))

    @api.route("/shares/<link_id>", methods=("DELETE",), roles=HOLDER)
    def revoke_share(link_id, principal):
        """Revoke one of my verification links at once."""
        with runtime.uow() as uow:
            sharing.revoke(uow, link_id[:32], principal.sub)
            uow.commit()
        return Response(status=204)

    @api.route("/<number>/mailings", methods=("POST",), body=schemas.MailingIn,
               response=schemas.MailingOut, roles=HOLDER, status=201)
    def request_mailing(number, data, principal):
        """Ask for the paper certificate by post (kind=first). A replacement needs seed 004's
        materials: ``POST /<number>/replacements``; here it is refused (``materials_required``,
        or the rule's own refusal)."""
        with runtime.uow() as uow:
            cert = queries.owned(uow, number, principal.sub)
            out = mailing.request(uow, cipher, cert, recipient=data["recipient"],
                                  address=data["address"], phone=data["phone"],
                                  kind=data["kind"], reason=data.get("reason"),
                                  paper_only_exams=runtime.services["paper_only_exams"])
            uow.commit()
            return out

    @api.route("/<number>/replacements", methods=("POST",), response=schemas.MailingOut,
               roles=HOLDER, status=201)
    def request_replacement(number, principal):
        """Ask for a replacement of a lost or damaged paper certificate (seed 004): multipart
        form ``recipient``, ``address``, ``phone``, ``reason`` (lost|damaged),
        ``id_document_type`` (resident_id|social_security_card) and files
        ``application_form`` (the signed 《补发（更换）申请表》, PDF or JPEG ≤ 10 MB),
        ``id_document`` (1-2 files: front and back, PDF or JPEG ≤ 10 MB each) and ``photo``
        (JPEG ≤ 2 MB), all recognised by content. Starts in ``materials_review``."""
        request.max_content_length = REPLACEMENT_MAX_BODY
        form = schemas.ReplacementForm(unknown=RAISE).load(request.form.to_dict())
        files = {kind: [(f.filename, f.read(replacement.LIMITS[kind] + 1))
                        for f in request.files.getlist(kind)]
                 for kind in replacement.MATERIALS}
        with runtime.uow() as uow:
            cert = queries.owned(uow, number, principal.sub)
            out = mailing.request_replacement(
                uow, cipher, cert, recipient=form["recipient"], address=form["address"],
                phone=form["phone"], reason=form["reason"],
                id_document_type=form["id_document_type"], files=files,
                paper_only_exams=runtime.services["paper_only_exams"])
            uow.commit()
            return out

    @api.route("/<number>/replacements/eligibility", response=schemas.ReplacementEligibilityOut,
               roles=HOLDER)
    def replacement_eligibility(number, principal):
        """Whether a replacement may be asked for now, and if not the reason (seed 004)."""
        with runtime.uow() as uow:
            cert = queries.owned(uow, number, principal.sub)
            return mailing.eligibility(uow, cert, runtime.services["paper_only_exams"])

    @api.route("/<number>/mailings", response=schemas.MailingOut, roles=HOLDER)
    def list_mailings(number, principal):
        """My mailing requests for this certificate, with state and tracking number."""
        with runtime.uow() as uow:
            cert = queries.owned(uow, number, principal.sub)
            return mailing.for_certificate(uow, cipher, cert.number)


def _file(row) -> Response:
    ext = "pdf" if row.content_type == "application/pdf" else "jpg"
    return Response(row.data, mimetype=row.content_type, headers={
        "Content-Disposition": f'attachment; filename="proof.{ext}"',
        "Content-Security-Policy": "default-src 'none'; sandbox"})

"""Certificates' web layer: public verification and status list, holders' certificates and
requests (corrections, sharing links, mailing), officers' decisions."""
from __future__ import annotations

from pathlib import Path

from flask import Response, jsonify, request

from services.certificates.domain import credential
from services.certificates.service_layer import documents, queries, revocation, sharing
from services.certificates.web import schemas
from services.certificates.web.holder import register_holder_routes
from services.certificates.web.officer import register_officer_routes
from services.certificates.web.ops import ops_blueprint
from services.common.errors import DomainError, NotFound
from services.common.web.api import Api
from services.common.web.app import create_service_app

HOLDER = ("candidate",)
ISSUER_NAME = "报考平台电子证书签发服务"
MAX_CREDENTIAL_BYTES = 64 * 1024


def create_app(runtime=None, verifier=None):
    if runtime is None:
        from services.certificates.bootstrap import bootstrap
        runtime = bootstrap()
    keys = runtime.services["keys"]
    base_url = runtime.settings.public_base_url.rstrip("/")
    api = Api("certificates", "Certificates",
              "Signed e-certificates: public verification and status list, holders' downloads, "
              "corrections, sharing links and mailing, officers' decisions, signing keys.")

    @api.route("/verify", query=schemas.VerifyQueryV2, response=schemas.VerificationOut,
               roles=None)
    def verify(args):
        """Check a certificate by number and holder name (no login). Wrong name = not_found.

        ``version`` (from the QR code of a print) answers ``corrected`` with
        ``superseded_by_version`` when a correction replaced that version."""
        with runtime.uow() as uow:
            out = queries.verify(uow, keys, args["number"], args["name"], args.get("version"))
            uow.commit()
            return out

    @api.route("/verify/credential", methods=("POST",), response=schemas.CredentialCheckOut,
               roles=None)
    def verify_credential():
        """Check an uploaded credential JSON: signature, key, revocation, supersession."""
        if request.content_length and request.content_length > MAX_CREDENTIAL_BYTES:
            raise DomainError("文件过大，不是本平台的证书", code="too_large", status=413)
        document = request.get_json(force=True, silent=True)
        if document is None:
            raise DomainError("请求体不是合法的 JSON", code="bad_json", status=400)
        with runtime.uow() as uow:
            out = queries.verify_document(uow, keys, document)
            uow.commit()
            return out

    @api.route("/status/<int:list_id>", roles=None)
    def status_list(list_id):
        """The signed W3C Bitstring Status List every credential's ``credentialStatus`` names."""
        with runtime.uow() as uow:
            if not 1 <= list_id <= 100000 or not revocation.status_list_exists(uow, list_id):
                raise NotFound("没有这个状态列表", code="status_list_not_found")
            doc = revocation.status_list_document(uow, keys, base_url, list_id, ISSUER_NAME)
        resp = jsonify(doc)
        resp.headers["Cache-Control"] = "no-cache"  # a revocation shows at once
        return resp

    @api.route("/shared/<token>", methods=("POST",), body=schemas.PinIn,
               response=schemas.SharedOut, roles=None)
    def open_shared(token, data):
        """An employer opens a holder's verification link with its PIN (locks after 5 wrong)."""
        with runtime.uow() as uow:
            try:
                out = sharing.open_link(uow, keys, token[:100], data["pin"])
            except DomainError as exc:
                if exc.code in ("wrong_pin", "link_locked"):
                    uow.commit()  # the attempt counts even though the answer is a refusal
                raise
            uow.commit()
        # Identity is asked after the commit: no transaction waits on another service.
        out["holder_photo"] = sharing.holder_photo(runtime.services["holder_photos"],
                                                   out.pop("candidate_id"))
        return out

    @api.route("/keys", roles=None)
    def key_set():
        """Every certificate signing key ever used, as a JWK set (for offline verification)."""
        resp = jsonify(keys.jwks())
        resp.headers["Cache-Control"] = "public, max-age=300"
        return resp

    @api.route("/issuer", response=schemas.IssuerOut, roles=None)
    def issuer():
        """The issuer named in every credential, and where its keys are."""
        return {"id": credential.issuer_id(base_url), "name": ISSUER_NAME,
                "keys": f"{base_url}/api/certificates/keys"}

    @api.route("/me", query=schemas.MyCertificatesQuery, response=schemas.MyCertificateOut,
               roles=HOLDER)
    def my_certificates(args, principal):
        """My certificates (我的证书), newest first; ``kind=title`` only professional titles."""
        with runtime.uow() as uow:
            return queries.list_for(uow, principal.sub, base_url, args.get("kind"))

    @api.route("/<number>/credential.json", roles=HOLDER)
    def credential_json(number, principal):
        """The signed credential (W3C VC 2.0, eddsa-jcs-2022 proof) of one of my certificates."""
        with runtime.uow() as uow:
            cert = queries.owned(uow, number, principal.sub)
            return Response(cert.credential.encode(), mimetype="application/json", headers={
                "Content-Disposition": f'attachment; filename="{cert.number}.json"'})

    @api.route("/<number>/certificate.pdf", roles=HOLDER)
    def certificate_pdf(number, principal):
        """The printable certificate (QR code to the verification page), PAdES-sealed."""
        with runtime.uow() as uow:
            cert = queries.owned(uow, number, principal.sub)
            body = documents.sealed_pdf(uow, runtime.services["seals"], cert, base_url,
                                        photos=runtime.services["holder_photos"])
            uow.commit()
            return Response(body, mimetype="application/pdf", headers={
                "Content-Disposition": f'attachment; filename="{cert.number}.pdf"'})

    register_holder_routes(api, runtime, base_url)
    register_officer_routes(api, runtime, base_url)
    return create_service_app(runtime, api, ops=ops_blueprint(runtime), verifier=verifier,
                              template_dir=Path(__file__).parent / "templates")

"""Routes for other services: the client-credentials token endpoint and the internal reads.

Internal routes name the services allowed to call them (``callers``); a person's token, even
a platform admin's, is refused, and so is a service that is not on the list.
"""
from __future__ import annotations

from flask import Response, jsonify, request

from services.common.errors import DomainError, Unauthorized
from services.identity.service_layer import internal
from services.identity.web import schemas

SERVICE = ("service",)


def _client_credentials() -> tuple[str, str]:
    """HTTP Basic (RFC 6749 §2.3.1, preferred) or ``client_id``/``client_secret`` in the form
    or JSON body; ``grant_type`` must be ``client_credentials``."""
    body = request.form.to_dict() if request.form else (
        request.get_json(silent=True) if request.is_json else None) or {}
    if not isinstance(body, dict):
        body = {}
    grant = body.get("grant_type") or request.args.get("grant_type")
    if grant != "client_credentials":
        raise DomainError("只支持 client_credentials 授权方式", code="unsupported_grant_type",
                          status=400)
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username or "", auth.password or ""
    client_id, secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(secret, str):
        raise Unauthorized("缺少服务凭证", code="invalid_client")
    return client_id[:64], secret[:256]


def register(api, runtime, limiter) -> None:
    keys = runtime.services["keys"]

    @api.route("/oauth/token", ["POST"], response=schemas.ServiceTokenOut, roles=None)
    def service_token():
        """OAuth 2.0 client credentials for services: Basic ``client_id:client_secret`` and
        ``grant_type=client_credentials`` → a 5-minute service token (``sub=service:<name>``)."""
        limiter.hit("service_token")
        try:
            out = internal.issue_service_token(runtime.services["service_clients"], keys,
                                               *_client_credentials())
        except Unauthorized as exc:
            resp = jsonify({"error": {"code": exc.code, "message": exc.message}})
            resp.status_code = 401
            resp.headers["WWW-Authenticate"] = 'Basic realm="baokao-services"'
            return resp
        resp = jsonify(schemas.ServiceTokenOut().dump(out))
        resp.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1
        return resp

    @api.route("/internal/candidates/<candidate_id>/document", response=schemas.DocumentOut,
               roles=SERVICE, callers=("verification",))
    def candidate_document(candidate_id, principal):
        """The full document number for the public-security identity check (audited)."""
        with runtime.uow() as uow:
            out = internal.candidate_document(uow, candidate_id[:64], principal.service)
        resp = jsonify(schemas.DocumentOut().dump(out))
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @api.route("/internal/candidates/<candidate_id>/photo", roles=SERVICE,
               callers=("certificates", "registration"))
    def candidate_photo(candidate_id, principal):
        """The locked (reviewed) standard photo as JPEG; 404 ``photo_not_found`` when none."""
        with runtime.uow() as uow:
            photo_id, sha256, jpeg = internal.locked_photo(uow, candidate_id[:64])
        return Response(jpeg, mimetype="image/jpeg", headers={
            "Cache-Control": "no-store", "ETag": f'"{sha256}"', "X-Photo-Id": photo_id})

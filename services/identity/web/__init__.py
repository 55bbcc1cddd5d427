"""Identity's web layer: thin routes over the service layer."""
from __future__ import annotations

from pathlib import Path

from flask import jsonify, request

from services.common.auth import TokenVerifier
from services.common.errors import NotFound
from services.common.web.api import Api
from services.common.web.app import create_service_app
from services.identity.adapters.messaging import mask_email
from services.identity.domain import documents
from services.identity.domain.codes import RateLimited
from services.identity.domain.model import AGREEMENT_VERSION, Account, agreement_text
from services.identity.service_layer import accounts, notifications
from services.identity.web import account as account_routes
from services.identity.web import idempotency, internal, schemas
from services.identity.web.ops import ops_blueprint
from services.identity.web.ratelimit import IpLimiter, client_ip, user_agent


def account_view(a: Account) -> dict:
    return {"id": a.id, "username": a.username, "name": a.name, "document_type": a.document_type,
            "document_number_masked": documents.mask(a.document_number),
            "phone_masked": documents.mask_phone(a.phone) if a.phone else None,
            "education": a.education, "roles": a.roles, "created_at": a.created_at,
            "phone_verified": a.phone_verified_at is not None,
            "email_masked": mask_email(a.email) if a.email else None,
            "email_verified": a.email_verified_at is not None,
            "security_question": a.security_question, "degree": a.degree,
            "document_valid_until": a.document_valid_until,
            "totp_enrolled": a.totp_enrolled_at is not None, "scope": a.scope or {},
            "name_correctable": a.name_correctable}


def _json(body: dict, status: int):
    resp = jsonify(body)
    resp.status_code = status
    return resp


def create_app(runtime=None, verifier=None):
    if runtime is None:
        from services.identity.bootstrap import bootstrap
        runtime = bootstrap()
    cipher, keys = runtime.services["cipher"], runtime.services["keys"]
    api = Api("identity", "Identity", "Accounts, credentials, tokens and the message centre.")
    limiter = IpLimiter()

    @api.route("/candidates", ["POST"], body=schemas.SignUpIn, response=schemas.AccountOut,
               roles=None, status=201)
    def sign_up(data):
        """Create a candidate account; an ``Idempotency-Key`` header makes retries safe."""
        limiter.hit("sign_up")
        data.pop("education_confirmed")
        key = (request.headers.get("Idempotency-Key") or "").strip()[:100]
        with runtime.uow() as uow:
            if key:
                replay = idempotency.replay(uow, cipher, key, request.get_data())
                if replay is not None:
                    return _json(*replay)
            account = accounts.sign_up(uow, cipher, commit=not key, **data)
            view = schemas.AccountOut().dump(account_view(account))
            if key:
                idempotency.store(uow, cipher, key, request.get_data(), 201, view)
                idempotency.commit(uow)
            return _json(view, 201)

    @api.route("/agreement", roles=None)
    def agreement():
        """The registration agreement a sign-up must accept: its version and its text."""
        text = agreement_text()
        return {"version": AGREEMENT_VERSION, "title": text.splitlines()[0], "text": text}

    @api.route("/tokens", ["POST"], body=schemas.SignInIn, response=schemas.TokensOut,
               roles=None)
    def sign_in(data):
        """Sign in with user name, document number or phone and a password.

        After failed attempts a captcha is needed (``captcha_required``: get one from
        ``POST /captchas``); staff then need the TOTP code (``totp``, or the ticket of
        ``totp_required`` with ``POST /tokens/totp``).
        """
        limiter.hit("sign_in")
        with runtime.uow() as uow:
            return accounts.sign_in(uow, cipher, keys, ip=client_ip(), user_agent=user_agent(),
                                    totp_replay_check=runtime.services["totp_replay_check"],
                                    **data)

    @api.route("/tokens/refresh", ["POST"], body=schemas.RefreshIn, response=schemas.TokensOut,
               roles=None)
    def refresh(data):
        """Rotate a refresh token into a new token pair."""
        with runtime.uow() as uow:
            return accounts.refresh(uow, keys, **data)

    @api.bp.get("/.well-known/jwks.json")
    def jwks():
        resp = jsonify(keys.jwks())
        resp.headers["Cache-Control"] = "public, max-age=60"
        return resp

    @api.route("/me", response=schemas.AccountOut)
    def me(principal):
        """The signed-in account, with personal data masked."""
        with runtime.uow() as uow:
            account = uow.session.get(Account, principal.sub)
            if account is None:
                raise NotFound("账号不存在或已注销", code="account_not_found")
            return account_view(account)

    @api.route("/me/notifications", response=schemas.NotificationOut)
    def my_notifications(principal):
        """The message centre: what happened to my applications, payments and certificates."""
        limit = min(int(request.args.get("limit", 50) or 50), 200)
        with runtime.uow() as uow:
            return notifications.list_for(uow, principal.sub, limit)

    account_routes.register(api, runtime, limiter)
    internal.register(api, runtime, limiter)
    # Identity holds the keys itself: it verifies its own tokens without an HTTP round trip.
    verifier = verifier or TokenVerifier(jwks_provider=keys.jwks)
    app = create_service_app(runtime, api, ops=ops_blueprint(runtime), verifier=verifier,
                             template_dir=Path(__file__).parent / "templates")

    @app.errorhandler(RateLimited)
    def _rate_limited(exc: RateLimited):
        resp = jsonify({"error": {"code": exc.code, "message": exc.message,
                                  "retry_after": exc.retry_after}})
        resp.status_code = 429
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    return app

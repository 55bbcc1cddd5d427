"""The app factory every service uses: the same health, metrics, errors and auth everywhere."""
from __future__ import annotations

import logging
import uuid
from pathlib import Path

from flask import Flask, g, jsonify, request
from jinja2 import ChoiceLoader, FileSystemLoader

from services.common import context
from services.common.auth import TokenVerifier
from services.common.config import service_url
from services.common.errors import Unauthorized
from services.common.web.api import Api
from services.common.web.errors import register_error_handlers
from services.common.web.metrics import install_metrics
from services.common.web.ops import dead_letters_blueprint, install_ops_context

COMMON_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def default_verifier() -> TokenVerifier:
    return TokenVerifier(jwks_url=service_url("identity") + "/api/identity/.well-known/jwks.json")


def create_service_app(runtime, api: Api, *, ops=None, verifier: TokenVerifier | None = None,
                       template_dir: Path | None = None) -> Flask:
    app = Flask(f"baokao.{runtime.name}")
    app.config.update(SECRET_KEY=runtime.settings.secret_key, JSON_AS_ASCII=False,
                      MAX_CONTENT_LENGTH=12 * 1024 * 1024)
    app.json.ensure_ascii = False
    app.extensions["baokao"] = runtime
    app.extensions["baokao_api"] = api  # the route catalogue (OpenAPI, generic input tests)
    loaders = [FileSystemLoader(str(template_dir))] if template_dir else []
    app.jinja_loader = ChoiceLoader(loaders + [FileSystemLoader(str(COMMON_TEMPLATES))])
    verifier = verifier or default_verifier()
    app.extensions["baokao_verifier"] = verifier
    logging.getLogger(app.name).setLevel(logging.INFO)

    @app.before_request
    def _context():
        cid = request.headers.get("X-Correlation-ID") or str(uuid.uuid4())
        g._cid_token = context.correlation_id.set(cid[:64])
        g.principal = None
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            try:
                g.principal = verifier.verify(auth[7:].strip())
            except Unauthorized:
                if request.path.startswith(("/api/", "/ops/")):
                    raise
        g.csrf_token = request.headers.get("X-Baokao-CSRF", "")

    @app.after_request
    def _headers(resp):
        resp.headers["X-Correlation-ID"] = context.correlation_id.get() or ""
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        return resp

    @app.teardown_request
    def _reset(_exc):
        token = g.pop("_cid_token", None)
        if token is not None:
            context.correlation_id.reset(token)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="alive", service=runtime.name)

    @app.get("/readyz")
    def readyz():
        checks = {"database": runtime.db_ok(), "broker": runtime.transport.ping()}
        ok = all(checks.values())
        return jsonify(status="ready" if ok else "not_ready", checks=checks), 200 if ok else 503

    register_error_handlers(app)
    install_metrics(app, runtime)
    install_ops_context(app, runtime)
    app.register_blueprint(api.bp)
    if ops is not None:
        app.register_blueprint(ops)
    app.register_blueprint(dead_letters_blueprint(runtime))
    return app

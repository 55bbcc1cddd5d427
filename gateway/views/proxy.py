"""Routing ``/api/<service>/…`` and ``/ops/<service>/…`` to the services over HTTP."""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, request
from flask_wtf.csrf import generate_csrf

from gateway import csrf, limiter
from gateway import session as user_session
from gateway.clients import forward
from gateway.views.ops import allowed
from gateway.views.public import PUBLIC_LOOKUPS

bp = Blueprint("proxy", __name__)
SERVICES = "any(identity, verification, registration, payment, certificates)"
FORWARD_REQUEST = ("Content-Type", "Idempotency-Key", "Accept", "User-Agent")
# Service-to-service routes stay inside the platform: the internet never reaches them through
# the gateway (their allow-lists and secrets would refuse callers anyway; this is the outer wall).
PRIVATE_PREFIXES = ("internal/", "oauth/")
FORWARD_RESPONSE = ("Content-Type", "Content-Disposition", "Location", "Retry-After",
                    "Cache-Control", "X-Correlation-ID")


def _forward(service: str, path: str, token: str | None, extra: dict | None = None) -> Response:
    headers = {h: request.headers[h] for h in FORWARD_REQUEST if h in request.headers}
    headers["X-Forwarded-For"] = request.remote_addr or ""
    headers.update(extra or {})
    resp = forward(service, request.method, path, token=token, query=request.query_string,
                   body=request.get_data(cache=True) or None, headers=headers)
    out = Response(resp.data, status=resp.status)
    for h in FORWARD_RESPONSE:
        if h in resp.headers:
            out.headers[h] = resp.headers[h]
    return out


# Look-ups anyone may make without signing in (a number, a link): limited per address so they
# cannot be used to walk through numbers or tokens. Everything else has the default limit only.
PUBLIC_CHECKS = {"registration": ("admit-cards/",),
                 "certificates": ("verify", "shared/")}


def _not_a_public_check() -> bool:
    args = request.view_args or {}
    return not args.get("rest", "").startswith(PUBLIC_CHECKS.get(args.get("service"), ()))


@bp.route(f"/api/<{SERVICES}:service>/<path:rest>",
          methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@limiter.shared_limit(**PUBLIC_LOOKUPS, exempt_when=_not_a_public_check,
                      override_defaults=False)
def api_proxy(service: str, rest: str):
    """API clients send their own bearer token; the browser's session token needs CSRF."""
    if rest.startswith(PRIVATE_PREFIXES):
        abort(404)
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        token = auth[7:]
    else:
        token = g.get("access_token")
        if token and request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
    return _forward(service, f"/api/{service}/{rest}", token)


@bp.route(f"/ops/<{SERVICES}:service>/", defaults={"rest": ""}, methods=["GET", "POST"])
@bp.route(f"/ops/<{SERVICES}:service>/<path:rest>", methods=["GET", "POST"])
@user_session.login_required()
def ops_proxy(service: str, rest: str):
    if not allowed(service, user_session.roles(), rest):
        abort(403)
    return _forward(service, f"/ops/{service}/{rest}", g.get("access_token"),
                    {"X-Baokao-CSRF": generate_csrf()})

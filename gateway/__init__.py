"""The gateway: candidate web UI, sessions, CSRF, rate limits, and routing to the services."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

from flask import Flask, g, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from gateway import filters
from gateway import session as user_session
from gateway.clients import ServiceUnavailable
from gateway.config import GatewayConfig
from services.common import context

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=["600 per minute"],
                  headers_enabled=True)

# Routes whose body may exceed MAX_CONTENT_LENGTH (each checks its own files' limits).
_LARGE_UPLOADS = re.compile(r"^(/api)?/certificates/[^/]{1,60}/replacements$")
SERVICE_NAMES = {"identity": "账户服务", "verification": "核验服务", "registration": "报名服务",
                 "payment": "缴费服务", "certificates": "证书服务"}


def create_app(config: GatewayConfig | None = None) -> Flask:
    cfg = config or GatewayConfig()
    app = Flask(__name__)
    app.config.update(
        GATEWAY=cfg, SECRET_KEY=cfg.secret_key,
        SESSION_COOKIE_NAME="baokao_session", SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=cfg.production,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8), WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=cfg.production, MAX_CONTENT_LENGTH=12 * 1024 * 1024,
        RATELIMIT_ENABLED=cfg.rate_limits,
        RATELIMIT_STORAGE_URI=cfg.redis_url or "memory://",
    )
    app.json.ensure_ascii = False

    @app.before_request
    def _before():
        if request.method == "POST" and _LARGE_UPLOADS.match(request.path):
            request.max_content_length = 34 * 1024 * 1024  # replacement: four scans (≤ 32 MB)
        # Cache the raw body first, so a proxied POST can be forwarded after CSRF read the form.
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            request.get_data(cache=True)
        cid = request.headers.get("X-Correlation-ID") or str(uuid.uuid4())
        g._cid = context.correlation_id.set(cid[:64])
        user_session.load()

    csrf.init_app(app)
    limiter.init_app(app)

    @app.after_request
    def _security_headers(resp):
        resp.headers["X-Correlation-ID"] = context.correlation_id.get() or ""
        resp.headers.setdefault("Content-Security-Policy", (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"form-action 'self' {cfg.sandbox_url}; frame-ancestors 'none'; base-uri 'self'"))
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if cfg.production:
            resp.headers.setdefault("Strict-Transport-Security",
                                    "max-age=31536000; includeSubDomains")
        return resp

    @app.teardown_request
    def _teardown(_exc):
        token = g.pop("_cid", None)
        if token is not None:
            context.correlation_id.reset(token)

    @app.context_processor
    def _globals():
        roles = user_session.roles()
        return {"user": g.get("user"), "is_staff": bool(roles - {"candidate"}),
                "is_candidate": "candidate" in roles}

    _register_errors(app)
    filters.install(app)
    from gateway.views import (
        account,
        candidate,
        certs,
        docs,
        flow,
        ops,
        payments,
        proxy,
        public,
        titles,
        titles_form,
    )
    for bp in (public.bp, candidate.bp, ops.bp, proxy.bp, docs.bp, account.bp, flow.bp,
               payments.bp, certs.bp, titles.bp):
        app.register_blueprint(bp)
    titles_form.install(app)
    csrf.exempt(proxy.api_proxy)

    from services.common.web.metrics import install_metrics
    install_metrics(app, name="gateway")  # what deploy/k8s/gateway.yaml tells Prometheus to scrape

    @app.get("/healthz")
    def healthz():
        return {"status": "alive", "service": "gateway"}

    @app.get("/readyz")
    def readyz():
        """Ready when the gateway itself can serve. A service that is down degrades its own
        pages (they say so); it must not take every gateway pod out of the load balancer, so
        the probe's answer ignores upstreams unless asked (``?upstreams=all``: start-up scripts
        and tests waiting for the whole platform)."""
        from gateway.clients import upstream
        checks = {}
        for name in cfg.service_urls:
            try:
                checks[name] = upstream(name, "GET", "/healthz", timeout=2).status_code == 200
            except ServiceUnavailable:
                checks[name] = False
        whole = all(checks.values())
        ok = whole if request.args.get("upstreams") == "all" else True
        return {"status": "ready" if whole else "degraded", "checks": checks}, 200 if ok else 503
    return app


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ServiceUnavailable)
    def _unavailable(exc: ServiceUnavailable):
        app.logger.warning("upstream unavailable: %s", exc)
        if _wants_json():
            return {"error": {"code": "service_unavailable", "message": "服务暂时不可用，请稍后再试",
                              "service": exc.service}}, 503
        return render_template("error.html", status=503, title="服务暂时不可用",
                               message=f"{SERVICE_NAMES.get(exc.service, exc.service)}暂时不可用，"
                                       "请稍后再试。其他功能不受影响。"), 503

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        if _wants_json():
            return {"error": {"code": "csrf_failed", "message": "页面已过期，请刷新后重试"}}, 400
        return render_template("error.html", status=400, title="页面已过期",
                               message="为保护您的账户，请刷新页面后重新提交。"), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        titles = {400: "请求有误", 403: "无权访问", 404: "页面不存在", 405: "不支持的操作",
                  413: "上传内容过大", 429: "操作过于频繁"}
        title = titles.get(exc.code, "出错了")
        message = {429: "您的操作过于频繁，请稍后再试。", 403: "您的账号没有访问此页面的权限。",
                   404: "您要找的页面不存在或已被移除。"}.get(exc.code, title)
        if _wants_json():
            body = {"error": {"code": {429: "rate_limited", 404: "not_found", 403: "forbidden",
                                       413: "too_large", 405: "method_not_allowed"}.get(
                exc.code, "bad_request"), "message": message}}
            resp = app.make_response((body, exc.code))
        else:
            resp = app.make_response((render_template("error.html", status=exc.code, title=title,
                                                      message=message), exc.code))
        if exc.code == 429:
            retry = getattr(exc, "retry_after", None) or 60
            resp.headers["Retry-After"] = str(retry)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return {"error": {"code": "internal", "message": "系统内部错误，请稍后再试"}}, 500
        return render_template("error.html", status=500, title="系统繁忙",
                               message="系统内部错误，请稍后再试。"), 500

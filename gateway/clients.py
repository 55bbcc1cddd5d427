"""HTTP calls from the gateway to the services: timeouts, token and correlation id forwarded."""
from __future__ import annotations

import os

import requests
import urllib3
from flask import current_app, g

from services.common import context


class ServiceUnavailable(Exception):
    def __init__(self, service: str, reason: str):
        super().__init__(f"{service}: {reason}")
        self.service = service


class ApiError(Exception):
    """A 4xx answer from a service, carrying its stable code and Chinese message."""

    def __init__(self, status: int, body: dict):
        err = (body or {}).get("error") or {}
        super().__init__(err.get("message") or f"HTTP {status}")
        self.status = status
        self.code = err.get("code", "error")
        self.message = err.get("message", "请求未能完成")
        self.fields = err.get("fields") or {}
        if err.get("field"):
            self.fields.setdefault(err["field"], [self.message])


# One pooled session for every call: keep-alive connections to each service, reused across
# requests and threads. The services are reached at their configured URLs, never through an
# environment proxy, so the environment is not re-read per call (trust_env scans os.environ
# twice per request); a private CA for https service URLs still comes from REQUESTS_CA_BUNDLE.
_session = requests.Session()
_session.trust_env = False
_session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
_adapter = requests.adapters.HTTPAdapter(pool_connections=10, pool_maxsize=50)
_session.mount("http://", _adapter)
_session.mount("https://", _adapter)


def upstream(service: str, method: str, path: str, *, token: str | None = None, **kw):
    """Raw call; raises ServiceUnavailable when the service cannot answer properly."""
    cfg = current_app.config["GATEWAY"]
    headers = kw.pop("headers", {}) or {}
    headers["X-Correlation-ID"] = context.current_correlation_id()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        resp = _session.request(method, cfg.service_urls[service] + path, headers=headers,
                                timeout=kw.pop("timeout", cfg.timeout_seconds),
                                allow_redirects=False, **kw)
    except requests.RequestException as exc:
        raise ServiceUnavailable(service, type(exc).__name__) from exc
    if resp.status_code in (502, 503, 504):
        raise ServiceUnavailable(service, f"HTTP {resp.status_code}")
    if resp.status_code >= 500:
        raise ServiceUnavailable(service, f"HTTP {resp.status_code}")
    return resp


# The API proxy's own pool: urllib3 directly, without requests' per-call work (merging session
# settings, cookie jars, hooks, re-encoding the query and headers), which cost the gateway as
# much CPU per proxied request as the rest of its request handling. Same failure rules as
# ``upstream``: no retry of a request that reached the service, no redirects followed.
_pool = urllib3.PoolManager(num_pools=10, maxsize=50, block=False,
                            retries=urllib3.Retry(0, read=False), ca_certs=(
                                _session.verify if isinstance(_session.verify, str) else None))


def forward(service: str, method: str, path: str, *, query: bytes, body: bytes | None,
            headers: dict, token: str | None):
    """A proxied call, passed through as sent (raw query string and body); → urllib3 response
    (``status``, ``data``, ``headers``). Raises ServiceUnavailable like ``upstream``."""
    cfg = current_app.config["GATEWAY"]
    headers["X-Correlation-ID"] = context.current_correlation_id()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = cfg.service_urls[service] + path
    if query:
        url += "?" + query.decode("latin-1")
    try:
        resp = _pool.request(method, url, body=body, headers=headers, redirect=False,
                             timeout=urllib3.Timeout(connect=cfg.timeout_seconds,
                                                     read=cfg.timeout_seconds))
    except urllib3.exceptions.HTTPError as exc:
        raise ServiceUnavailable(service, type(exc).__name__) from exc
    if resp.status >= 500:
        raise ServiceUnavailable(service, f"HTTP {resp.status}")
    return resp


def call(service: str, method: str, path: str, *, auth: bool = True, **kw):
    """JSON call as the signed-in user; returns the decoded body or raises ApiError."""
    token = g.get("access_token") if auth else None
    resp = upstream(service, method, path, token=token, **kw)
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if resp.status_code >= 400:
        raise ApiError(resp.status_code, body)
    return body

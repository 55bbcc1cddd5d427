"""A ``requests`` transport that hands requests to a WSGI app in this process.

Service tests use it where one service calls another over HTTP: the caller's real HTTP adapter
and the callee's real Flask app, without sockets or ports. ``down`` makes it refuse
connections (the callee is unreachable).
"""
from __future__ import annotations

import io
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from werkzeug.test import EnvironBuilder, run_wsgi_app


class WsgiAdapter(BaseAdapter):
    def __init__(self, app):
        super().__init__()
        self.app = app
        self.down = False
        self.calls: list[str] = []

    def send(self, request, **kwargs):
        if self.down:
            raise requests.ConnectionError("connection refused (test: service down)")
        url = urlsplit(request.url)
        self.calls.append(f"{request.method} {url.path}")
        body = request.body.encode() if isinstance(request.body, str) else request.body
        env = EnvironBuilder(path=url.path, query_string=url.query, method=request.method,
                             headers=dict(request.headers), data=body or b"").get_environ()
        app_iter, status, headers = run_wsgi_app(self.app, env)
        resp = requests.Response()
        resp.status_code = int(status.split()[0])
        resp.headers = requests.structures.CaseInsensitiveDict(headers)
        resp.raw = io.BytesIO(b"".join(app_iter))
        resp.url = request.url
        resp.request = request
        resp.encoding = None
        return resp

    def close(self):
        pass


def session_for(base_url: str, app) -> tuple[requests.Session, WsgiAdapter]:
    """A session whose requests to ``base_url`` go to ``app``."""
    session = requests.Session()
    adapter = WsgiAdapter(app)
    session.mount(base_url.rstrip("/") + "/", adapter)
    return session, adapter

"""The gateway against a real identity service on a local port; other services are 'down'."""
from __future__ import annotations

import re
import threading

import pytest
from werkzeug.serving import make_server

from gateway import create_app, limiter
from gateway.config import GatewayConfig
from services.common.config import SERVICES

DOWN = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused


@pytest.fixture
def identity_runtime(make_settings, bus):
    """A real identity service (demo accounts seeded), for tests that also feed it events."""
    from services.identity import demo
    from services.identity.bootstrap import bootstrap
    rt = bootstrap(make_settings("identity"), transport=bus)
    demo.seed(rt)
    return rt


@pytest.fixture
def identity_url(identity_runtime):
    from services.identity.web import create_app as identity_app
    server = make_server("127.0.0.1", 0, identity_app(identity_runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def gateway_app(identity_url):
    urls = {s: DOWN for s in SERVICES} | {"identity": identity_url}
    app = create_app(GatewayConfig(production=False, secret_key="test", redis_url=None,
                                   sandbox_url=DOWN, service_urls=urls, timeout_seconds=3,
                                   rate_limits=True))
    app.config["TESTING"] = False
    limiter.reset()
    return app


@pytest.fixture
def client(gateway_app):
    return gateway_app.test_client()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def field_errors(html: str) -> list[str]:
    return re.findall(r'class="field-error">([^<]+)<', html)

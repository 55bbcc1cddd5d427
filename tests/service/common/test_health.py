"""Liveness, readiness and metrics every service exposes (the probes Kubernetes uses)."""
from __future__ import annotations

from services.common.bus.amqp import AmqpTransport
from services.common.db import make_engine
from services.identity.bootstrap import bootstrap
from services.identity.web import create_app


def test_healthz_readyz_and_metrics(make_settings, bus, tokens):
    rt = bootstrap(make_settings("identity"), transport=bus)
    client = create_app(rt, verifier=tokens.verifier).test_client()
    assert client.get("/healthz").get_json() == {"status": "alive", "service": "identity"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": True, "broker": True}
    client.get("/api/identity/agreement")
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'baokao_outbox_backlog{service="identity"} 0.0' in metrics
    assert 'baokao_dead_letters_parked{service="identity"} 0.0' in metrics
    assert "baokao_http_requests_total" in metrics and "identity_api.agreement" in metrics


def test_readyz_reports_a_missing_database_and_broker(make_settings, bus, tokens):
    rt = bootstrap(make_settings("identity"), transport=bus)
    client = create_app(rt, verifier=tokens.verifier).test_client()
    rt.engine = make_engine("sqlite:////nonexistent-dir/identity.sqlite3")
    rt.transport = AmqpTransport("amqp://guest:guest@127.0.0.1:9//", confirm_timeout=1)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "not_ready", "checks": {"database": False, "broker": False}}
    assert client.get("/healthz").status_code == 200  # alive: a restart would not help
    assert client.get("/metrics").status_code == 200  # a scrape never fails

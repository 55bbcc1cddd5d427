"""Prometheus metrics per app (own registry, so several apps can share one process)."""
from __future__ import annotations

import time

from flask import Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select


class _PlatformCollector:
    def __init__(self, runtime):
        self.runtime = runtime

    def collect(self):
        rt = self.runtime
        backlog = GaugeMetricFamily("baokao_outbox_backlog", "Events committed but not yet "
                                    "published", labels=["service"])
        age = GaugeMetricFamily("baokao_outbox_oldest_unsent_seconds",
                                "Age of the oldest unpublished event", labels=["service"])
        parked = GaugeMetricFamily("baokao_dead_letters_parked",
                                   "Messages parked in the dead-letter store", labels=["service"])
        try:
            count, oldest = rt.relay.backlog()
            backlog.add_metric([rt.name], count)
            age.add_metric([rt.name], oldest)
            t = rt.tables.dead_letters
            with rt.engine.connect() as conn:
                n = conn.execute(select(func.count()).where(t.c.status == "parked")).scalar()
            parked.add_metric([rt.name], n)
        except Exception:  # noqa: BLE001 - a scrape must not fail because the DB is down
            pass
        yield backlog
        yield age
        yield parked


def install_metrics(app, runtime=None, name: str | None = None) -> None:
    """Request counts and latency per endpoint at ``/metrics``; with a service ``runtime`` also
    its outbox backlog and parked dead letters (the gateway and the sandbox have neither)."""
    name = name or runtime.name
    registry = CollectorRegistry()
    requests_total = Counter("baokao_http_requests_total", "HTTP requests",
                             ["service", "method", "endpoint", "status"], registry=registry)
    latency = Histogram("baokao_http_request_duration_seconds", "HTTP request latency",
                        ["service", "endpoint"], registry=registry)
    if runtime is not None:
        registry.register(_PlatformCollector(runtime))

    @app.before_request
    def _start():
        g._t0 = time.perf_counter()

    @app.after_request
    def _observe(resp):
        endpoint = request.endpoint or "unknown"
        if hasattr(g, "_t0"):
            latency.labels(name, endpoint).observe(time.perf_counter() - g._t0)
        requests_total.labels(name, request.method, endpoint, resp.status_code).inc()
        return resp

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")

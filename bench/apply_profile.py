"""Where one application's time goes in registration: SQL statements and CPU per request.

Run: ``.venv/bin/python -m bench.apply_profile [--n 300] [--profile 25]``.

A fresh PostgreSQL database, registration bootstrapped on it (demo catalog, in-memory bus), and
``--n`` ``POST /api/registration/applications`` through the Flask test client, each from a new
candidate with its own Idempotency-Key, spread over the demo forms (one in ten sent twice with
the same key, as a double click). Counts SQL statements per request with SQLAlchemy's
``before_cursor_execute`` event and the process's CPU time per request (``time.process_time``),
which load from other processes disturbs far less than wall-clock rates. With ``--profile K``
the K functions with the most cumulative time under cProfile are printed too.

Measures the service in-process (token check, marshmallow, service layer, one PostgreSQL
transaction, the view, JSON); gunicorn and the whole path are measured by bench.opening_day.
``--gateway`` measures the gateway's own share instead: the same requests through the gateway
app in-process, proxied to ``bench/_bare_app.py`` (a trivial upstream in another process).
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import threading
import time
import uuid
from collections import Counter

from bench._infra import fresh_database


def _forms(client, headers) -> list[dict]:
    out = []
    for e in client.get("/api/registration/exams").json:
        s = client.get(f"/api/registration/sittings/{e['sitting_id']}", headers=headers()).json
        for p in e["provinces"]:
            province = next(x for x in s["provinces"] if x["code"] == p["code"])
            for city in province["cities"]:
                for lv in s["levels"]:
                    out.append({"sitting_id": s["sitting_id"], "province": p["code"],
                                "city": city["code"], "level": lv["code"],
                                "specialty": lv["specialties"][0]["code"] if lv["specialties"]
                                else None, "subjects": [x["code"] for x in lv["subjects"]]})
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=300, help="applications to measure")
    p.add_argument("--warm", type=int, default=30, help="applications before measuring")
    p.add_argument("--profile", type=int, default=0, help="print the top K functions (cProfile)")
    p.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime…")
    p.add_argument("--gateway", action="store_true", help="the gateway's CPU per proxied request")
    a = p.parse_args()
    if a.gateway:
        return gateway(a)

    from sqlalchemy import event

    from services.common.bus.memory import InMemoryBus
    from services.common.config import Settings
    from services.registration.bootstrap import bootstrap
    from services.registration.web import create_app
    from tests.support.tokens import TestTokens

    tokens = TestTokens()
    with fresh_database() as url:
        import tempfile
        from pathlib import Path
        settings = Settings("registration", data_dir=Path(tempfile.mkdtemp()), database_url=url,
                            amqp_url=None, production=False)
        rt = bootstrap(settings, transport=InMemoryBus((10,)))
        client = create_app(rt, verifier=tokens.verifier).test_client()
        statements: list[str] = []

        @event.listens_for(rt.engine, "before_cursor_execute")
        def _count(conn, cursor, statement, params, context, executemany):
            if threading.current_thread().name != "outbox-notify":  # after commit, not in it
                statements.append(statement)

        forms = _forms(client, lambda: tokens.headers(sub=str(uuid.uuid4())))
        rng = random.Random(2026)

        def one(i: int) -> list:
            sub = str(uuid.uuid4())
            headers = tokens.headers(sub=sub)
            headers["Idempotency-Key"] = str(uuid.uuid4())
            body = rng.choice(forms)
            copies = 2 if i % 10 == 9 else 1
            return [client.post("/api/registration/applications", json=body, headers=headers)
                    for _ in range(copies)]

        for i in range(a.warm):
            one(i)
        statements.clear()
        per_request: list[int] = []
        cpu: list[float] = []
        statuses: Counter = Counter()
        profiler = cProfile.Profile(time.process_time) if a.profile else None  # CPU, not wall
        requests = 0
        started = time.perf_counter()
        for i in range(a.n):
            before = len(statements)
            t0 = time.process_time()
            if profiler:
                profiler.enable()
            answers = one(i)
            if profiler:
                profiler.disable()
            cpu.append((time.process_time() - t0) * 1000 / len(answers))
            per_request.append((len(statements) - before) // len(answers))
            requests += len(answers)
            statuses.update(r.status_code for r in answers)
            if i % 10 == 9 and len({r.json.get("id") for r in answers}) != 1:
                raise SystemExit(f"double click made two applications: {[r.json for r in answers]}")
        wall = time.perf_counter() - started
        kinds = Counter(s.split(None, 1)[0].upper() for s in statements)
        print(f"{requests} requests ({a.n} candidates, every 10th double-clicks), {len(forms)} "
              f"forms, statuses {dict(statuses)}")
        print(f"SQL statements per request: mean {len(statements) / requests:.1f}, "
              f"median {statistics.median(per_request)}, by kind {dict(kinds)}")
        print(f"CPU ms per request: mean {statistics.fmean(cpu):.1f}, median "
              f"{statistics.median(cpu):.1f}, p95 {sorted(cpu)[int(0.95 * len(cpu))]:.1f}; "
              f"wall {wall * 1000 / requests:.1f} ms per request in one thread")
        if profiler:
            pstats.Stats(profiler).sort_stats(a.sort).print_stats(a.profile)
        rt.engine.dispose()


def gateway(a) -> None:
    """CPU per request of the gateway's proxy path, against a bare upstream."""
    import socket
    import subprocess
    import sys
    from pathlib import Path

    from bench.opening_day import wait_http
    from gateway import create_app
    from gateway.config import GatewayConfig
    from tests.support.tokens import TestTokens

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parent.parent
    upstream = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", str(root / "deploy" / "gunicorn.conf.py"),
         "bench._bare_app:app"], cwd=root, env={"PORT": str(port), "BIND_HOST": "127.0.0.1",
                                                 "GUNICORN_LOG_LEVEL": "warning", "PATH": ""},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(port, "/healthz")
        cfg = GatewayConfig(production=True, rate_limits=False)
        cfg.service_urls = {k: f"http://127.0.0.1:{port}" for k in cfg.service_urls}
        client = create_app(cfg).test_client()
        tokens = TestTokens()
        body = {"sitting_id": "2026-TJ", "province": "50", "city": "500103", "level": "02",
                "specialty": "01", "subjects": ["TJ201", "TJ202"]}
        reqs = [dict(json=body, headers={**tokens.headers(sub=str(uuid.uuid4())),
                                         "Idempotency-Key": str(uuid.uuid4())})
                for _ in range(a.warm + a.n)]
        for r in reqs[:a.warm]:
            client.post("/api/registration/applications", **r)
        profiler = cProfile.Profile(time.process_time) if a.profile else None  # CPU, not wall
        cpu: list[float] = []
        for r in reqs[a.warm:]:
            t0 = time.process_time()
            if profiler:
                profiler.enable()
            resp = client.post("/api/registration/applications", **r)
            if profiler:
                profiler.disable()
            cpu.append((time.process_time() - t0) * 1000)
            assert resp.status_code == 201, resp.data
        print(f"gateway: {a.n} proxied requests; CPU ms per request: mean "
              f"{statistics.fmean(cpu):.2f}, median {statistics.median(cpu):.2f}")
        if profiler:
            pstats.Stats(profiler).sort_stats(a.sort).print_stats(a.profile)
    finally:
        upstream.terminate()
        upstream.wait(10)


if __name__ == "__main__":
    main()

"""How many sign-ins per second can one process do with our Argon2id parameters, and how many
access-token checks per second does a downstream service do, next to a bare HMAC check?

Run: ``.venv/bin/python -m bench.identity [--seconds 5]``. A measurement, not a test: it prints
a table and writes bench/results/identity.{md,json}. Phases, each in this one process and
thread (one gunicorn sync worker serves one request at a time, so this is per worker):

(a) Argon2id verify alone (m=19 MiB, t=2, p=1: OWASP's minimum, what identity uses);
(b) a whole sign-in: POST /api/identity/tokens through the Flask app on SQLite (look-up by
    keyed hash, Argon2id verify, login history row, refresh token row, EdDSA-signed token);
(c) TokenVerifier.verify of an EdDSA access token with the key set cached (what every
    downstream service does per request, never calling identity);
(d) the floor: PyJWT HS256 decode, and a bare HMAC-SHA256 compare of the same bytes.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import jwt

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    meminfo = dict(line.split(":", 1) for line in open("/proc/meminfo"))
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "nproc": os.cpu_count(),
            "mem_total": meminfo["MemTotal"].strip(), "cpu_model": cpu,
            "python": platform.python_version(), "loadavg_start": os.getloadavg()[0]}


def rate(fn, seconds: float) -> dict:
    """Call ``fn`` repeatedly for ``seconds``; per-second rate and mean latency."""
    fn()  # warm up
    n, start = 0, time.perf_counter()
    cpu0 = time.process_time()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    return {"ops": n, "seconds": round(wall, 3), "per_second": round(n / wall, 1),
            "mean_ms": round(wall / n * 1000, 4), "cpu_ms_per_op": round(cpu / n * 1000, 4)}


def main() -> dict:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=5.0)
    a = p.parse_args()
    os.environ.setdefault("BAOKAO_DATA_DIR", tempfile.mkdtemp(prefix="bench-identity-"))
    from services.common.auth import TokenVerifier
    from services.common.config import Settings
    from services.identity.bootstrap import bootstrap
    from services.identity.service_layer.accounts import hasher
    from services.identity.web import create_app, ratelimit

    results: dict = {"machine": machine(), "argon2": {
        "memory_cost_kib": hasher.memory_cost, "time_cost": hasher.time_cost,
        "parallelism": hasher.parallelism}, "phases": {}}
    stored = hasher.hash("Kao!shi#Ren7")
    results["phases"]["a_argon2id_verify"] = rate(lambda: hasher.verify(stored, "Kao!shi#Ren7"),
                                                  a.seconds)

    data = Path(os.environ["BAOKAO_DATA_DIR"])
    rt = bootstrap(Settings("identity", data_dir=data, amqp_url=None, production=False))
    ratelimit.LIMITS["sign_in"] = (10 ** 9, 60)  # the per-IP limit would stop a benchmark
    client = create_app(rt).test_client()
    body = dict(username="benchuser1", password="Kao!shi#Ren7", name="张三",
                document_type="resident_id", document_number="11010519491231002X",
                phone=None, education={"level": "无"}, education_confirmed=True,
                agreement_version="2026-01")
    assert client.post("/api/identity/candidates", json=body).status_code == 201
    login = {"login": "benchuser1", "password": "Kao!shi#Ren7"}
    tokens = client.post("/api/identity/tokens", json=login).get_json()

    def sign_in():
        assert client.post("/api/identity/tokens", json=login).status_code == 200
    results["phases"]["b_sign_in_http"] = rate(sign_in, a.seconds)

    verifier = TokenVerifier(jwks_provider=rt.services["keys"].jwks)
    token = tokens["access_token"]
    results["phases"]["c_eddsa_token_verify"] = rate(lambda: verifier.verify(token), a.seconds)

    secret = os.urandom(32)
    claims = jwt.decode(token, options={"verify_signature": False})
    hs = jwt.encode(claims, secret, algorithm="HS256")
    results["phases"]["d1_hs256_jwt_decode"] = rate(lambda: jwt.decode(
        hs, secret, algorithms=["HS256"], audience=claims["aud"], issuer=claims["iss"]), a.seconds)
    signing_input, _, sig = hs.rpartition(".")
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    results["phases"]["d2_bare_hmac_sha256"] = rate(lambda: hmac.compare_digest(
        hmac.new(secret, signing_input.encode(), hashlib.sha256).digest(), mac), a.seconds)
    results["machine"]["loadavg_end"] = os.getloadavg()[0]
    write(results)
    return results


LABELS = {
    "a_argon2id_verify": "(a) Argon2id verify (m=19 MiB, t=2, p=1)",
    "b_sign_in_http": "(b) whole sign-in, POST /api/identity/tokens",
    "c_eddsa_token_verify": "(c) TokenVerifier.verify, EdDSA, cached JWKS",
    "d1_hs256_jwt_decode": "(d1) floor: PyJWT HS256 decode",
    "d2_bare_hmac_sha256": "(d2) floor: bare HMAC-SHA256 compare",
}


def write(results: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "identity.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    m = results["machine"]
    lines = ["# Identity benchmark", "",
             f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['mem_total']} RAM, Python "
             f"{m['python']}; load average {m['loadavg_start']:.2f} → {m['loadavg_end']:.2f} "
             f"(other processes share this machine). {m['date']}.", "",
             "One process, one thread: a gunicorn sync worker serves one request at a time, so "
             "the per-second figures are per worker; with W workers on C cores expect about "
             "min(W, C) times the Argon2-bound rates.", "",
             "| phase | ops/s | mean ms | CPU ms/op |", "|---|---:|---:|---:|"]
    for key, label in LABELS.items():
        r = results["phases"][key]
        lines.append(f"| {label} | {r['per_second']:,.1f} | {r['mean_ms']:.4f} | "
                     f"{r['cpu_ms_per_op']:.4f} |")
    ph = results["phases"]
    lines += ["", "Reading:", "",
              f"- Argon2id takes {ph['a_argon2id_verify']['mean_ms']:.0f} ms wall and "
              f"{ph['a_argon2id_verify']['cpu_ms_per_op']:.0f} ms CPU per check, "
              f"{ph['a_argon2id_verify']['cpu_ms_per_op'] / ph['b_sign_in_http']['cpu_ms_per_op']:.0%}"
              " of a whole sign-in's CPU (wall time above CPU time means the cores were shared). "
              "Sign-in capacity is planned in CPU cores; the per-IP limit and the captcha keep "
              "guessing from buying that CPU cheaply.",
              f"- A downstream service checks an EdDSA token in "
              f"{ph['c_eddsa_token_verify']['cpu_ms_per_op'] * 1000:.0f} µs of CPU, "
              f"{ph['c_eddsa_token_verify']['cpu_ms_per_op'] / ph['d1_hs256_jwt_decode']['cpu_ms_per_op']:.1f}× "
              "an HS256 JWT and about "
              f"{ph['c_eddsa_token_verify']['cpu_ms_per_op'] / ph['d2_bare_hmac_sha256']['cpu_ms_per_op']:.0f}× "
              "a bare HMAC; negligible next to a database query, and "
              "it needs no shared secret and no call to identity.", ""]
    (RESULTS / "identity.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

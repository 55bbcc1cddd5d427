"""Production mode on one machine (``make up`` / ``make down`` / ``make status``).

Each service under gunicorn in its own process, each worker (relay + consumers) in its own
process, the sandbox provider and the gateway; RabbitMQ and PostgreSQL from environment URLs
(defaults: the servers every dev machine runs), a database per service created when missing.
Every process shares one data directory, so key files made there once (certificates' signing
passphrase, the personal-data keys of identity, registration and certificates) are shared too;
set ``BAOKAO_CERTIFICATES_KEY_PASSPHRASE`` / ``BAOKAO_REGISTRATION_KEY_PASSPHRASE`` (or the
``…_PII_KEYS``) in the environment to use your own.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from services.common.config import PORTS, SERVICES

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("BAOKAO_STATE_DIR", ROOT / "var" / "production")).resolve()
PIDS = STATE / "pids.json"
DEFAULTS = {
    "BAOKAO_MODE": "production",
    "BAOKAO_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "BAOKAO_DATABASE_URL_TEMPLATE": "postgresql://postgres@127.0.0.1:5432/baokao_{service}",
    "BAOKAO_REDIS_URL": "redis://127.0.0.1:6379/0",
    "BAOKAO_DATA_DIR": str(STATE / "data"),
    "BIND_HOST": "127.0.0.1",
}


def service_secrets() -> dict[str, str]:
    """Client secrets for service-to-service calls, made once for this machine (0600 file in
    the state directory) unless the environment sets ``BAOKAO_SERVICE_SECRET_<NAME>``."""
    from services.common.service_auth import new_secret
    path = STATE / "service-secrets.json"
    if not path.exists():
        STATE.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({f"BAOKAO_SERVICE_SECRET_{n.upper()}": new_secret() for n in SERVICES}, f)
    return json.loads(path.read_text())


def environment() -> dict[str, str]:
    env = dict(os.environ)
    for k, v in {**DEFAULTS, **service_secrets()}.items():
        env.setdefault(k, v)
    env["PYTHONPATH"] = str(ROOT)
    return env


def processes() -> list[tuple[str, list[str], dict[str, str]]]:
    py, gunicorn = sys.executable, str(Path(sys.executable).with_name("gunicorn"))
    conf = str(ROOT / "deploy" / "gunicorn.conf.py")
    procs = []
    for name in SERVICES:
        procs.append((f"{name}-web", [gunicorn, "-c", conf, f"services.{name}.web.wsgi:app"],
                      {"PORT": str(PORTS[name])}))
        procs.append((f"{name}-worker", [py, "-m", f"services.{name}.worker"], {}))
    procs.append(("sandbox", [gunicorn, "-c", conf, "services.payment.sandbox.wsgi:app"],
                  {"PORT": str(PORTS["sandbox"]), "GUNICORN_WORKERS": "1"}))
    procs.append(("gateway", [gunicorn, "-c", conf, "gateway.wsgi:app"],
                  {"PORT": str(PORTS["gateway"])}))
    return procs


def wait_ready(timeout: float = float(os.environ.get("BAOKAO_READY_TIMEOUT", "180"))) -> dict[str, bool]:
    targets = {n: f"http://127.0.0.1:{PORTS[n]}/readyz" for n in (*SERVICES, "gateway")}
    targets["sandbox"] = f"http://127.0.0.1:{PORTS['sandbox']}/healthz"
    deadline = time.monotonic() + timeout
    ready: dict[str, bool] = {}
    while time.monotonic() < deadline:
        for name, url in targets.items():
            if not ready.get(name):
                try:
                    ready[name] = requests.get(url, timeout=2).status_code == 200
                except requests.RequestException:
                    ready[name] = False
        if all(ready.values()):
            break
        time.sleep(0.5)
    return ready


def up() -> int:
    if PIDS.exists():
        print("already running (make down first)")
        return 1
    env = environment()
    (STATE / "logs").mkdir(parents=True, exist_ok=True)
    print("preparing databases and demo data…", flush=True)
    subprocess.run([sys.executable, "-m", "deploy.seed"], env=env, cwd=ROOT, check=True)
    pids = {}
    for name, cmd, extra in processes():
        log = open(STATE / "logs" / f"{name}.log", "ab")
        proc = subprocess.Popen(cmd, env={**env, **extra}, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        pids[name] = proc.pid
    PIDS.write_text(json.dumps(pids, indent=2))
    ready = wait_ready()
    for name, ok in ready.items():
        print(f"  {name:<14} {'ready' if ok else 'NOT READY'}")
    if not all(ready.values()):
        print(f"some processes are not ready; logs in {STATE / 'logs'}")
        down()
        return 1
    print("Baokao is running in production mode: http://127.0.0.1:8000  (make down to stop)")
    return 0


def down() -> int:
    if not PIDS.exists():
        print("not running")
        return 0
    pids = json.loads(PIDS.read_text())
    for pid in pids.values():
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 20
    for pid in pids.values():
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
                time.sleep(0.2)
            except ProcessLookupError:
                break
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    PIDS.unlink()
    print("stopped")
    return 0


def status() -> int:
    if not PIDS.exists():
        print("not running")
        return 1
    for name, ok in wait_ready(timeout=3).items():
        print(f"  {name:<14} {'ready' if ok else 'not ready'}")
    return 0


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "status"
    sys.exit({"up": up, "down": down, "status": status}[action]())

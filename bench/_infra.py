"""Throw-away broker vhosts and databases, and a description of the machine a run used.

Every benchmark runs against the local servers but in its own vhost and database, removed
afterwards, so a run leaves nothing behind and never touches the services' own data.
"""
from __future__ import annotations

import os
import platform
import subprocess
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import urlparse

AMQP_BASE = os.environ.get("BAOKAO_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
PG_BASE = os.environ.get("BAOKAO_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _ctl(*args: str) -> str:
    return subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@contextmanager
def fresh_vhost():
    """Yield an amqp:// URL of a new vhost; the vhost (and its queues) is deleted afterwards."""
    name = f"bench-{uuid.uuid4().hex[:10]}"
    u = urlparse(AMQP_BASE)
    _ctl("add_vhost", name)
    try:
        _ctl("set_permissions", "-p", name, u.username or "guest", ".*", ".*", ".*")
        yield u._replace(path=f"/{name}").geturl()
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True)


@contextmanager
def fresh_database():
    """Yield a postgresql:// URL of a new database, dropped (with force) afterwards."""
    import psycopg
    name = f"bench_{uuid.uuid4().hex[:10]}"
    u = urlparse(PG_BASE)
    admin = u._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield u._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine() -> dict:
    """Size of the machine and versions of the servers, printed next to every result."""
    import psycopg
    meminfo = dict(line.split(":", 1) for line in open("/proc/meminfo"))
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    try:
        rabbit = _ctl("version")
    except Exception as exc:  # noqa: BLE001 - still print the rest
        rabbit = f"unknown ({exc})"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        fsync = conn.execute("SHOW fsync").fetchone()[0]
        sync_commit = conn.execute("SHOW synchronous_commit").fetchone()[0]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "mem_total": meminfo["MemTotal"].strip(),
        "cpu_model": cpu,
        "python": platform.python_version(),
        "rabbitmq": rabbit,
        "postgresql": pg,
        "pg_fsync": fsync,
        "pg_synchronous_commit": sync_commit,
        "loadavg_start": load(),
    }


def load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])

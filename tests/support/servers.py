"""Real PostgreSQL and RabbitMQ for integration tests.

Order of preference: the servers named by environment variables (the dev and CI machines run
both on 127.0.0.1), then testcontainers where a Docker engine exists, else skip -- except under
``CI=true``, where a missing server fails the test instead of skipping it.
"""
from __future__ import annotations

import os
import socket
import subprocess
import uuid
from urllib.parse import urlparse

import pytest

PG_URL = os.environ.get("BAOKAO_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
AMQP_URL = os.environ.get("BAOKAO_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _reachable(url: str) -> bool:
    u = urlparse(url)
    try:
        with socket.create_connection((u.hostname, u.port), timeout=2):
            return True
    except OSError:
        return False


def _docker_available() -> bool:
    try:
        import docker
        docker.from_env().ping()
        return True
    except Exception:  # noqa: BLE001
        return False


def unavailable(what: str) -> None:
    message = f"{what} is not reachable"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}, and under CI=true integration tests must not be skipped")
    pytest.skip(message)


def postgres_base_url() -> str:
    if _reachable(PG_URL):
        return PG_URL
    if _docker_available():  # pragma: no cover - no Docker engine on the dev machines
        from testcontainers.postgres import PostgresContainer
        container = PostgresContainer("postgres:16")
        container.start()
        return container.get_connection_url().replace("+psycopg2", "")
    unavailable(f"PostgreSQL at {PG_URL}")


def fresh_database(base_url: str) -> str:
    """A new, empty database on the server of ``base_url``; returns its URL."""
    import psycopg
    name = f"bk_{uuid.uuid4().hex[:12]}"
    u = urlparse(base_url)
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return u._replace(path=f"/{name}").geturl()


def drop_database(url: str) -> None:
    import psycopg
    u = urlparse(url)
    admin = u._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.path[1:]}" WITH (FORCE)')


def rabbitmq_base_url() -> str:
    if _reachable(AMQP_URL):
        return AMQP_URL
    unavailable(f"RabbitMQ at {AMQP_URL}")


def fresh_vhost(base_url: str) -> tuple[str, str]:
    """A new vhost (like nameko's per-test vhost) so tests never share queues; (url, name)."""
    name = f"bk-{uuid.uuid4().hex[:10]}"
    user = urlparse(base_url).username or "guest"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", name, user, ".*", ".*", ".*"],
                   check=True, capture_output=True)
    u = urlparse(base_url)
    return u._replace(path=f"/{name}").geturl(), name


def drop_vhost(name: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True)

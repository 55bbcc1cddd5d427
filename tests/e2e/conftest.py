"""Fixtures that run the platform as users meet it: embedded (one process) and production."""
from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from tests.e2e.browser import chromium, page  # noqa: F401  (fixtures for the browser tests)
from tests.e2e.platform import ROOT, RunningPlatform, base_env, free_offset, wait_for
from tests.support import servers
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture(scope="session")
def embedded(tmp_path_factory):
    """``python -m deploy.embedded`` in a subprocess with its own data directory and ports."""
    offset = free_offset()
    data = tmp_path_factory.mktemp("embedded")
    env = base_env(data / "data", offset)
    log = data / "platform.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "deploy.embedded"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    platform = RunningPlatform(f"http://127.0.0.1:{8000 + offset}", offset, env, log)
    try:
        wait_for(platform.base_url + "/readyz?upstreams=all", 90, proc, log)
        yield platform
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def production(tmp_path_factory, postgres_url, rabbitmq_url):
    """``deploy.supervisor up``: gunicorn per service, worker processes, PostgreSQL, RabbitMQ.

    Every process reaches RabbitMQ through a TCP proxy this test session controls, so a test
    can take the broker away from the platform without taking it from anyone else.
    """
    offset = free_offset()
    state = tmp_path_factory.mktemp("production")
    direct_url, vhost = servers.fresh_vhost(rabbitmq_url)
    proxy = TcpProxy()
    vhost_url = proxy.url(direct_url)
    prefix = f"bk{uuid.uuid4().hex[:8]}"
    pg = postgres_url.rsplit("/", 1)[0]
    env = base_env(state / "data", offset, BAOKAO_MODE="production", BAOKAO_STATE_DIR=str(state),
                   BAOKAO_AMQP_URL=vhost_url, BAOKAO_DATABASE_URL_TEMPLATE=f"{pg}/{prefix}_{{service}}",
                   BAOKAO_RATE_LIMITS="1", GUNICORN_WORKERS="1", GUNICORN_THREADS="8")
    if servers._reachable("redis://127.0.0.1:6379"):  # rate limits shared by gunicorn workers
        env["BAOKAO_REDIS_URL"] = f"redis://127.0.0.1:6379/{1 + offset % 15}"
    up = subprocess.run([sys.executable, "-m", "deploy.supervisor", "up"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=420)
    platform = RunningPlatform(f"http://127.0.0.1:{8000 + offset}", offset, env,
                               state / "logs" / "gateway.log")
    platform.proxy, platform.amqp_url = proxy, direct_url
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield platform
    finally:
        subprocess.run([sys.executable, "-m", "deploy.supervisor", "down"], cwd=ROOT, env=env,
                       capture_output=True, timeout=60)
        proxy.close()
        servers.drop_vhost(vhost)
        from services.common.config import SERVICES
        for service in SERVICES:
            servers.drop_database(f"{pg}/{prefix}_{service}")

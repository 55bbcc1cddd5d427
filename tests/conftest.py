"""Fixtures every tier shares. Service tests run each service on SQLite with its own bus."""
from __future__ import annotations

import pytest

from services.common.bus.memory import InMemoryBus
from services.common.config import Settings
from tests.support import servers
from tests.support.tokens import TestTokens


@pytest.fixture
def tokens() -> TestTokens:
    return TestTokens()


@pytest.fixture
def bus() -> InMemoryBus:
    bus = InMemoryBus(retry_delays_ms=(10, 20, 40))
    yield bus
    bus.stop()


@pytest.fixture
def make_settings(tmp_path):
    """Settings for one service in a throw-away data directory (SQLite file inside it)."""
    def make(service: str, **overrides) -> Settings:
        s = Settings(service, data_dir=tmp_path / "data", amqp_url=None, production=False,
                     retry_delays_ms=(10, 20, 40))
        for k, v in overrides.items():
            setattr(s, k, v)
        return s
    return make


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return servers.postgres_base_url()


@pytest.fixture
def pg_database(postgres_url):
    url = servers.fresh_database(postgres_url)
    yield url
    servers.drop_database(url)


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    return servers.rabbitmq_base_url()


@pytest.fixture
def amqp_vhost(rabbitmq_url):
    url, name = servers.fresh_vhost(rabbitmq_url)
    yield url
    servers.drop_vhost(name)

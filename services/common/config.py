"""Settings read from the environment, one object per process.

Embedded mode needs no variables at all: SQLite files under ``BAOKAO_DATA_DIR`` and the
in-process bus. Production sets ``BAOKAO_AMQP_URL`` and a database URL per service.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("identity", "verification", "registration", "payment", "certificates")
BASE_PORTS = {"gateway": 8000, "identity": 8101, "verification": 8102, "registration": 8103,
              "payment": 8104, "certificates": 8105, "sandbox": 8106}
# BAOKAO_PORT_OFFSET shifts every port, so tests can run a whole platform beside `make run`.
PORT_OFFSET = int(os.environ.get("BAOKAO_PORT_OFFSET", "0") or 0)
PORTS = {name: port + PORT_OFFSET for name, port in BASE_PORTS.items()}


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def service_url(name: str) -> str:
    """Base URL another process uses to reach service ``name`` over HTTP."""
    return _env(f"BAOKAO_{name.upper()}_URL", f"http://127.0.0.1:{PORTS[name]}")


def database_url(service: str, data_dir: Path) -> str:
    """Per-service URL: explicit, else a template with ``{service}``, else a SQLite file."""
    explicit = _env(f"BAOKAO_{service.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    template = _env("BAOKAO_DATABASE_URL_TEMPLATE")
    if template:
        return template.format(service=service)
    return f"sqlite:///{data_dir / (service + '.sqlite3')}"


@dataclass
class Settings:
    service: str
    data_dir: Path = field(default_factory=lambda: Path(_env("BAOKAO_DATA_DIR", "var")).resolve())
    database_url: str = ""
    amqp_url: str | None = field(default_factory=lambda: _env("BAOKAO_AMQP_URL"))
    production: bool = field(default_factory=lambda: _env("BAOKAO_MODE", "embedded") == "production")
    quorum_queues: bool = field(default_factory=lambda: _env("BAOKAO_QUORUM_QUEUES", "0") == "1")
    exchange: str = field(default_factory=lambda: _env("BAOKAO_EXCHANGE", "baokao.events"))
    retry_delays_ms: tuple[int, ...] = field(default_factory=lambda: tuple(
        int(x) for x in _env("BAOKAO_RETRY_DELAYS_MS", "1000,5000,30000").split(",")))
    relay_poll_seconds: float = field(
        default_factory=lambda: float(_env("BAOKAO_RELAY_POLL_SECONDS", "0.02")))
    confirm_timeout_seconds: float = field(
        default_factory=lambda: float(_env("BAOKAO_CONFIRM_TIMEOUT", "5")))
    secret_key: str = field(default_factory=lambda: _env("BAOKAO_SECRET_KEY", "dev-only-secret"))
    public_base_url: str = field(
        default_factory=lambda: _env("BAOKAO_PUBLIC_URL", f"http://127.0.0.1:{PORTS['gateway']}"))
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.database_url:
            self.database_url = database_url(self.service, self.data_dir)

    @property
    def source(self) -> str:
        """CloudEvents ``source`` attribute for events this service emits."""
        return f"/baokao/{self.service}"

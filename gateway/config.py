"""Gateway settings from the environment (embedded defaults need none)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from services.common.config import SERVICES, service_url


@dataclass
class GatewayConfig:
    production: bool = field(default_factory=lambda: os.environ.get("BAOKAO_MODE") == "production")
    secret_key: str = field(default_factory=lambda: os.environ.get("BAOKAO_SECRET_KEY", "dev-only-secret"))
    redis_url: str | None = field(default_factory=lambda: os.environ.get("BAOKAO_REDIS_URL") or None)
    sandbox_url: str = field(default_factory=lambda: service_url("sandbox"))
    service_urls: dict = field(default_factory=lambda: {s: service_url(s) for s in SERVICES})
    timeout_seconds: float = field(default_factory=lambda: float(os.environ.get("BAOKAO_UPSTREAM_TIMEOUT", "10")))
    rate_limits: bool = field(default_factory=lambda: os.environ.get("BAOKAO_RATE_LIMITS", "1") == "1")
    # Where the gateway keeps its few files (unsaved title-form sections when there is no Redis).
    data_dir: Path = field(default_factory=lambda: Path(
        os.environ.get("BAOKAO_DATA_DIR") or "var").resolve() / "gateway")

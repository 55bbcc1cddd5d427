"""Composition root of the identity service."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from services.common.config import Settings
from services.common.runtime import ServiceRuntime
from services.common.service_auth import accepted_clients
from services.identity.adapters import orm
from services.identity.adapters.messaging import SandboxGateway
from services.identity.adapters.pii import PiiCipher
from services.identity.adapters.tokens import KeyStore
from services.identity.domain.photos import DEFAULT_MAX_BYTES


def bootstrap(settings: Settings | None = None, transport=None, *, migrate: bool = True
              ) -> ServiceRuntime:
    settings = settings or Settings("identity")
    orm.start_mappers()
    runtime = ServiceRuntime(settings, orm.metadata, orm.tables, transport=transport,
                             migrations_dir=Path(__file__).parent / "migrations")
    cipher = PiiCipher.from_env_or_file(settings.data_dir, settings.production)
    orm.Encrypted.cipher = cipher
    runtime.services["cipher"] = cipher
    runtime.services["keys"] = KeyStore(runtime.engine)
    # Services' client ids → SHA-256 of their secrets (services/common/service_auth.py).
    runtime.services["service_clients"] = clients = accepted_clients(settings)
    if not clients:
        logging.getLogger(__name__).warning(
            "no service clients configured (BAOKAO_SERVICE_CLIENTS): service calls will fail")
    # Each TOTP code signs in once. Outside production the demo staff share a published secret,
    # so the check protects nothing there and would only stop demos signing in twice in 30 s.
    runtime.services["totp_replay_check"] = settings.production
    runtime.services["messages"] = SandboxGateway()  # SMS and mail: the sandbox adapters
    runtime.services["photo_max_bytes"] = int(os.environ.get(
        "BAOKAO_PHOTO_MAX_BYTES", settings.extra.get("photo_max_bytes", DEFAULT_MAX_BYTES)))
    if migrate:
        runtime.create_schema()
        runtime.services["keys"].ensure_active()
    from services.identity.worker import register
    register(runtime)
    return runtime

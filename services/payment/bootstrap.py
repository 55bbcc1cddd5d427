"""Composition root of the payment service."""
from __future__ import annotations

from pathlib import Path

from services.common.config import Settings
from services.common.runtime import ServiceRuntime
from services.payment.adapters import orm
from services.payment.adapters.alipay import AlipayProvider


def bootstrap(settings: Settings | None = None, transport=None, *, migrate: bool = True,
              provider=None, provider_http=None) -> ServiceRuntime:
    """``provider`` replaces the payment provider; ``provider_http`` only its HTTP client."""
    settings = settings or Settings("payment")
    orm.start_mappers()
    runtime = ServiceRuntime(settings, orm.metadata, orm.tables, transport=transport,
                             migrations_dir=Path(__file__).parent / "migrations")
    runtime.services["provider"] = provider or AlipayProvider.from_env(settings.data_dir,
                                                                       http=provider_http)
    if migrate:
        runtime.create_schema()
    from services.payment.worker import register
    register(runtime)
    return runtime

"""Composition root of the registration service."""
from __future__ import annotations

from pathlib import Path

from services.common.config import Settings
from services.common.holder_photos import HttpHolderPhotos
from services.common.runtime import ServiceRuntime
from services.registration.adapters import orm, pii


def bootstrap(settings: Settings | None = None, transport=None, *, migrate: bool = True,
              demo: bool = True) -> ServiceRuntime:
    settings = settings or Settings("registration")
    orm.start_mappers()
    runtime = ServiceRuntime(settings, orm.metadata, orm.tables, transport=transport,
                             migrations_dir=Path(__file__).parent / "migrations")
    from services.registration.adapters import catalog_cache
    from services.registration.service_layer.catalog import Snapshot
    # Catalog snapshots per process, checked against the catalog version on every request.
    catalog_cache.install(runtime.engine, runtime.session_factory, Snapshot)
    runtime.services["pii"] = cipher = pii.load(settings.data_dir, settings.production)
    pii.install(runtime.engine, cipher)  # title profiles' and applications' personal fields
    from services.common.config import service_url
    from services.registration.adapters.verification import (
        HttpVerification,
        ProjectedPhotoCheck,
    )
    runtime.services["verification"] = HttpVerification(service_url("verification"))
    runtime.services["photos"] = ProjectedPhotoCheck()
    # The locked photo the PDFs print, asked of identity with registration's service token.
    runtime.services["holder_photos"] = HttpHolderPhotos.for_service(settings)
    if migrate:
        runtime.create_schema()
        if demo:
            from services.registration.service_layer.demo import seed_if_empty
            seed_if_empty(runtime)
    from services.registration.worker import register
    register(runtime)
    return runtime

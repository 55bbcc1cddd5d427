"""Composition root of the verification service."""
from __future__ import annotations

from pathlib import Path

from services.common.config import Settings
from services.common.runtime import ServiceRuntime
from services.common.service_auth import service_client
from services.verification.adapters import orm
from services.verification.adapters.identity_documents import HttpCandidateDocuments
from services.verification.adapters.majors import MajorTableStore
from services.verification.adapters.registries import (
    MeteredRegistry,
    RegistrySwitches,
    SimulatedChsi,
    SimulatedDegreeRegistry,
    SimulatedPublicSecurity,
    SimulationConfig,
)
from services.verification.adapters.settings import review_config


def bootstrap(settings: Settings | None = None, transport=None, *, migrate: bool = True
              ) -> ServiceRuntime:
    settings = settings or Settings("verification")
    orm.start_mappers()
    runtime = ServiceRuntime(settings, orm.metadata, orm.tables, transport=transport,
                             migrations_dir=Path(__file__).parent / "migrations")
    runtime.services["review_config"] = review_config(settings)
    switches = RegistrySwitches(runtime.engine)
    runtime.services["registry_switches"] = switches
    runtime.services["education_registry"] = MeteredRegistry(SimulatedChsi(
        runtime.engine, SimulationConfig.from_settings(settings), switches), runtime.engine)
    config = SimulationConfig.from_settings(settings)
    runtime.services["degree_registry"] = MeteredRegistry(SimulatedDegreeRegistry(
        runtime.engine, config, switches), runtime.engine)
    runtime.services["identity_registry"] = MeteredRegistry(SimulatedPublicSecurity(
        runtime.engine, config, switches), runtime.engine)
    runtime.services["major_table"] = MajorTableStore(runtime.engine)
    # The identity check asks identity for the full document number with our service token.
    runtime.services["candidate_documents"] = HttpCandidateDocuments(service_client(
        settings, "identity", session=settings.extra.get("identity_session")))
    if migrate:
        runtime.create_schema()
        runtime.services["major_table"].seed_if_empty()
        for key in ("education_registry", "degree_registry", "identity_registry"):
            runtime.services[key].seed_if_empty()
    from services.verification.worker import register
    register(runtime)
    return runtime

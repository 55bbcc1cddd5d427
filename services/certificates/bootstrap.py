"""Composition root of the certificates service."""
from __future__ import annotations

import os
from pathlib import Path

from services.certificates.adapters import orm, pii
from services.certificates.adapters.keys import KeyStore, load_passphrase
from services.certificates.adapters.national_platform import (
    NationalConfig,
    NationalSwitch,
    SimulatedNationalPlatform,
)
from services.certificates.adapters.seal import SealStore
from services.common.config import Settings
from services.common.holder_photos import HttpHolderPhotos
from services.common.runtime import ServiceRuntime

SEAL_ORGANISATION = "报考平台证书签发机构"


def paper_only_exams() -> frozenset[str]:
    """Exam codes not yet on e-certificates (seed 004: only they get lost paper re-issued)."""
    spec = os.environ.get("BAOKAO_CERTIFICATES_PAPER_ONLY_EXAMS", "")
    return frozenset(x.strip().upper() for x in spec.split(",") if x.strip())


def bootstrap(settings: Settings | None = None, transport=None, *, migrate: bool = True
              ) -> ServiceRuntime:
    settings = settings or Settings("certificates")
    orm.start_mappers()
    runtime = ServiceRuntime(settings, orm.metadata, orm.tables, transport=transport,
                             migrations_dir=Path(__file__).parent / "migrations")
    passphrase = load_passphrase(settings.data_dir, settings.production)
    runtime.services["keys"] = KeyStore(runtime.engine, passphrase,
                                        settings.public_base_url.rstrip("/"))
    runtime.services["seals"] = SealStore(runtime.engine, passphrase, os.environ.get(
        "BAOKAO_CERTIFICATES_SEAL_ORGANISATION", SEAL_ORGANISATION))
    runtime.services["pii"] = pii.load(settings.data_dir, settings.production)
    runtime.services["holder_photos"] = HttpHolderPhotos.for_service(settings)
    runtime.services["national"] = SimulatedNationalPlatform(
        runtime.engine, NationalConfig.from_settings(settings), NationalSwitch(runtime.engine))
    runtime.services["paper_only_exams"] = settings.extra.get("paper_only_exams",
                                                              paper_only_exams())
    if migrate:
        runtime.create_schema()
        runtime.services["keys"].ensure_active()
        runtime.services["seals"].ensure()
    from services.certificates.worker import register
    register(runtime)
    return runtime

"""Long event ids on real PostgreSQL, which (unlike SQLite) enforces column lengths.

Each service's migrations run on a fresh database; then an event with a 100-character id goes
through its inbox, refused ones through its dead letters, and one longer than the tables keep
is parked at once instead of failing every retry and the parking too.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from sqlalchemy import select

from services.common.bus.base import Outgoing
from services.common.bus.memory import InMemoryBus
from services.common.config import SERVICES
from services.common.errors import PermanentFailure
from services.common.events import CloudEvent
from services.common.runtime import ServiceRuntime, WorkerHandle
from tests.integration import backbone_app
from tests.integration.backbone_app import EVENT

probe_contract = backbone_app.probe_contract  # fixture

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", SERVICES)
def test_long_event_ids_after_the_migrations(service, make_settings, pg_database, probe_contract):
    orm = importlib.import_module(f"services.{service}.adapters.orm")
    bus = InMemoryBus((10,))
    rt = ServiceRuntime(make_settings(service, database_url=pg_database), orm.metadata, orm.tables,
                        migrations_dir=ROOT / "services" / service / "migrations", transport=bus)
    handled: list[str] = []

    @rt.handler("longids", EVENT)
    def record(event, uow):
        if event.data["n"] < 0:
            raise PermanentFailure("negative")
        handled.append(event.id)

    try:
        rt.create_schema()
        WorkerHandle(rt).start(relay=False, jobs=False)
        ids = {"handled": "h" * 100, "refused": "r" * 150, "too_long": "x" * 250}
        for key, event_id in [*ids.items(), ("handled", ids["handled"])]:
            body = CloudEvent(id=event_id, source="/elsewhere", type=EVENT,
                              data={"n": -1 if key == "refused" else 1}).to_json().encode()
            bus.publish([Outgoing(event_id, EVENT, body)])
        assert bus.wait_idle(10)

        assert handled == [ids["handled"]]  # once, though delivered twice
        t = rt.tables
        with rt.engine.connect() as conn:
            assert conn.execute(select(t.inbox.c.event_id)).scalars().all() == [ids["handled"]]
            parked = {r.event_id: r for r in conn.execute(select(t.dead_letters))}
        assert set(parked) == {ids["refused"], ids["too_long"][:200]}
        assert "negative" in parked[ids["refused"]].error
        assert "at most 200 characters" in parked[ids["too_long"][:200]].error
    finally:
        bus.stop()
        rt.engine.dispose()

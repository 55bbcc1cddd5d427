"""The in-process catalog snapshot: applications stop re-reading the catalog, yet every change
an exam admin makes (in this process or another) applies to the very next request."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, update

from services.registration.adapters import catalog_cache, orm
from services.registration.bootstrap import bootstrap
from services.registration.web import create_app
from tests.service.registration.conftest import APPLY

READS_CATALOG = re.compile(r"\b(FROM|JOIN) (%s)\b" % "|".join(catalog_cache.CATALOG_TABLES))


def _statements(rt):
    seen: list[str] = []

    @event.listens_for(rt.engine, "before_cursor_execute")
    def _record(conn, cursor, statement, params, context, executemany):
        seen.append(" ".join(statement.split()))
    return seen


def test_a_second_application_reads_no_catalog_table(reg):
    assert reg.apply(sub="first").status_code == 201
    seen = _statements(reg.rt)
    r = reg.apply(sub="second")
    assert r.status_code == 201, r.json
    assert r.json["city_name"] == "渝中区" and r.json["level_name"] == "统计专业中级"
    catalog_reads = [s for s in seen if READS_CATALOG.search(s)]
    assert catalog_reads == [], catalog_reads
    assert any("FROM sequences" in s for s in seen)  # the version: one primary-key read


def test_an_admin_change_in_another_process_applies_to_the_next_request(reg, make_settings,
                                                                        bus, tokens):
    other_rt = bootstrap(make_settings("registration"), transport=bus, migrate=False)
    other = create_app(other_rt, verifier=tokens.verifier).test_client()
    try:
        def apply_in_other(sub):
            return other.post("/api/registration/applications", json=APPLY,
                              headers=reg.headers(sub))
        assert apply_in_other("c1").json["amount_fen"] == 10000  # snapshot now warm there
        r = reg.client.put("/api/registration/sittings/2026-TJ/fees/50",
                           json={"fee_per_subject_fen": 6000}, headers=reg.admin())
        assert r.status_code == 200, r.json
        assert apply_in_other("c2").json["amount_fen"] == 12000
        past = datetime.now(UTC) - timedelta(days=1)
        r = reg.client.put("/api/registration/sittings/2026-TJ/windows/50/application",
                           json={"start": (past - timedelta(days=9)).isoformat(),
                                 "end": past.isoformat()}, headers=reg.admin())
        assert r.status_code == 200, r.json
        refused = apply_in_other("c3")
        assert refused.status_code == 422 and refused.json["error"]["code"] == "window_closed"
    finally:
        other_rt.engine.dispose()


def test_only_a_committed_catalog_change_moves_the_version(reg):
    rt = reg.rt
    with rt.uow() as uow:
        before = catalog_cache.version(uow.session)
    with rt.uow() as uow:
        uow.session.execute(update(orm.sittings).where(orm.sittings.c.id == "2026-TJ")
                            .values(status="closed"))
        assert catalog_cache.version(uow.session) == before  # not before the commit
        uow.rollback()
    with rt.uow() as uow:
        assert catalog_cache.version(uow.session) == before
        assert reg.apply(sub="still-open").status_code == 201
    with rt.engine.begin() as conn:  # any writer through the engine, not only use cases
        conn.execute(update(orm.sittings).where(orm.sittings.c.id == "2026-TJ")
                     .values(status="closed"))
    with rt.uow() as uow:
        assert catalog_cache.version(uow.session) == before + 1
    r = reg.apply(sub="too-late")
    assert r.status_code == 422 and r.json["error"]["code"] == "sitting_closed"


def test_a_session_that_wrote_the_catalog_reads_its_own_change(reg):
    from services.registration.service_layer import catalog
    with reg.rt.uow() as uow:
        assert catalog.fee_per_subject(uow.session, "2026-TJ", "50") == 5000
        uow.session.execute(update(orm.sitting_provinces).where(
            orm.sitting_provinces.c.sitting_id == "2026-TJ").values(fee_per_subject_fen=7000))
        assert catalog.fee_per_subject(uow.session, "2026-TJ", "50") == 7000
        uow.commit()
        assert catalog.fee_per_subject(uow.session, "2026-TJ", "50") == 7000

"""A handler that keeps failing is retried, parked, shown on the dashboard and replayed once."""
from __future__ import annotations

import threading

from sqlalchemy import select, text

from services.common.events import CloudEvent
from services.identity.bootstrap import bootstrap
from services.identity.web import create_app
from tests.e2e.journey import eventually


def test_park_list_replay_and_audit(make_settings, bus, tokens):
    rt = bootstrap(make_settings("identity"), transport=bus)
    broken = threading.Event()
    broken.set()
    effects = []

    @rt.handler("flaky_probe", "verification.education.verified")
    def flaky(event, uow):
        if broken.is_set():
            raise RuntimeError("registry of notices is down")
        effects.append(event.id)

    sub = next(s for s in rt.subscriptions() if s.handler == "flaky_probe")
    bus.subscribe(sub)
    event = CloudEvent(id="ev-42", source="/baokao/verification", type="verification.education.verified",
                       data={"candidate_id": "c1", "check_id": "k1", "outcome": "passed",
                             "checked_at": "2026-11-23T10:00:00+00:00"})
    from services.common.bus.base import Outgoing
    bus.publish([Outgoing(event.id, event.type, event.to_json().encode())])
    assert bus.wait_idle(10)
    dl = rt.tables.dead_letters
    with rt.engine.connect() as conn:
        row = conn.execute(select(dl)).one()
    assert row.status == "parked" and row.attempts == 4 and "registry of notices is down" in row.error

    app = create_app(rt, verifier=tokens.verifier)
    client = app.test_client()
    admin = tokens.headers("u-admin", ("platform_admin",), username="opsadmin")
    page = client.get("/ops/identity/dead-letters/", headers=admin)
    assert page.status_code == 200 and "verification.education.verified" in page.get_data(as_text=True)
    auditor = tokens.headers("u-aud", ("auditor",), username="auditor")
    assert client.get("/ops/identity/dead-letters/", headers=auditor).status_code == 200
    assert client.post(f"/ops/identity/dead-letters/{row.id}/replay", headers=auditor).status_code == 403
    assert client.get("/ops/identity/dead-letters/",
                      headers=tokens.headers("c1", ("candidate",))).status_code == 403

    broken.clear()  # the cause is fixed; replay from the dashboard
    resp = client.post(f"/ops/identity/dead-letters/{row.id}/replay", headers=admin)
    assert resp.status_code == 302
    eventually(lambda: effects, timeout=10, what="replayed effect")
    again = client.post(f"/ops/identity/dead-letters/{row.id}/replay", headers=admin)
    assert again.status_code == 409  # already replayed: a double click does nothing
    assert bus.wait_idle(10) and effects == ["ev-42"]
    with rt.engine.connect() as conn:
        assert conn.execute(select(dl.c.status, dl.c.resolved_by)).one() == ("replayed", "opsadmin")
        audit = conn.execute(text("SELECT actor, action FROM audit_log")).all()
    assert ("opsadmin", "dead_letter.replay") in [tuple(a) for a in audit]

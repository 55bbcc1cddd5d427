"""Registration on real PostgreSQL: the migration, proofs (bytea), concurrent drafts with one
Idempotency-Key, and two workers racing to draw the same province's seats."""
from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.common.bus.memory import InMemoryBus
from services.registration.adapters import orm
from services.registration.adapters.verification import StaticVerification
from services.registration.bootstrap import bootstrap
from services.registration.service_layer import admit_cards
from services.registration.web import create_app

API = "/api/registration"
FORM = {"sitting_id": "2026-JJ", "province": "44", "city": "440100", "review_point": "44010001",
        "level": "02", "specialty": "01", "subjects": ["JJ201", "JJ202"], "exempt_subjects": [],
        "commitment_mode": False, "notice_accepted": True}


def test_flow_and_seat_draw_on_postgres(make_settings, pg_database, tokens):
    rt = bootstrap(make_settings("registration", database_url=pg_database),
                   transport=InMemoryBus((10,)))
    rt.services["verification"] = StaticVerification()
    client = create_app(rt, verifier=tokens.verifier).test_client()
    admin = tokens.headers(sub="admin", roles=("exam_admin",), username="kaowu")
    from tests.service.registration.conftest import FULL
    assert client.put(f"{API}/exams/JJ/settings", json=FULL, headers=admin).status_code == 200

    def draft(i, key=None):
        h = tokens.headers(sub=f"c{i}", roles=("candidate",))
        if key:
            h["Idempotency-Key"] = key
        return client.post(f"{API}/applications/drafts", json=FORM, headers=h)

    with ThreadPoolExecutor(max_workers=4) as pool:  # a double-clicked save, four times
        twins = list(pool.map(lambda _: draft(0, "same-key"), range(4)))
    assert {r.status_code for r in twins} <= {201, 409}
    assert len({r.json["id"] for r in twins if r.status_code == 201}) == 1

    def quick(key, sub="q1"):  # the quick path, double-clicked, on an exam with no commitment
        h = tokens.headers(sub=sub, roles=("candidate",))
        h["Idempotency-Key"] = key
        return client.post(f"{API}/applications", headers=h, json={
            "sitting_id": "2026-TJ", "province": "50", "city": "500103", "level": "02",
            "specialty": "01", "subjects": ["TJ201", "TJ202"]})

    with ThreadPoolExecutor(max_workers=4) as pool:
        twins = list(pool.map(lambda _: quick("k"), range(4)))
    assert {r.status_code for r in twins} <= {201, 409}, [r.json for r in twins]
    assert len({r.json["id"] for r in twins if r.status_code == 201}) == 1
    with ThreadPoolExecutor(max_workers=4) as pool:  # different keys: one wins, others 409
        racing = list(pool.map(lambda i: quick(f"k{i}", sub="q2"), range(4)))
    assert sorted(r.status_code for r in racing) == [201, 409, 409, 409], [r.json for r in racing]

    from services.common.events import CloudEvent, validate_data

    def deliver(type_, data, event_id):
        body = CloudEvent(id=event_id, source="/t", type=type_,
                          data=validate_data(type_, data)).to_json().encode()
        for sub in rt.subscriptions():
            if type_ in sub.event_types:
                sub.callback(body)

    for i in range(1, 7):  # identity's photo review passed for each candidate (seed 000)
        deliver("identity.photo.locked", {"candidate_id": f"c{i}", "photo_id": f"p{i}",
                                          "sha256": "0" * 64, "locked_by": "reviewer",
                                          "locked_at": datetime.now(UTC).isoformat()}, f"ph{i}")
    ids = []
    for i in range(1, 7):
        app = draft(i).json
        h = tokens.headers(sub=f"c{i}", roles=("candidate",))
        up = client.post(f"{API}/applications/{app['id']}/proofs", headers=h,
                         data={"file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "p.pdf"),
                               "kind": "education"}, content_type="multipart/form-data")
        assert up.status_code == 201, up.json
        assert client.post(f"{API}/applications/{app['id']}/confirm", headers=h).status_code == 200
        r = client.post(f"{API}/applications/{app['id']}/decision", headers=admin,
                        json={"outcome": "approve"})
        assert r.status_code == 200, r.json
        ids.append(app["id"])
    unpaid = ids.pop()  # c6 is approved but never pays
    for i, app_id in enumerate(ids, start=1):
        data = validate_data("payment.order.paid", {
            "order_number": f"O{i}", "application_id": app_id, "candidate_id": f"c{i}",
            "amount_fen": 10000, "paid_at": datetime.now(UTC).isoformat(),
            "provider_trade_no": f"T{i}", "confirmed_by": "notification"})
        body = CloudEvent(id=f"e{i}", source="/t", type="payment.order.paid", data=data).to_json()
        for sub in rt.subscriptions():
            if "payment.order.paid" in sub.event_types:
                sub.callback(body.encode())
    with rt.engine.begin() as conn:
        conn.execute(orm.windows.update().where(orm.windows.c.kind == "payment").values(
            ends_at=datetime.now(UTC) - timedelta(minutes=1)))
    with ThreadPoolExecutor(max_workers=3) as pool:  # three workers wake up together
        drawn = list(pool.map(lambda _: admit_cards.allocate_due(rt), range(3)))
    assert sum(drawn) == 4  # two allocation exams (JJ, JZ) × 2 provinces, each drawn once
    with rt.engine.connect() as conn:
        cards = conn.execute(select(orm.admit_cards)).all()
        draws = conn.execute(select(orm.seat_draws)).all()
    assert len(cards) == 5 and len({(c.room_id, c.seat) for c in cards}) == 5
    assert len(draws) == 4
    from services.registration.service_layer import expiry
    with ThreadPoolExecutor(max_workers=3) as pool:  # SKIP LOCKED: each application once
        expired = list(pool.map(lambda _: expiry.expire_unpaid_job(rt), range(3)))
    assert sum(expired) == 1
    with rt.engine.connect() as conn:
        states = dict(conn.execute(select(orm.applications.c.id, orm.applications.c.state)).all())
        events = conn.execute(select(rt.tables.outbox.c.type).where(
            rt.tables.outbox.c.type == "registration.application.expired")).all()
    assert states[unpaid] == "expired" and len(events) == 1
    assert all(states[i] == "admit_card_issued" for i in ids)
    rt.engine.dispose()

"""Verification on real PostgreSQL: the migration, a proof in bytea, and reviewers racing to
claim one item (the version column lets exactly one win; the others get 409)."""
from __future__ import annotations

import io
import uuid
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from services.common import clock
from services.common.bus.memory import InMemoryBus
from services.common.events import new_event, validate_data
from services.verification.bootstrap import bootstrap
from services.verification.web import create_app

OLD = {"level": "本科", "school": "重庆建筑大学", "major": "工业与民用建筑",
       "graduation_date": "1998-07-01", "certificate_number": "无", "study_mode": "全日制"}


def test_review_on_postgres(make_settings, pg_database, tokens):
    rt = bootstrap(make_settings("verification", database_url=pg_database,
                                 extra={"registry_latency_ms": 0, "identity_url": "http://127.0.0.1:9"}),
                   transport=InMemoryBus((10,)))
    client = create_app(rt, verifier=tokens.verifier).test_client()
    data = validate_data("identity.candidate.registered", {
        "candidate_id": "cand-pg", "username": "upg", "name": "钱进",
        "document_type": "resident_id", "document_number_masked": "5001**********0010",
        "birth_date": "1970-01-01", "education": OLD, "registered_at": clock.now().isoformat()})
    event = new_event(source="/baokao/identity", type="identity.candidate.registered",
                      data=data, subject="cand-pg", version=1, correlationid=str(uuid.uuid4()),
                      causationid=None)
    for sub in rt.subscriptions():
        if event.type in sub.event_types:
            sub.callback(event.to_json().encode())

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(buf, "JPEG")
    up = client.post("/api/verification/me/proofs", headers=tokens.headers(sub="cand-pg"),
                     data={"file": (io.BytesIO(buf.getvalue()), "证书.jpg")},
                     content_type="multipart/form-data")
    assert up.status_code == 201, up.json

    def reviewer(i):
        return tokens.headers(sub=f"r{i}", roles=("reviewer",), username=f"rev{i}",
                              scope={"province": "50"})

    [item] = client.get("/api/verification/review/items", headers=reviewer(0)).json
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: client.post(
            f"/api/verification/review/items/{item['id']}/claim", headers=reviewer(i)),
            range(4)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) == 1 and set(codes) == {200, 409}, codes
    winner = next(i for i, r in enumerate(results) if r.status_code == 200)
    proof = client.get(f"/api/verification/review/proofs/{up.json['id']}",
                       headers=reviewer(winner))
    assert proof.status_code == 200 and proof.data == buf.getvalue()
    done = client.post(f"/api/verification/review/items/{item['id']}/decision",
                       headers=reviewer(winner),
                       json={"outcome": "passed", "reason_code": "proof_consistent"})
    assert done.status_code == 200, done.json
    _every, job = rt.jobs["escalate_overdue_reviews"]
    assert job(rt) == {"escalated": 0}


def test_the_last_seat_of_an_on_site_slot_goes_to_one_of_four_racing_reviewers(
        make_settings, pg_database, tokens):
    rt = bootstrap(make_settings("verification", database_url=pg_database,
                                 extra={"registry_latency_ms": 0, "onsite_slot_capacity": 1}),
                   transport=InMemoryBus((10,)))
    client = create_app(rt, verifier=tokens.verifier).test_client()
    headers = []
    for i in range(4):
        data = validate_data("identity.candidate.registered", {
            "candidate_id": f"cand-{i}", "username": f"u{i}", "name": "钱进",
            "document_type": "resident_id", "document_number_masked": "5001**********0010",
            "birth_date": "1970-01-01", "education": OLD, "registered_at": clock.now().isoformat()})
        event = new_event(source="/baokao/identity", type="identity.candidate.registered",
                          data=data, subject=f"cand-{i}", version=1,
                          correlationid=str(uuid.uuid4()), causationid=None)
        for sub in rt.subscriptions():
            if event.type in sub.event_types:
                sub.callback(event.to_json().encode())
        headers.append(tokens.headers(sub=f"r{i}", roles=("reviewer",), username=f"rev{i}",
                                      scope={"province": "50"}))
    items = client.get("/api/verification/review/items", headers=headers[0]).json
    assert len(items) == 4
    for item, h in zip(items, headers):
        assert client.post(f"/api/verification/review/items/{item['id']}/claim",
                           headers=h).status_code == 200
    slot = {"review_point": "50010301", "place": "渝中区人事考试中心",
            "starts_at": "2030-03-05T09:00:00", "ends_at": "2030-03-05T11:00:00"}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda pair: client.post(
            f"/api/verification/review/items/{pair[0]['id']}/on-site", headers=pair[1],
            json=slot), zip(items, headers)))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409, 409, 409], codes
    assert {r.json["error"]["code"] for r in results if r.status_code == 409} == {"slot_full"}
    seats = client.get("/api/verification/review/on-site/slots", headers=headers[0]).json
    assert [(s["booked"], s["capacity"]) for s in seats] == [(1, 1)]

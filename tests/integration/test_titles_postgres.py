"""Title applications on real PostgreSQL: the migration, attachments as bytea, twin requests
racing for the one live application, two clerks deciding at once, and the outbox."""
from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from services.common.bus.memory import InMemoryBus
from services.registration.bootstrap import bootstrap
from services.registration.web import create_app

API = "/api/registration/titles"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
INITIAL = {"application_type": "initial", "unit_id": "unit-yubei", "series": "工程技术",
           "title_name": "助理工程师", "title_level": "初级", "specialty": "建筑工程", "pledge": True}


def test_initial_title_on_postgres(make_settings, pg_database, tokens):
    rt = bootstrap(make_settings("registration", database_url=pg_database),
                   transport=InMemoryBus((10,)))
    client = create_app(rt, verifier=tokens.verifier).test_client()
    me = tokens.headers(sub="pro-1", roles=("candidate",), name="罗洁")
    clerk = tokens.headers(sub="clerk", roles=("title_unit",), name="郑受理",
                           scope={"unit_id": "unit-yubei"})

    with ThreadPoolExecutor(max_workers=4) as pool:  # a quadruple click on 填写申报书
        twins = list(pool.map(lambda _: client.post(f"{API}/applications", json=INITIAL,
                                                    headers=me), range(4)))
    assert sorted(r.status_code for r in twins).count(201) == 1, [r.json for r in twins]
    assert {r.status_code for r in twins} <= {201, 409}
    app = next(r.json for r in twins if r.status_code == 201)

    client.put(f"{API}/profile", headers=me, json={
        "gender": "女", "birth_date": "1996-05-04", "phone": "13800138001",
        "employer": "重庆某设计院", "work_start_date": "2019-07-01"})
    client.put(f"{API}/applications/{app['id']}/sections/basic", headers=me, json={
        "gender": "女", "birth_date": "1996-05-04", "phone": "13800138001",
        "employer": "重庆某设计院", "work_start_date": "2019-07-01"})
    for section, body in (
            ("education", {"items": [{"start": "2015-09-01", "school": "重庆大学"}]}),
            ("work_history", {"items": [{"start": "2019-07-01", "employer": "重庆某设计院"}]}),
            ("probation_summary", {"text": "见习期小结"})):
        assert client.put(f"{API}/applications/{app['id']}/sections/{section}", headers=me,
                          json=body).status_code == 200
    up = client.post(f"{API}/applications/{app['id']}/attachments", headers=me,
                     data={"file": (io.BytesIO(PDF), "a.pdf"), "label": "学历学位证书"},
                     content_type="multipart/form-data")
    assert up.status_code == 201
    got = client.get(f"{API}/applications/{app['id']}/attachments/{up.json['id']}", headers=me)
    assert got.data == PDF
    assert client.post(f"{API}/applications/{app['id']}/submit", headers=me).status_code == 200

    with ThreadPoolExecutor(max_workers=2) as pool:  # two clerks click 审核通过 together
        both = list(pool.map(lambda _: client.post(f"{API}/applications/{app['id']}/approve",
                                                   json={}, headers=clerk), range(2)))
    assert sorted(r.status_code for r in both) == [200, 409], [r.json for r in both]

    t = rt.tables.outbox
    with rt.engine.connect() as conn:
        types = [json.loads(r.payload)["type"] for r in conn.execute(
            select(t.c.payload).order_by(t.c.position))]
    assert types.count("registration.title_application.decided") == 1
    assert types.count("registration.title_application.submitted") == 1
    rt.engine.dispose()

"""Certificates on real PostgreSQL: the migration, row locks, upserts and binary columns."""
import io
import uuid
from datetime import date

from sqlalchemy import select

from services.certificates.adapters.orm import verification_counts
from services.certificates.bootstrap import bootstrap
from services.certificates.domain.model import Qualification
from services.certificates.service_layer import issuance
from services.certificates.web import create_app
from services.common.bus.memory import InMemoryBus

API = "/api/certificates"
PDF = b"%PDF-1.4\n%%EOF\n"


def test_changes_work_on_postgres(make_settings, pg_database, tokens):
    from tests.support.identity import URL, Identity
    identity = Identity(make_settings, InMemoryBus((10,)), tokens)  # holder photos (none here)
    rt = bootstrap(make_settings("certificates", database_url=pg_database,
                                 public_base_url="https://baokao.example",
                                 extra={"identity_url": URL, "identity_session": identity.session}),
                   transport=InMemoryBus((10,)))
    client = create_app(rt, verifier=tokens.verifier).test_client()
    holder = tokens.headers(sub="cand-pg", roles=("candidate",))

    def officer(sub):
        return tokens.headers(sub=sub, roles=("certificate_officer",))
    with rt.uow() as uow:
        numbers = []
        for _ in range(2):
            cert, _created = issuance.issue(uow, rt.services["keys"], "https://baokao.example", Qualification(
                qualification_id=f"q-{uuid.uuid4().hex[:8]}", candidate_id="cand-pg",
                holder_name="林晓", document_number_masked="110101**********1X", exam_code="JJS",
                exam_name="经济专业技术资格", level="中级", specialty=None, sitting_year=2026,
                issuing_authority="人力资源社会保障部", qualified_on=date(2026, 11, 20)))
            numbers.append(cert.number)
        uow.commit()
    a, b = numbers

    rid = client.post(f"{API}/{a}/revocations", json={"reason_code": "fraud", "reason": "资格无效的"},
                      headers=officer("o-1")).json["id"]
    assert client.post(f"{API}/revocations/{rid}/approve", headers=officer("o-1")).status_code == 409
    assert client.post(f"{API}/revocations/{rid}/approve", headers=officer("o-2")).status_code == 200
    for _ in range(2):
        assert client.get(f"{API}/verify", query_string={"number": a, "name": "林晓"}).json["status"] == "revoked"
    assert client.get(f"{API}/status/1").status_code == 200

    cid = client.post(f"{API}/{b}/corrections", headers=holder, content_type="multipart/form-data",
                      data={"kind": "name", "new_value": "林小晓", "proofs": [(io.BytesIO(PDF), "p.pdf")]}
                      ).json["id"]
    assert client.post(f"{API}/corrections/{cid}/approve", headers=officer("o-1")).json["version"] == 2
    assert client.get(f"{API}/verify", query_string={"number": b, "name": "林晓"}).json["status"] == "corrected"

    url = client.post(f"{API}/{b}/shares", json={"pin": "k8s2j9"}, headers=holder).json["url"]
    token = url.rsplit("/", 1)[1]
    assert client.post(f"{API}/shared/{token}", json={"pin": "wrong1"}).status_code == 403
    assert client.post(f"{API}/shared/{token}", json={"pin": "k8s2j9"}).status_code == 200

    mid = client.post(f"{API}/{b}/mailings", headers=holder, json={
        "recipient": "林晓", "address": "上海市浦东新区世纪大道 100 号", "phone": "13800138000"}).json["id"]
    assert client.post(f"{API}/mailings/{mid}/state", json={"state": "printed"},
                       headers=officer("o-1")).status_code == 200
    for state, extra in (("shipped", {"tracking_number": "EA123456789CN"}), ("delivered", {})):
        assert client.post(f"{API}/mailings/{mid}/state", json={"state": state, **extra},
                           headers=officer("o-1")).status_code == 200
    # A replacement's encrypted materials (bytea) on PostgreSQL, reviewed with an audited view.
    rt.services["paper_only_exams"] = frozenset({"JJS"})
    scan = b"\xff\xd8\xff\xe0IDSCAN\xff\xd9"
    rep = client.post(f"{API}/{b}/replacements", headers=holder, content_type="multipart/form-data",
                      data={"recipient": "林晓", "address": "上海市浦东新区世纪大道 100 号",
                            "phone": "13800138000", "reason": "lost", "id_document_type": "resident_id",
                            "application_form": (io.BytesIO(PDF), "a.pdf"),
                            "id_document": (io.BytesIO(scan), "id.jpg"),
                            "photo": (io.BytesIO(scan), "p.jpg")})
    assert rep.status_code == 201, rep.json
    [id_file] = [f for f in rep.json["materials"] if f["kind"] == "id_document"]
    assert client.get(f"{API}/replacements/{rep.json['id']}/materials/{id_file['id']}",
                      headers=officer("o-1")).data == scan
    assert client.post(f"{API}/replacements/{rep.json['id']}/approve",
                       headers=officer("o-2")).json["state"] == "requested"
    pdf = client.get(f"{API}/{b}/certificate.pdf", headers=holder)
    assert pdf.status_code == 200 and client.get(f"{API}/{b}/certificate.pdf", headers=holder).data == pdf.data
    with rt.engine.connect() as conn:
        counts = dict(conn.execute(select(verification_counts.c.channel, verification_counts.c.count)).all())
    assert counts == {"number": 3, "share": 1}
    rt.engine.dispose()

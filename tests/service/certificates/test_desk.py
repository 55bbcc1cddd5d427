"""The officers' desk: queues awaiting a (second) officer, mailing, batches, verifications chart."""
import io

from services.certificates.service_layer import batches

API = "/api/certificates"
PDF = b"%PDF-1.4\n%%EOF\n"


def page(svc, path, sub="officer-1", role="certificate_officer"):
    resp = svc.client.get(path, headers=svc.officer(sub, role))
    assert resp.status_code == 200, resp.data[:300]
    return resp.get_data(as_text=True)


def post(svc, path, data, sub="officer-1"):
    return svc.client.post(path, data=data, headers=svc.officer(sub))


def test_desk_shows_what_awaits_and_officers_decide_from_it(svc):
    a, b = svc.qualify()["number"], svc.qualify()["number"]
    svc.client.post(f"{API}/{b}/corrections", headers=svc.holder(), content_type="multipart/form-data",
                    data={"kind": "name", "new_value": "张三丰", "proofs": [(io.BytesIO(PDF), "p.pdf")]})
    svc.client.post(f"{API}/{b}/mailings", headers=svc.holder(), json={
        "recipient": "张三", "address": "北京市东城区某某街道 1 号院 2 楼", "phone": "13900139000"})
    resp = post(svc, f"/ops/certificates/{a}/revoke",
                {"reason_code": "issued_in_error", "reason": "重复发放的证书",
                 "back": f"/ops/certificates/{a}"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/ops/certificates/{a}")
    for _ in range(3):
        svc.verify(a)
    mine = page(svc, "/ops/certificates/desk")
    assert "须由他人复核" in mine and "重复发放的证书" in mine
    assert "张三 → <strong>张三丰</strong>" in mine and "139****9000" in mine and "13900139000" not in mine
    assert "近 30 天共 3 次" in mine and "<svg" in mine and "<script" not in mine
    other = page(svc, "/ops/certificates/desk", sub="officer-2")
    assert "复核并吊销" in other
    auditor = page(svc, "/ops/certificates/desk", sub="auditor-1", role="auditor")
    assert "复核并吊销" not in auditor and "批准并签发新版本" not in auditor

    rid = svc.client.get(f"{API}/revocations", headers=svc.officer()).json[0]["id"]
    same = post(svc, f"/ops/certificates/revocations/{rid}/approve", {})
    assert same.status_code == 409 and "另一名" in same.get_data(as_text=True)
    assert post(svc, f"/ops/certificates/revocations/{rid}/approve", {}, sub="officer-2").status_code == 302
    assert svc.verify(a)["status"] == "revoked"

    cid = svc.client.get(f"{API}/corrections", headers=svc.officer()).json[0]["id"]
    assert post(svc, f"/ops/certificates/corrections/{cid}/approve", {}).status_code == 302
    assert svc.verify(b, "张三丰")["certificate"]["version"] == 2
    mid = svc.client.get(f"{API}/mailings", headers=svc.officer()).json[0]["id"]
    assert post(svc, f"/ops/certificates/mailings/{mid}", {"state": "printed"}).status_code == 302
    detail = page(svc, f"/ops/certificates/{b}")
    assert "已补正（被新版本取代）" in detail and "已印制" in detail
    assert svc.client.post(f"/ops/certificates/mailings/{mid}", data={"state": "shipped"},
                           headers=svc.officer("a-1", "auditor")).status_code == 403


def test_batch_reissue_shows_progress(svc):
    q1 = svc.qualify()["_data"]["qualification_id"]
    q2 = svc.qualify()["_data"]["qualification_id"]
    resp = svc.client.post(f"{API}/batches", json={"qualification_ids": [q1, "q-unknown", q2, q1]},
                           headers=svc.officer())
    assert resp.status_code == 201 and resp.json["total"] == 3 and resp.json["percent"] == 0
    assert batches.work(svc.rt, svc.rt.services["seals"], "https://baokao.example", limit=2) == 2
    mid = svc.client.get(f"{API}/batches/{resp.json['id']}", headers=svc.officer()).json
    assert mid["percent"] == 66 and mid["finished_at"] is None
    batches.work(svc.rt, svc.rt.services["seals"], "https://baokao.example")
    done = svc.client.get(f"{API}/batches/{resp.json['id']}", headers=svc.officer()).json
    assert (done["done"], done["failed"], done["percent"]) == (2, 1, 100) and done["finished_at"]
    html = page(svc, f"/ops/certificates/batches/{resp.json['id']}")
    assert "未找到" in html and html.count("已签发") == 2
    form = post(svc, "/ops/certificates/batches", {"qualification_ids": f"{q1}\n{q2}"})
    assert form.status_code == 302 and "/ops/certificates/batches/" in form.headers["Location"]
    assert svc.client.post(f"{API}/batches", json={"qualification_ids": []},
                           headers=svc.officer()).status_code == 422

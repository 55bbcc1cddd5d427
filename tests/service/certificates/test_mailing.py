"""Paper certificates by post: request, printed → shipped → delivered, seed-004 replacement."""
from sqlalchemy import select

from services.certificates.adapters.orm import mailings

API = "/api/certificates"
ADDRESS = {"recipient": "张三", "address": "广东省广州市天河区体育西路 100 号 1201 室",
           "phone": "138 0013 8000"}


def ask(svc, number, **over):
    return svc.client.post(f"{API}/{number}/mailings", json=ADDRESS | over, headers=svc.holder())


def move(svc, mid, state, **extra):
    return svc.client.post(f"{API}/mailings/{mid}/state", json={"state": state, **extra},
                           headers=svc.officer())


def test_mailing_runs_printed_shipped_delivered_with_events(svc):
    n = svc.qualify()["number"]
    resp = ask(svc, n)
    assert resp.status_code == 201, resp.json
    m = resp.json
    assert m["state"] == "requested" and m["phone_masked"] == "138****8000" and "phone" not in m
    queue = svc.client.get(f"{API}/mailings", headers=svc.officer("a-1", "auditor")).json
    assert [q["id"] for q in queue] == [m["id"]] and queue[0]["phone_masked"] == "138****8000"
    assert move(svc, m["id"], "printed").json["state"] == "printed"
    no_tracking = move(svc, m["id"], "shipped")
    assert no_tracking.status_code == 422 and no_tracking.json["error"]["code"] == "tracking_required"
    shipped = move(svc, m["id"], "shipped", tracking_number="ea123456789cn")
    assert shipped.json["tracking_number"] == "EA123456789CN"
    assert move(svc, m["id"], "delivered").json["state"] == "delivered"
    [mine] = svc.client.get(f"{API}/{n}/mailings", headers=svc.holder()).json
    assert mine["state_label"] == "已签收" and mine["tracking_number"] == "EA123456789CN"
    events = svc.events("certificates.mailing.changed")
    assert [e.data["state"] for e in events] == ["requested", "printed", "shipped", "delivered"]
    assert events[2].data["tracking_number"] == "EA123456789CN"
    # no phone in events, masked or not (a bare "138" also occurs in timestamps' microseconds)
    assert not any(k.startswith("phone") for e in events for k in e.data)
    assert not any(x in str([e.data for e in events]) for x in ("13800138000", "138****8000"))


def test_address_and_phone_are_encrypted_at_rest(svc):
    n = svc.qualify()["number"]
    ask(svc, n)
    with svc.rt.engine.connect() as conn:
        row = conn.execute(select(mailings)).one()
    assert "13800138000" not in row.phone_enc and "天河区" not in row.address_enc
    assert svc.rt.services["pii"].decrypt(row.phone_enc) == "13800138000"


def test_wrong_transitions_and_bad_input_are_refused(svc):
    n = svc.qualify()["number"]
    mid = ask(svc, n).json["id"]
    skip = move(svc, mid, "delivered")
    assert skip.status_code == 409 and skip.json["error"]["code"] == "bad_transition"
    assert ask(svc, n).json["error"]["code"] == "mailing_active"
    assert move(svc, mid, "lost").status_code == 422
    assert svc.client.post(f"{API}/mailings/{mid}/state", json={"state": "printed"},
                           headers=svc.holder()).status_code == 403
    other = svc.qualify()["number"]
    assert ask(svc, other, phone="12345").json["error"]["code"] == "bad_phone"
    assert ask(svc, other, address="广州").json["error"]["code"] == "bad_address"


def test_replacement_after_loss_follows_seed_004(svc):
    n = svc.qualify()["number"]
    mid = ask(svc, n).json["id"]
    for state, extra in (("printed", {}), ("shipped", {"tracking_number": "EA123456789CN"}),
                         ("delivered", {})):
        move(svc, mid, state, **extra)
    assert ask(svc, n).json["error"]["code"] == "already_delivered"
    refused = ask(svc, n, kind="replacement", reason="lost")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "replacement_not_offered"
    assert "电子证书" in refused.json["error"]["message"]
    svc.rt.services["paper_only_exams"] = frozenset({"JJS"})  # an exam not on e-certificates
    assert ask(svc, n, kind="replacement").status_code == 422  # reason needed
    json_only = ask(svc, n, kind="replacement", reason="lost")  # the materials are multipart
    assert json_only.status_code == 422 and json_only.json["error"]["code"] == "materials_required"
    fresh = svc.qualify()["number"]
    assert ask(svc, fresh, kind="replacement", reason="damaged").json["error"]["code"] == "nothing_to_replace"

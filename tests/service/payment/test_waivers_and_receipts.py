"""Fee waivers (seed 001) with proof checked by content, and e-receipts (seed 004) as PDF."""
from __future__ import annotations

import io
from urllib.parse import urlsplit

from sqlalchemy import select

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _ask(world, proof=PDF, name="proof.pdf", reason="低保家庭，已经办公室审核", sub="cand-1"):
    return world.client.post("/api/payment/applications/app-1/waiver",
                             data={"reason": reason, "proof": (io.BytesIO(proof), name)},
                             headers=world.headers(sub), content_type="multipart/form-data")


def _waiver_id(world):
    return world.client.get("/api/payment/applications/app-1/waiver",
                            headers=world.headers()).get_json()["id"]


def test_proof_is_checked_by_content_not_name(world):
    world.request_payment()
    r = _ask(world, proof=b"MZ\x90\x00 not a pdf", name="proof.pdf")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "proof_type"
    r = _ask(world, proof=b"%PDF" + b"x" * (5 * 1024 * 1024), name="big.pdf")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "proof_too_large"
    assert _ask(world, reason=" ").status_code == 422
    assert _ask(world, sub="cand-2").status_code == 404  # not my application
    r = _ask(world, proof=JPEG, name="x.png")
    assert r.status_code == 201 and r.get_json()["proof_type"] == "image/jpeg"
    assert r.get_json()["status_label"] == "待审核"
    assert _ask(world).status_code == 409  # one request at a time


def test_full_waiver_makes_a_zero_order_paid_without_the_provider(world):
    world.request_payment()
    old = world.order()["order_number"]
    assert _ask(world).status_code == 201
    wid = _waiver_id(world)
    page = world.client.get("/ops/payment/waivers", headers=world.finance())
    assert "低保家庭" in page.get_data(as_text=True)
    proof = world.client.get(f"/ops/payment/waivers/{wid}/proof", headers=world.finance())
    assert proof.data == PDF and proof.mimetype == "application/pdf"
    r = world.client.post(f"/ops/payment/waivers/{wid}/approve", data={"amount": "0"},
                          headers=world.finance())
    assert r.status_code == 302
    order = world.order()
    assert order["order_number"] != old and order["amount_fen"] == 0
    assert order["status"] == "paid"
    paid = world.events("payment.order.paid")
    assert paid[-1]["confirmed_by"] == "waiver" and paid[-1]["waiver_id"] == wid
    cancelled = world.events("payment.order.cancelled")
    assert cancelled[0]["order_number"] == old and cancelled[0]["replaced_by"] == order[
        "order_number"]
    mine = world.client.get("/api/payment/applications/app-1/waiver", headers=world.headers())
    assert mine.get_json()["status"] == "approved" and mine.get_json()["amount_fen"] == 0
    assert world.client.post(f"/ops/payment/waivers/{wid}/reject", data={"note": "x"},
                             headers=world.finance()).status_code == 409
    audit = world.rt.tables.audit_log
    with world.rt.engine.connect() as c:
        assert c.execute(select(audit).where(audit.c.action == "waiver.approved")).first()


def test_partial_waiver_is_paid_through_the_provider_and_survives_reconfirmation(world):
    world.request_payment(fee=5000, subjects=2)
    _ask(world)
    wid = _waiver_id(world)
    assert world.client.post(f"/ops/payment/waivers/{wid}/approve", data={"amount": "100.00"},
                             headers=world.finance()).status_code == 422  # not a reduction
    world.client.post(f"/ops/payment/waivers/{wid}/approve", data={"amount": "30.00"},
                      headers=world.finance())
    assert world.order()["amount_fen"] == 3000 and world.order()["status"] == "pending"
    world.request_payment(fee=5000, subjects=2)  # re-confirmed: the waiver still applies
    order = world.order()
    assert order["amount_fen"] == 3000
    world.pay(order["order_number"])
    assert world.order()["status"] == "paid"


def test_rejected_waiver_leaves_the_order(world):
    world.request_payment()
    _ask(world)
    wid = _waiver_id(world)
    assert world.client.post(f"/ops/payment/waivers/{wid}/reject", data={"note": ""},
                             headers=world.finance()).status_code == 422
    world.client.post(f"/ops/payment/waivers/{wid}/reject", data={"note": "材料不符"},
                      headers=world.finance())
    assert world.order()["amount_fen"] == 10000
    assert world.client.get("/api/payment/applications/app-1/waiver",
                            headers=world.headers()).get_json()["status_label"] == "未批准"


def test_receipt_pdf_for_a_paid_order_with_a_verifiable_qr(world):
    world.request_payment()
    number = world.order()["order_number"]
    r = world.client.get(f"/api/payment/orders/{number}/receipt.pdf", headers=world.headers())
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "order_not_paid"
    world.pay(number)
    r = world.client.get(f"/api/payment/orders/{number}/receipt.pdf", headers=world.headers())
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF") and len(r.data) > 1000
    assert world.client.get(f"/api/payment/orders/{number}/receipt.pdf",
                            headers=world.headers("cand-2")).status_code == 404
    from services.payment.service_layer.receipts import verification_url
    url = verification_url(world.rt.settings.public_base_url, world.rt.settings.secret_key,
                           "PJ" + number[2:])
    parts = urlsplit(url)
    check = world.client.get(f"{parts.path}?{parts.query}")
    body = check.get_json()
    assert check.status_code == 200 and body["valid"] and body["amount_fen"] == 10000
    forged = world.client.get(f"{parts.path}?c=0000000000000000")
    assert forged.status_code == 404


def test_paying_in_full_closes_a_waiting_waiver(world):
    world.request_payment()
    assert _ask(world).status_code == 201
    wid = _waiver_id(world)
    world.pay(world.order()["order_number"])  # the candidate did not wait for finance
    mine = world.client.get("/api/payment/applications/app-1/waiver", headers=world.headers())
    assert mine.get_json()["status"] == "closed"
    assert "已全额缴费" in mine.get_json()["decision_note"]
    queue = world.client.get("/ops/payment/waivers?status=requested", headers=world.finance())
    assert "低保家庭" not in queue.get_data(as_text=True)  # nothing left for finance to decide
    late = world.client.post(f"/ops/payment/waivers/{wid}/approve", data={"amount": "0"},
                             headers=world.finance())
    assert late.status_code in (302, 409)
    assert world.order()["status"] == "paid" and world.order()["amount_fen"] == 10000
    audit = world.rt.tables.audit_log
    with world.rt.engine.connect() as conn:
        actions = conn.execute(select(audit.c.action).where(audit.c.target == wid)).scalars().all()
    assert "waiver.closed_paid" in actions


def test_the_payment_sandbox_serves_metrics_too(world):
    world.sandbox_client.get("/healthz")
    resp = world.sandbox_client.get("/metrics")
    assert resp.status_code == 200 and 'service="sandbox"' in resp.get_data(as_text=True)

"""Embedded mode end to end: the identity check runs over service credentials, the admit card
prints the photo registration asks identity for, and the internal routes are no use to a person
even through the gateway."""
from __future__ import annotations

import pytest
import requests

from tests.e2e.journey import Client, apply, eventually, make_id, pay_through_sandbox

pytestmark = pytest.mark.e2e


def test_a_sign_up_is_checked_with_public_security_through_identity(embedded):
    import uuid
    base = embedded.base_url
    staff = Client(base).sign_in("examadmin")
    suffix = uuid.uuid4().hex[:6]
    number = make_id(int(suffix, 16) % 1000)
    known = staff.post("/api/verification/registry/identity",
                       json={"document_number": number, "name": "赵敏"})
    assert known.status_code in (201, 409), known.text
    cand = Client(base)
    body = {"username": f"zm{suffix}", "password": "Min!Zhao#Kao9", "name": "赵敏",
            "document_type": "resident_id", "document_number": number, "phone": None,
            "education_confirmed": True, "agreement_version": "2026-01",
            "education": {"level": "无"}}
    assert cand.post("/api/identity/candidates", json=body).status_code == 201
    cand.sign_in(body["username"], body["password"])
    check = eventually(lambda: [c for c in cand.get("/api/verification/me/checks").json()
                                if c["kind"] == "identity" and c["status"] != "checking"],
                       timeout=60, what="identity check decided")[0]
    assert check["status"] == "passed" and "公安部门核验一致" in check["reason"]
    # the candidate's own token opens no internal route (through the gateway either)
    me = cand.get("/api/identity/me").json()
    internal = cand.get(f"/api/identity/internal/candidates/{me['id']}/document")
    assert internal.status_code in (403, 404) and number not in internal.text
    # the token endpoint is not even routed from outside (a wrong secret's 401 is tested at the
    # service: tests/service/identity/test_internal.py)
    token = requests.post(f"{base}/api/identity/oauth/token", timeout=10,
                          data={"grant_type": "client_credentials"},
                          auth=("verification", "guessed-secret"))
    assert token.status_code == 404


def test_the_admit_card_prints_the_locked_photo_and_its_qr_code_opens_a_page(embedded):
    """Registration reaches identity over HTTP with its own service token (embedded wiring):
    the demo candidate's locked photo is on the card; the QR code's page needs no sign-in."""
    import re
    base = embedded.base_url
    cand = Client(base).sign_in("demo_candidate")
    sitting = cand.get("/api/registration/exams").json()[0]["sitting_id"]
    mine = [a for a in cand.get("/api/registration/me/applications").json()
            if a["sitting_id"] == sitting and a["state"] not in ("withdrawn", "cancelled")]
    application = mine[0] if mine else apply(cand)
    view = lambda: cand.get(f"/api/registration/applications/{application['id']}").json()  # noqa: E731
    if not view()["admit_card"]:
        approved = eventually(lambda: (v := view())["next_action"] == "pay" and v, what="approved")
        pay_through_sandbox(cand, approved)
    card = eventually(lambda: view()["admit_card"], what="admit card")
    pdf = cand.get(f"/api/registration/applications/{application['id']}/admit-card.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert len(re.findall(rb"/Subtype\s*/Image", pdf.content)) == 2  # the photo and the QR code
    page = requests.get(f"{base}/admit-cards/{card['number']}", timeout=15)
    assert page.status_code == 200 and "准考证真实有效" in page.text and "王*明" in page.text

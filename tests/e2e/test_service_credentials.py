"""Embedded mode end to end: the identity check runs over service credentials, and the
internal routes are no use to a person even through the gateway."""
from __future__ import annotations

import pytest
import requests

from tests.e2e.journey import Client, eventually, make_id

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

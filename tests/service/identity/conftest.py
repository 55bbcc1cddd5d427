"""Identity built on SQLite with the in-memory bus; helpers read the sandbox SMS / mail log."""
from __future__ import annotations

import re

import pytest

from services.identity.bootstrap import bootstrap
from services.identity.web import create_app

SIGNUP = dict(username="zhangsan01", password="Kao!shi#Ren7", name="张三", document_type="resident_id",
              document_number="11010519491231002x", phone="13800138000",
              education=dict(level="本科", school="重庆大学", major="土木工程", graduation_date="2015-07-01",
                             certificate_number="106111201505001234"),
              education_confirmed=True, agreement_version="2026-01")


@pytest.fixture
def ident(make_settings, bus, tokens):
    """(runtime, client, candidate headers) with one signed-up candidate."""
    rt = bootstrap(make_settings("identity"), transport=bus)
    client = create_app(rt, verifier=tokens.verifier).test_client()
    resp = client.post("/api/identity/candidates", json=SIGNUP)
    assert resp.status_code == 201, resp.get_json()
    me = tokens.headers(sub=resp.get_json()["id"], username="zhangsan01", name="张三")
    return rt, client, me


def last_message(client, to_masked: str | None = None) -> str:
    for m in client.get("/api/identity/dev/messages").get_json():
        if to_masked is None or m["to"] == to_masked:
            return m["body"]
    raise AssertionError("no message sent")


def last_code(client, to_masked: str | None = None) -> str:
    return re.search(r"验证码 (\d{6})", last_message(client, to_masked)).group(1)


def outbox_types(rt) -> list[str]:
    from sqlalchemy import text
    with rt.engine.connect() as conn:
        return [r.type for r in conn.execute(text("SELECT type FROM outbox ORDER BY position"))]


def identity_checked(rt, cid: str, outcome: str, at: str, event_id: str,
                     handlers=("remember_identity_check",)) -> None:
    """verification's ``identity.verified`` event, through identity's own consumers."""
    from services.common.events import CloudEvent
    event = CloudEvent(id=event_id, source="/baokao/verification",
                       type="verification.identity.verified", data={
                           "candidate_id": cid, "check_id": "chk-" + event_id,
                           "outcome": outcome, "reason": "姓名与证件号码不一致",
                           "document_type": "resident_id", "checked_at": at})
    for sub in rt.subscriptions():
        if sub.handler in handlers:
            sub.callback(event.to_json().encode())

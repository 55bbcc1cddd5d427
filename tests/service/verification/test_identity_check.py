"""The identity check from identity's sign-up event to the verdict, with a real identity
service answering over HTTP (WSGI) and verification's service credential."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from services.common import clock
from services.verification.bootstrap import bootstrap
from services.verification.web import create_app
from tests.service.verification.conftest import Verification
from tests.support.identity import URL, WANG, Identity

NUMBER = WANG["document_number"]


@pytest.fixture
def pair(make_settings, bus, tokens, restore_clock):
    idt = Identity(make_settings, bus, tokens)
    rt = bootstrap(make_settings("verification", extra={
        "registry_latency_ms": 0, "identity_url": URL, "identity_session": idt.session}),
        transport=bus)
    svc = Verification(rt, create_app(rt, verifier=tokens.verifier).test_client(), tokens)
    return idt, svc


def deliver(svc, body: bytes) -> None:
    for sub in svc.rt.subscriptions():
        if "identity.candidate.registered" in sub.event_types:
            sub.callback(body)


def identity_check(svc, cid):
    [check] = svc.my_checks(cid, kind="identity")
    return check


def stored(svc) -> str:
    """Everything verification keeps about checks (and its outbox), as one string."""
    with svc.rt.engine.connect() as conn:
        rows = [conn.execute(text(f"SELECT * FROM {t}")).all() for t in ("checks", "outbox")]
    return repr(rows)


def test_sign_up_starts_the_identity_check_and_the_verdict_is_announced(pair, caplog):
    caplog.set_level(logging.DEBUG)
    idt, svc = pair
    cid = idt.sign_up()
    [event] = idt.registered_events()
    deliver(svc, event)
    check = identity_check(svc, cid)
    assert check["status"] == "passed" and check["kind_label"] == "身份"
    assert "公安部门核验一致" in check["reason"]
    [verified] = svc.emitted("verification.identity.verified")
    assert verified["candidate_id"] == cid and verified["outcome"] == "passed"
    assert verified["document_type"] == "resident_id"
    # the full number was fetched with verification's service credential, used, and dropped
    assert f"GET /api/identity/internal/candidates/{cid}/document" in idt.adapter.calls
    assert NUMBER not in stored(svc) and NUMBER not in caplog.text
    # the education check ran from the same event, as before
    assert svc.my_checks(cid, kind="education")[0]["status"] == "passed"
    # and the dashboard shows it beside the others
    import json
    masked = json.loads(event)["data"]["document_number_masked"]
    page = svc.client.get("/ops/verification/?q=" + cid, headers=svc.staff()).get_data(
        as_text=True)
    assert "身份" in page and masked in page and "核验通过" in page and NUMBER not in page


def test_a_redelivered_sign_up_event_makes_one_check_and_one_verdict(pair):
    idt, svc = pair
    cid = idt.sign_up()
    [event] = idt.registered_events()
    deliver(svc, event)
    deliver(svc, event)
    assert len(svc.emitted("verification.identity.verified")) == 1
    assert idt.adapter.calls.count(f"GET /api/identity/internal/candidates/{cid}/document") == 1


def test_identity_unreachable_the_check_waits_and_passes_later(pair, caplog):
    caplog.set_level(logging.DEBUG)
    idt, svc = pair
    cid = idt.sign_up()
    [event] = idt.registered_events()
    idt.adapter.down = True
    deliver(svc, event)
    check = identity_check(svc, cid)
    assert check["status"] == "checking" and "暂时无法取得证件信息" in check["reason"]
    assert svc.emitted("verification.identity.verified") == []
    clock.shift(timedelta(minutes=1))
    assert svc.run_retry_job()["waiting"] == 1  # still down
    idt.adapter.down = False
    clock.shift(timedelta(minutes=5))
    assert svc.run_retry_job()["decided"] == 1
    assert identity_check(svc, cid)["status"] == "passed"
    assert [e["outcome"] for e in svc.emitted("verification.identity.verified")] == ["passed"]
    assert NUMBER not in stored(svc) and NUMBER not in caplog.text


def test_public_security_outage_waits_too_and_the_number_is_not_kept_meanwhile(pair):
    idt, svc = pair
    cid = idt.sign_up()
    svc.rt.services["registry_switches"].set("public_security", True, "ops1")
    [event] = idt.registered_events()
    deliver(svc, event)
    check = identity_check(svc, cid)
    assert check["status"] == "checking" and "公安部门身份核查服务暂时无法连接" in check["reason"]
    assert NUMBER not in stored(svc)  # asked again from identity at the next attempt
    svc.rt.services["registry_switches"].set("public_security", False, "ops1")
    clock.shift(timedelta(minutes=5))
    assert svc.run_retry_job()["decided"] == 1
    assert identity_check(svc, cid)["status"] == "passed"


def test_a_name_that_does_not_match_the_number_fails_with_a_reason(pair):
    idt, svc = pair
    cid = idt.sign_up(name="王晓明")
    [event] = idt.registered_events()
    deliver(svc, event)
    check = identity_check(svc, cid)
    assert check["status"] == "failed" and check["reason"].startswith("姓名与身份证号码不匹配")
    with svc.rt.engine.connect() as conn:
        outbox = svc.rt.tables.outbox
        assert conn.execute(select(outbox.c.type)).scalars().all().count(
            "verification.identity.verified") == 1

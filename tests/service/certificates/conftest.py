"""The certificates service on SQLite with the in-memory bus, fed the way registration feeds it."""
from __future__ import annotations

import uuid

import pytest

from services.certificates.bootstrap import bootstrap
from services.certificates.web import create_app
from services.common.bus.base import Outgoing
from services.common.events import CloudEvent, validate_data
from services.common.runtime import WorkerHandle

QUALIFIED = "registration.candidate.qualified"
BASE = "https://baokao.example"


def qualification(**over) -> dict:
    data = dict(qualification_id=f"q-{uuid.uuid4().hex[:8]}", candidate_id="cand-1",
                holder_name="张三", document_number_masked="110101**********1X",
                exam_code="JJS", exam_name="经济专业技术资格", level="中级",
                specialty="人力资源管理", sitting_year=2026, issuing_authority="人力资源社会保障部",
                qualified_on="2026-11-20")
    data.update(over)
    return data


def qualified_event(data: dict, event_id: str | None = None) -> bytes:
    """A ``candidate.qualified`` envelope exactly as registration's outbox would publish it."""
    clean = validate_data(QUALIFIED, data)
    return CloudEvent(id=event_id or str(uuid.uuid4()), source="/baokao/registration",
                      type=QUALIFIED, data=clean, subject=data["candidate_id"],
                      dataschema=f"/api/asyncapi.json#/components/schemas/{QUALIFIED}.v1"
                      ).to_json().encode()


class Service:
    def __init__(self, rt, client, bus, tokens):
        self.rt, self.client, self.bus, self.tokens = rt, client, bus, tokens

    def deliver(self, body: bytes) -> None:
        """Publish on the bus and wait until the consumer has handled it."""
        self.bus.publish([Outgoing(str(uuid.uuid4()), QUALIFIED, body)])
        assert self.bus.wait_idle(10)

    def qualify(self, **over) -> dict:
        """Deliver a qualification and return the holder's listing entry of its certificate."""
        data = qualification(**over)
        before = {c["number"] for c in self.mine(data["candidate_id"])}
        self.deliver(qualified_event(data))
        [new] = [c for c in self.mine(data["candidate_id"]) if c["number"] not in before]
        return new | {"_data": data}

    def mine(self, sub: str = "cand-1") -> list[dict]:
        resp = self.client.get("/api/certificates/me", headers=self.holder(sub))
        assert resp.status_code == 200
        return resp.json

    def holder(self, sub: str = "cand-1") -> dict:
        return self.tokens.headers(sub=sub, roles=("candidate",))

    def officer(self, sub: str = "officer-1", role: str = "certificate_officer") -> dict:
        return self.tokens.headers(sub=sub, roles=(role,), name=f"官员{sub[-1]}")

    def events(self, type: str) -> list[CloudEvent]:
        self.rt.relay.drain()
        # A relay thread may publish a row the drain also publishes (at-least-once): one per id.
        unique = {m.event_id: m for m in self.bus.published if m.type == type}
        return [CloudEvent.from_json(m.body) for m in unique.values()]

    def issued_events(self) -> list[CloudEvent]:
        return self.events("certificates.certificate.issued")

    def verify(self, number: str, name: str = "张三", **extra) -> dict:
        resp = self.client.get("/api/certificates/verify",
                               query_string={"number": number, "name": name, **extra})
        assert resp.status_code == 200, resp.json
        return resp.json


UNREACHABLE = "http://127.0.0.1:9"  # nothing listens there: identity is down


@pytest.fixture
def identity_url():
    """Where certificates finds identity (holder photos); tests with a real one override it."""
    return {"identity_url": UNREACHABLE}


@pytest.fixture
def identity(make_settings, bus, tokens):
    """A real identity service reached over WSGI (modules that need one override
    ``identity_url`` with ``with_identity``)."""
    from tests.support.identity import Identity
    return Identity(make_settings, bus, tokens)


def with_identity(identity) -> dict:
    from tests.support.identity import URL
    return {"identity_url": URL, "identity_session": identity.session}


@pytest.fixture
def svc(make_settings, bus, tokens, identity_url):
    # The simulated national platform answers at once and never fails unless a test says so.
    extra = {**identity_url, "national_latency_ms": 0, "national_seed": 7}
    rt = bootstrap(make_settings("certificates", public_base_url=BASE, extra=extra),
                   transport=bus)
    handle = WorkerHandle(rt).start(relay=False, jobs=False)  # consumers only; tests drain the relay
    app = create_app(rt, verifier=tokens.verifier)
    yield Service(rt, app.test_client(), bus, tokens)
    handle.stop()

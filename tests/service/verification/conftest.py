"""Verification on SQLite with the in-memory bus; identity's events built from their contracts."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.common import clock
from services.common.events import new_event, validate_data
from services.verification.bootstrap import bootstrap
from services.verification.web import create_app

WANG = {"level": "本科", "school": "重庆大学", "major": "土木工程", "graduation_date": "2012-06-30",
        "certificate_number": "106111201205000123", "study_mode": "全日制"}
STAFF = ("platform_admin",)
UNREACHABLE = "http://127.0.0.1:9"


class Verification:
    """The service under test plus helpers to feed it identity's events and read its outbox."""

    def __init__(self, rt, client, tokens):
        self.rt, self.client, self.tokens = rt, client, tokens

    def deliver(self, event) -> None:
        """To every handler of the service that wants the event (the check and the context)."""
        for sub in self.rt.subscriptions():
            if event.type in sub.event_types:
                sub.callback(event.to_json().encode())

    def registered(self, candidate_id="cand-1", name="王小明", education=None, at=None):
        data = validate_data("identity.candidate.registered", {
            "candidate_id": candidate_id, "username": "u" + candidate_id[-6:], "name": name,
            "document_type": "resident_id", "document_number_masked": "5001**********123X",
            "birth_date": "1990-01-01", "education": WANG if education is None else education,
            "registered_at": (at or clock.now()).isoformat()})
        return self._event("identity.candidate.registered", data, candidate_id)

    def profile_changed(self, candidate_id="cand-1", changed=("education",), education=None,
                        name=None, at=None):
        data = validate_data("identity.profile.changed", {
            "candidate_id": candidate_id, "changed": list(changed), "name": name,
            "education": education, "changed_at": (at or clock.now()).isoformat()})
        return self._event("identity.profile.changed", data, candidate_id)

    @staticmethod
    def _event(type_, data, subject):
        return new_event(source="/baokao/identity", type=type_, data=data, subject=subject,
                         version=1, correlationid=str(uuid.uuid4()), causationid=None)

    def emitted(self, type_="verification.education.verified") -> list[dict]:
        """Events in the outbox, each validated strictly against its published contract."""
        import json
        o = self.rt.tables.outbox
        with self.rt.engine.connect() as conn:
            rows = conn.execute(select(o.c.payload).where(o.c.type == type_)
                                .order_by(o.c.position)).scalars().all()
        events = [json.loads(r) for r in rows]
        for e in events:
            validate_data(e["type"], e["data"], version=1)
        return [e["data"] for e in events]

    def my_checks(self, sub="cand-1", kind=None):
        """The candidate's checks (``kind``: only those; identity's check is there too)."""
        resp = self.client.get("/api/verification/me/checks", headers=self.tokens.headers(sub=sub))
        assert resp.status_code == 200, resp.get_json()
        return [c for c in resp.get_json() if kind is None or c["kind"] == kind]

    def staff(self, roles=STAFF, **kw):
        return self.tokens.headers(sub="staff-1", roles=roles, username="ops1", **kw)

    def set_outage(self, on: bool):
        resp = self.client.post("/ops/verification/registry/outage",
                                data={"outage": "on" if on else "off", "csrf_token": "t"},
                                headers=self.staff())
        assert resp.status_code == 302

    def run_retry_job(self) -> dict:
        _every, job = self.rt.jobs["retry_checks"]
        return job(self.rt)


@pytest.fixture
def restore_clock():
    yield clock.shift
    clock.reset()


@pytest.fixture
def svc(make_settings, bus, tokens, restore_clock) -> Verification:
    # Identity is not running here (nothing listens on port 9): identity checks wait for it.
    rt = bootstrap(make_settings("verification", extra={
        "registry_latency_ms": 0, "identity_url": UNREACHABLE,
        "onsite_slot_capacity": 2}), transport=bus)
    app = create_app(rt, verifier=tokens.verifier)
    return Verification(rt, app.test_client(), tokens)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


OLD = {"level": "本科", "school": "重庆建筑大学", "major": "工业与民用建筑", "graduation_date":
       "1998-07-01", "certificate_number": "无", "study_mode": "全日制"}  # before 2002: manual
REVIEWER_50 = {"province": "50"}


def jpeg_bytes(size=(40, 30)) -> bytes:
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 200, 255)).save(buf, "JPEG")
    return buf.getvalue()


def pdf_bytes() -> bytes:
    import io

    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "diploma")
    c.save()
    return buf.getvalue()


class Reviewing:
    """A reviewer's and a candidate's side of the review API."""

    def __init__(self, svc: Verification):
        self.svc = svc

    def reviewer(self, name="rev1", scope=REVIEWER_50, roles=("reviewer",)):
        return self.svc.tokens.headers(sub="staff-" + name, roles=roles, username=name,
                                       scope=scope)

    def queue(self, view="waiting", headers=None):
        resp = self.svc.client.get(f"/api/verification/review/items?view={view}",
                                   headers=headers or self.reviewer())
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    def post(self, item_id, action, headers=None, json=None):
        return self.svc.client.post(f"/api/verification/review/items/{item_id}/{action}",
                                    headers=headers or self.reviewer(), json=json)

    def decide(self, item_id, outcome, reason_code, note=None, headers=None):
        return self.post(item_id, "decision", headers,
                         {"outcome": outcome, "reason_code": reason_code, "note": note})

    def upload(self, content: bytes, filename="proof.pdf", sub="cand-1", kind="education"):
        import io
        return self.svc.client.post(
            "/api/verification/me/proofs", headers=self.svc.tokens.headers(sub=sub),
            data={"kind": kind, "file": (io.BytesIO(content), filename)},
            content_type="multipart/form-data")


@pytest.fixture
def rv(svc) -> Reviewing:
    return Reviewing(svc)

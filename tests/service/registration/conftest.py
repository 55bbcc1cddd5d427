"""The registration service on SQLite, with helpers to deliver events and read its outbox."""
from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from services.common.events import CloudEvent, validate_data
from services.registration.bootstrap import bootstrap
from services.registration.web import create_app

DEMO_ID = "cand-wang"
APPLY = {"sitting_id": "2026-TJ", "province": "50", "city": "500103", "level": "02",
         "specialty": "01", "subjects": ["TJ201", "TJ202"]}


class Registration:
    def __init__(self, rt, client, tokens):
        self.rt, self.client, self.tokens = rt, client, tokens

    def headers(self, sub: str = DEMO_ID, roles=("candidate",), **kw) -> dict:
        return self.tokens.headers(sub=sub, roles=roles, **kw)

    def admin(self) -> dict:
        return self.tokens.headers(sub="admin-1", roles=("exam_admin",), username="kaowu")

    def deliver(self, type: str, data: dict, event_id: str | None = None) -> str:
        """Hand an event to every handler subscribed to its type, as the bus would."""
        event = CloudEvent(id=event_id or str(uuid.uuid4()), source="/baokao/test", type=type,
                           data=validate_data(type, data))
        body = event.to_json().encode()
        handled = 0
        for sub in self.rt.subscriptions():
            if type in sub.event_types:
                sub.callback(body)
                handled += 1
        assert handled, f"nobody handles {type}"
        return event.id

    def emitted(self, type: str | None = None) -> list[dict]:
        """Events in the outbox, each validated against its contract."""
        t = self.rt.tables.outbox
        with self.rt.engine.connect() as conn:
            rows = conn.execute(select(t.c.payload).order_by(t.c.position)).all()
        events = [json.loads(r.payload) for r in rows]
        for e in events:
            validate_data(e["type"], e["data"])
        return [e for e in events if type is None or e["type"] == type]

    # -- the journey's steps ------------------------------------------------------------------
    def register_candidate(self, sub: str = DEMO_ID, name: str = "王小明",
                           masked: str = "5001**********2311", level: str = "本科") -> None:
        self.deliver("identity.candidate.registered", {
            "candidate_id": sub, "username": "wangxm", "name": name, "document_type": "resident_id",
            "document_number_masked": masked, "birth_date": "1990-03-07",
            "education": {"level": level, "school": "重庆大学", "major": "土木工程",
                          "graduation_date": "2012-07-01", "certificate_number": "106111201205000123",
                          "study_mode": "全日制"},
            "registered_at": "2026-11-01T08:00:00+00:00"})

    def verify(self, sub: str = DEMO_ID, outcome: str = "passed", level: str | None = "本科",
               checked_at: datetime | None = None, reason: str | None = None,
               event_id: str | None = None) -> str:
        return self.deliver("verification.education.verified", {
            "candidate_id": sub, "check_id": str(uuid.uuid4()), "outcome": outcome,
            "reason": reason, "education_level": level, "major": "土木工程",
            "graduation_date": "2012-07-01",
            "checked_at": (checked_at or datetime.now(UTC)).isoformat()}, event_id)

    def lock_photo(self, sub: str = DEMO_ID, photo_id: str | None = None,
                   locked_at: datetime | None = None) -> str:
        """Identity's photo review passed: the candidate may confirm (seed 000)."""
        return self.deliver("identity.photo.locked", {
            "candidate_id": sub, "photo_id": photo_id or str(uuid.uuid4()), "sha256": "0" * 64,
            "locked_by": "reviewer", "locked_at": (locked_at or datetime.now(UTC)).isoformat()})

    def apply(self, body: dict | None = None, sub: str = DEMO_ID, **headers):
        return self.client.post("/api/registration/applications", json=body or APPLY,
                                headers={**self.headers(sub), **headers})

    def pay(self, application: dict, order_number: str = "ORD-1", event_id: str | None = None,
            paid_at: datetime | None = None) -> str:
        return self.deliver("payment.order.paid", {
            "order_number": order_number, "application_id": application["id"],
            "candidate_id": application.get("candidate_id", DEMO_ID),
            "amount_fen": application["amount_fen"],
            "paid_at": (paid_at or datetime.now(UTC)).isoformat(),
            "provider_trade_no": "T" + order_number, "confirmed_by": "notification"}, event_id)

    def get(self, application_id: str, sub: str = DEMO_ID) -> dict:
        r = self.client.get(f"/api/registration/applications/{application_id}",
                            headers=self.headers(sub))
        assert r.status_code == 200, r.json
        return r.json


FULL = {"review_mode": "online", "commitment_offered": True, "admit_card_mode": "allocation",
        "rolling_years": 2, "notice_days": 7, "post_exam_check": True}


@pytest.fixture
def full_jj(reg):
    """Run the demo's 经济 exam (quick in the demo, for the end-to-end journeys) with the full
    seed-004 configuration the demo gives 二级建造师: online review, commitment mode, seats drawn
    at window close, 2 rolling years, post-exam check, 7 days of public notice."""
    r = reg.client.put("/api/registration/exams/JJ/settings", json=FULL, headers=reg.admin())
    assert r.status_code == 200 and r.json == FULL, r.json
    return reg


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """One migrated and seeded database per test session; each test starts from a copy (running
    the Alembic migrations for every test would dominate the suite's time)."""
    from services.common.config import Settings
    folder = tmp_path_factory.mktemp("registration-template")
    rt = bootstrap(Settings("registration", data_dir=folder, amqp_url=None, production=False),
                   transport=None)
    rt.engine.dispose()
    return folder / "registration.sqlite3"


UNREACHABLE = "http://127.0.0.1:9"  # nothing listens there: identity is down


@pytest.fixture
def identity_url() -> dict:
    """Where registration finds identity (the photo its PDFs print); modules with a real one
    override it with ``with_identity``."""
    return {"identity_url": UNREACHABLE}


@pytest.fixture
def identity(make_settings, bus, tokens):
    """A real identity service reached over WSGI."""
    from tests.support.identity import Identity
    return Identity(make_settings, bus, tokens)


def with_identity(identity) -> dict:
    from tests.support.identity import URL
    return {"identity_url": URL, "identity_session": identity.session}


@pytest.fixture
def reg(make_settings, bus, tokens, migrated_template, identity_url) -> Registration:
    settings = make_settings("registration", extra=dict(identity_url))
    shutil.copyfile(migrated_template, settings.database_url.removeprefix("sqlite:///"))
    rt = bootstrap(settings, transport=bus, migrate=False)
    app = create_app(rt, verifier=tokens.verifier)
    yield Registration(rt, app.test_client(), tokens)
    rt.engine.dispose()

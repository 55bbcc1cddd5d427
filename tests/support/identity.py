"""A real identity service for tests of its callers: its own keys, reached over WSGI.

Built on the same data directory as the caller (``make_settings``), so both read the same
embedded-mode ``service-credentials.json``. ``session`` goes into the caller's
``settings.extra["identity_session"]``; ``adapter.down = True`` makes identity unreachable.
"""
from __future__ import annotations

import io

from PIL import Image, ImageDraw
from sqlalchemy import select

from services.common.auth import TokenVerifier
from services.identity.bootstrap import bootstrap
from services.identity.web import create_app
from tests.support.wsgi import session_for

URL = "http://identity.test"
WANG = dict(username="wangxm01", password="Kao!shi#Ren7", name="王小明",
            document_type="resident_id", document_number="500103199003072311",
            phone="13800138001",
            education=dict(level="本科", school="重庆大学", major="土木工程",
                           graduation_date="2012-06-30", certificate_number="106111201205000123"),
            education_confirmed=True, agreement_version="2026-01")


def standard_photo() -> bytes:
    img = Image.new("RGB", (295, 413), "white")
    d = ImageDraw.Draw(img)
    d.ellipse((74, 83, 221, 268), fill=(205, 160, 130))
    d.rectangle((44, 289, 251, 413), fill=(30, 40, 90))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


class Identity:
    def __init__(self, make_settings, bus, tokens=None):
        self.rt = bootstrap(make_settings("identity"), transport=bus)
        keys = self.rt.services["keys"]
        # Identity's own tokens, plus the test key's (staff and candidates made up by tests).
        extra = tokens.jwks["keys"] if tokens is not None else []
        verifier = TokenVerifier(jwks_provider=lambda: {"keys": keys.jwks()["keys"] + extra})
        self.app = create_app(self.rt, verifier=verifier)
        self.client = self.app.test_client()
        self.session, self.adapter = session_for(URL, self.app)

    def sign_up(self, **over) -> str:
        resp = self.client.post("/api/identity/candidates", json={**WANG, **over})
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["id"]

    def registered_events(self) -> list[bytes]:
        o = self.rt.tables.outbox
        with self.rt.engine.connect() as conn:
            return [r.encode() for r in conn.execute(select(o.c.payload).where(
                o.c.type == "identity.candidate.registered").order_by(o.c.position)).scalars()]

    def lock_photo(self, candidate_id: str, headers: dict, reviewer: dict) -> bytes:
        """Upload the candidate's standard photo and approve it (it becomes the locked one)."""
        jpeg = standard_photo()
        saved = self.client.post("/api/identity/me/photo", headers=headers,
                                 data={"photo": (io.BytesIO(jpeg), "photo.jpg")},
                                 content_type="multipart/form-data")
        assert saved.status_code == 201, saved.get_json()
        pid = saved.get_json()["pending"]["id"]
        assert self.client.post(f"/ops/identity/photos/{pid}/approve",
                                headers=reviewer).status_code == 302
        return jpeg

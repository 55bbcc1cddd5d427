"""The holder's photo on the shared view and the PDF, from identity with certificates' service
credential; a placeholder only when there is no locked photo or identity cannot answer."""
from __future__ import annotations

import base64
import re
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from services.certificates.adapters.orm import sealed_pdfs
from services.common.bus.base import Outgoing
from services.common.events import CloudEvent, validate_data
from tests.service.certificates.conftest import with_identity

API = "/api/certificates"
PIN = "k8s2j9"
LOCKED = "identity.photo.locked"


@pytest.fixture
def identity_url(identity):
    return with_identity(identity)


@pytest.fixture
def holder(identity, tokens):
    """A signed-up candidate whose standard photo was approved (locked)."""
    cid = identity.sign_up()
    jpeg = identity.lock_photo(cid, tokens.headers(cid), tokens.headers(
        "r1", ("reviewer",), username="reviewer"))
    return cid, jpeg


def open_shared(svc, cid) -> dict:
    n = svc.qualify(candidate_id=cid)["number"]
    made = svc.client.post(f"{API}/{n}/shares", json={"pin": PIN}, headers=svc.holder(cid))
    token = made.json["url"].rsplit("/", 1)[1]
    resp = svc.client.post(f"{API}/shared/{token}", json={"pin": PIN})
    assert resp.status_code == 200, resp.json
    return resp.json


def test_the_employer_sees_the_holders_locked_photo(svc, holder, identity):
    cid, jpeg = holder
    photo = open_shared(svc, cid)["holder_photo"]
    assert photo["available"] is True and photo["status"] == "ok" and photo["placeholder"] is None
    assert base64.b64decode(photo["url"].removeprefix("data:image/jpeg;base64,")) == jpeg
    assert f"GET /api/identity/internal/candidates/{cid}/photo" in identity.adapter.calls


def test_a_wrong_pin_never_asks_identity_for_the_photo(svc, holder, identity):
    cid, _ = holder
    n = svc.qualify(candidate_id=cid)["number"]
    made = svc.client.post(f"{API}/{n}/shares", json={"pin": PIN}, headers=svc.holder(cid))
    token = made.json["url"].rsplit("/", 1)[1]
    assert svc.client.post(f"{API}/shared/{token}", json={"pin": "wrong1"}).status_code == 403
    assert not any(c.endswith("/photo") for c in identity.adapter.calls)


def test_no_locked_photo_and_identity_down_each_say_so(svc, identity):
    cid = identity.sign_up()
    photo = open_shared(svc, cid)["holder_photo"]
    assert photo == {"available": False, "status": "none", "url": None,
                     "placeholder": "持证人暂无审核通过的照片"}
    identity.adapter.down = True
    photo = open_shared(svc, cid)["holder_photo"]
    assert photo["status"] == "unavailable" and "身份服务暂不可用" in photo["placeholder"]


def pdf_images(data: bytes) -> int:
    """Image XObjects in the file (reportlab writes their dictionaries uncompressed)."""
    return len(re.findall(rb"/Subtype\s*/Image", data))


def kept(svc) -> int:
    with svc.rt.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(sealed_pdfs)).scalar()


def test_the_pdf_prints_the_photo_and_is_kept(svc, holder):
    cid, _ = holder
    n = svc.qualify(candidate_id=cid)["number"]
    first = svc.client.get(f"{API}/{n}/certificate.pdf", headers=svc.holder(cid)).data
    assert pdf_images(first) == 2  # the photo and the QR code
    assert kept(svc) == 1
    assert svc.client.get(f"{API}/{n}/certificate.pdf", headers=svc.holder(cid)).data == first


def test_a_pdf_made_while_identity_is_down_is_not_kept(svc, holder, identity):
    cid, _ = holder
    n = svc.qualify(candidate_id=cid)["number"]
    identity.adapter.down = True
    without = svc.client.get(f"{API}/{n}/certificate.pdf", headers=svc.holder(cid)).data
    assert pdf_images(without) == 1 and kept(svc) == 0  # QR only; placeholder text instead
    identity.adapter.down = False
    with_photo = svc.client.get(f"{API}/{n}/certificate.pdf", headers=svc.holder(cid)).data
    assert pdf_images(with_photo) == 2 and kept(svc) == 1


def photo_locked(svc, cid: str, event_id: str) -> None:
    """identity's ``photo.locked`` envelope as its outbox publishes it, handled."""
    data = validate_data(LOCKED, {"candidate_id": cid, "photo_id": str(uuid.uuid4()),
                                  "sha256": "a" * 64, "locked_by": "reviewer",
                                  "locked_at": datetime.now(UTC).isoformat()})
    body = CloudEvent(id=event_id, source="/baokao/identity", type=LOCKED, data=data,
                      subject=cid).to_json().encode()
    svc.bus.publish([Outgoing(event_id, LOCKED, body)])
    assert svc.bus.wait_idle(10)


def test_a_pdf_made_before_the_photo_was_locked_is_reprinted_with_it(svc, identity, tokens):
    cid = identity.sign_up()
    n = svc.qualify(candidate_id=cid)["number"]
    before = svc.client.get(f"{API}/{n}/certificate.pdf", headers=svc.holder(cid)).data
    assert pdf_images(before) == 1 and kept(svc) == 1  # "no photo yet" placeholder, kept
    assert svc.client.get(f"{API}/{n}/certificate.pdf", headers=svc.holder(cid)).data == before
    identity.lock_photo(cid, tokens.headers(cid), tokens.headers(
        "r1", ("reviewer",), username="reviewer"))
    other = svc.qualify()["number"]  # someone else's kept PDF stays
    svc.client.get(f"{API}/{other}/certificate.pdf", headers=svc.holder())
    assert kept(svc) == 2
    event_id = str(uuid.uuid4())
    photo_locked(svc, cid, event_id)
    assert kept(svc) == 1
    after = svc.client.get(f"{API}/{n}/certificate.pdf", headers=svc.holder(cid)).data
    assert pdf_images(after) == 2 and kept(svc) == 2
    photo_locked(svc, cid, event_id)  # redelivered: the inbox drops it, the reprint stays
    assert svc.client.get(f"{API}/{n}/certificate.pdf", headers=svc.holder(cid)).data == after

"""The PDFs registration prints: the candidate's locked photo on the admit card and the
application forms (asked of identity with registration's service token), a placeholder saying
why when there is none; and every QR code on them leads to a page the gateway serves."""
from __future__ import annotations

import re

import pytest

from tests.service.registration.conftest import DEMO_ID, with_identity

API = "/api/registration"
TITLES = f"{API}/titles"
PROFILE = {"gender": "男", "birth_date": "1990-03-07", "phone": "13800138001",
           "employer": "重庆某建筑设计院", "employer_region": "500112",
           "work_start_date": "2012-07-01", "political_status": "群众", "education_highest": "本科"}
INITIAL = {"application_type": "initial", "unit_id": "unit-yubei", "series": "工程技术",
           "title_name": "助理工程师", "title_level": "初级", "specialty": "建筑工程", "pledge": True}


def pdf_images(data: bytes) -> int:
    """Image XObjects in the file (reportlab writes their dictionaries uncompressed)."""
    return len(re.findall(rb"/Subtype\s*/Image", data))


def issued(reg, cid: str) -> dict:
    """An application of ``cid`` (TJ: the card comes with the payment), reviewed, paid, seated."""
    made = reg.apply(sub=cid)
    assert made.status_code == 201, made.json
    reg.verify(sub=cid)
    reg.pay(reg.get(made.json["id"], sub=cid) | {"candidate_id": cid})
    view = reg.get(made.json["id"], sub=cid)
    assert view["admit_card"], view
    return view


def title_draft(reg, cid: str) -> dict:
    me = reg.headers(cid, name="王小明")
    assert reg.client.put(f"{TITLES}/profile", json=PROFILE, headers=me).status_code == 200
    made = reg.client.post(f"{TITLES}/applications", json=INITIAL, headers=me)
    assert made.status_code == 201, made.json
    return made.json


def pdfs(reg, cid: str, application: dict, title: dict) -> dict[str, bytes]:
    out = {}
    for name, path in (("admit card", f"{API}/applications/{application['id']}/admit-card.pdf"),
                       ("form", f"{API}/applications/{application['id']}/form.pdf"),
                       ("title form", f"{TITLES}/applications/{title['id']}/form.pdf")):
        resp = reg.client.get(path, headers=reg.headers(cid))
        assert resp.status_code == 200 and resp.data.startswith(b"%PDF"), (name, resp.json)
        assert resp.headers["Cache-Control"] == "private, no-store"
        out[name] = resp.data
    return out


class TestWithIdentity:
    @pytest.fixture
    def identity_url(self, identity):
        return with_identity(identity)

    @pytest.fixture
    def cid(self, reg, identity, tokens) -> str:
        """A candidate signed up with identity (projected into registration) whose photo passed
        review (locked)."""
        cid = identity.sign_up()
        reg.register_candidate(sub=cid)
        identity.lock_photo(cid, tokens.headers(cid), tokens.headers(
            "r1", ("reviewer",), username="reviewer"))
        return cid

    def test_the_three_pdfs_print_the_locked_photo(self, reg, identity, cid):
        printed = pdfs(reg, cid, issued(reg, cid), title_draft(reg, cid))
        assert {name: pdf_images(data) for name, data in printed.items()} == {
            "admit card": 2, "form": 2, "title form": 2}  # the photo and the QR code
        asked = f"GET /api/identity/internal/candidates/{cid}/photo"
        assert identity.adapter.calls.count(asked) == 3

    def test_identity_down_prints_a_placeholder_and_keeps_nothing(self, reg, identity, cid):
        application, title = issued(reg, cid), title_draft(reg, cid)
        identity.adapter.down = True
        without = pdfs(reg, cid, application, title)
        assert {name: pdf_images(data) for name, data in without.items()} == {
            "admit card": 1, "form": 1, "title form": 1}  # QR only; "照片暂不可用" instead
        identity.adapter.down = False  # the next download asks again: nothing was kept
        again = pdfs(reg, cid, application, title)
        assert {name: pdf_images(data) for name, data in again.items()} == {
            "admit card": 2, "form": 2, "title form": 2}

    def test_no_locked_photo_prints_a_placeholder(self, reg, identity):
        cid = identity.sign_up()
        reg.register_candidate(sub=cid)
        printed = pdfs(reg, cid, issued(reg, cid), title_draft(reg, cid))
        assert {name: pdf_images(data) for name, data in printed.items()} == {
            "admit card": 1, "form": 1, "title form": 1}  # "暂无审核通过的照片"
        assert f"GET /api/identity/internal/candidates/{cid}/photo" in identity.adapter.calls


def test_identity_unreachable_still_prints_every_pdf(reg):
    """The default fixture: identity does not answer at all (no token either)."""
    reg.register_candidate()
    printed = pdfs(reg, DEMO_ID, issued(reg, DEMO_ID), title_draft(reg, DEMO_ID))
    assert all(pdf_images(data) == 1 for data in printed.values())


# -- the QR codes -------------------------------------------------------------------------------
def gateway_route(url: str, base: str):
    """The gateway endpoint a QR code's URL opens (what a phone's GET would reach)."""
    from gateway import create_app
    from gateway.config import GatewayConfig
    from services.common.config import SERVICES
    assert url.startswith(base + "/"), url
    app = create_app(GatewayConfig(production=False, secret_key="test", redis_url=None,
                                   sandbox_url="http://127.0.0.1:9", rate_limits=False,
                                   service_urls={s: "http://127.0.0.1:9" for s in SERVICES},
                                   timeout_seconds=1))
    endpoint, _ = app.url_map.bind("localhost").match(url.removeprefix(base), method="GET")
    return endpoint


def test_every_qr_code_leads_to_a_gateway_page(reg):
    from services.registration.domain.application import Application
    from services.registration.service_layer import admit_cards, flow
    from services.registration.service_layer.titles import documents
    from services.registration.service_layer.titles.applications import TitleApplication

    reg.register_candidate()
    application, title = issued(reg, DEMO_ID), title_draft(reg, DEMO_ID)
    base = reg.rt.settings.public_base_url.rstrip("/")
    with reg.rt.uow() as uow:
        a = uow.session.get(Application, application["id"])
        t = uow.session.get(TitleApplication, title["id"])
        urls = {"admit card": admit_cards.sheet(uow.session, a, base).verification_url,
                "form": flow.form_sheet(uow.session, a, base).status_url,
                "title form": documents.form(uow.session, t, base, owner=True).status_url}
    assert {name: gateway_route(url, base) for name, url in urls.items()} == {
        "admit card": "public.admit_card", "form": "candidate.application",
        "title form": "titles.view"}
    assert urls["admit card"].endswith("/admit-cards/" + application["admit_card"]["number"])


# -- the check behind the admit card's QR code --------------------------------------------------
def test_the_admit_card_check_shows_only_what_the_card_prints_name_masked(reg):
    reg.register_candidate()
    card = issued(reg, DEMO_ID)["admit_card"]
    check = reg.client.get(f"{API}/admit-cards/{card['number']}")  # no sign-in
    assert check.status_code == 200
    assert check.json == {"number": card["number"], "valid": True, "holder_name_masked": "王*明",
                          "exam_name": check.json["exam_name"], "site": "渝中区第一考点",
                          "room": "第 01 考场", "seat": 1, "exam_date": card["exam_date"]}
    assert "统计" in check.json["exam_name"] and "王小明" not in check.get_data(as_text=True)
    missing = reg.client.get(f"{API}/admit-cards/26TJ50010399999")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "admit_card_not_found"
    assert "没有找到该准考证" in missing.json["error"]["message"]

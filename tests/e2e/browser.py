"""Headless Chromium (Debian's, never a downloaded one) driven by Playwright."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture
def chromium():
    """One Playwright per test: its sync API keeps an event loop running in the thread while it
    lives, which would break any later test in the same worker that calls ``asyncio.run``."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Chromium is not installed (make system-deps installs Debian's chromium)")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    """A fresh browser context per test (phone-sized when the test is marked 'phone')."""
    phone = request.node.get_closest_marker("phone") is not None
    context = chromium.new_context(viewport={"width": 375, "height": 812} if phone else
                                   {"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def content(page) -> str:
    """The page's HTML once the document a click started has loaded: a form post answered with a
    redirect leaves a moment where Playwright's click has returned but the new document is still
    empty, and reading it then made a test fail now and then."""
    for _ in range(50):
        page.wait_for_load_state("load")
        html = page.content()
        if "</body>" in html:
            return html
        page.wait_for_timeout(100)
    return page.content()


def photo_locked(chromium, base: str, cand, name: str, sign_in) -> None:
    """Seed 000: the candidate (a signed-in ``journey.Client``) uploads a standard photo and a
    platform admin locks it in identity's queue (photo review is national, not for a province's
    reviewer); only then may applications be confirmed."""
    from services.identity.demo import demo_photo_jpeg
    from services.identity.domain.photos import DEFAULT_MAX_BYTES
    resp = cand.post("/api/identity/me/photo", files={
        "photo": ("photo.jpg", demo_photo_jpeg(DEFAULT_MAX_BYTES), "image/jpeg")})
    assert resp.status_code == 201, resp.text
    context = chromium.new_context(locale="zh-CN")
    ops = context.new_page()
    ops.set_default_timeout(15000)
    sign_in(ops, base, "opsadmin")
    ops.goto(base + "/ops/identity/photos")
    ops.locator("tr", has_text=name).locator("button:has-text('通过并锁定')").first.click()
    ops.wait_for_load_state()
    assert ops.locator("tr", has_text=name).count() == 0, ops.content()[:2000]
    context.close()


def staff_page(chromium, base: str, login: str):
    """A staff member signed in with password and TOTP (the demo secret) in their own context."""
    from services.identity.adapters.totp import now_code
    from services.identity.demo import DEMO_TOTP_SECRET
    page = chromium.new_context(locale="zh-CN").new_page()
    page.set_default_timeout(15000)
    page.goto(base + "/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "Baokao#2026")
    page.click("button[type=submit]")
    page.fill("input[name=code]", now_code(DEMO_TOTP_SECRET))
    page.click("button[type=submit]")
    return page


def one_line_pdf(text: str) -> bytes:
    """A small real PDF to upload as a proof or an attachment."""
    import io

    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, text)
    c.save()
    return buf.getvalue()

"""The walking skeleton clicked through in headless Chromium, as a candidate and staff would."""
from __future__ import annotations

import re

import pytest

from tests.e2e.browser import content, shot
from tests.e2e.journey import Client, eventually, make_id

pytestmark = pytest.mark.e2e


def _pdf_bytes() -> bytes:
    import io

    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "proof")
    c.save()
    return buf.getvalue()


def scan_qr(pdf: bytes) -> str:
    """What a phone camera reads: render the PDF (poppler) and decode its QR code (zbar)."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        import os
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("poppler-utils and zbar-tools are needed (make system-deps installs them)")
        pytest.skip("pdftoppm or zbarimg not installed")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "c.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1",
                        str(Path(tmp) / "c.pdf"), str(Path(tmp) / "page")], check=True)
        image = next(Path(tmp).glob("page*.png"))
        out = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True,
                             text=True, check=True).stdout.strip()
    return out.splitlines()[0]


def assert_shows(page, text: str, timeout: float = 10) -> None:
    """The page shows ``text`` (a click's navigation may still be landing: wait a little)."""
    import time
    deadline = time.monotonic() + timeout
    html = content(page)
    while text not in html and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        html = content(page)
    errors = re.findall(r'class="(?:field-error|flash [a-z]+)"[^>]*>([^<]+)<', html)
    assert text in html, f"{page.url} does not show {text!r}; messages on the page: {errors}"


def reload_until(page, text: str, timeout: float = 30):
    """Reload until the page shows ``text``. A click may have started a navigation (a redirect
    chain back from the payment page) that is still running: reloading then fails with "not
    attached to an active page", which only means "look again next round"."""
    from playwright.sync_api import Error

    def seen():
        content(page)  # let the navigation in progress finish first
        try:
            page.reload()
        except Error:
            return False
        return text in content(page)
    eventually(seen, timeout=timeout, interval=0.5, what=f"page showing {text!r}")


def test_candidate_journey_in_the_browser(embedded, page, chromium):
    base = embedded.base_url
    staff = Client(base).sign_in("examadmin")
    number = make_id(777)
    cert_no = "105581201407770777"
    staff.post("/api/verification/registry/education", json={
        "certificate_number": cert_no, "name": "林晓", "level": "本科", "school": "中山大学",
        "major": "工程管理", "graduation_date": "2014-06-30", "study_mode": "全日制"})

    # Sign up, with the second confirmation of seed 002.
    page.goto(base + "/signup")
    fields = {"username": "linxiao2026", "password": "Kao@Shi#95q", "password2": "Kao@Shi#95q",
              "name": "林晓", "document_number": number, "phone": "13700137000",
              "school": "中山大学", "major": "工程管理", "graduation_date": "2014-06-30",
              "certificate_number": cert_no, "confirm_name": "林晓",
              "confirm_document_number": number, "confirm_certificate_number": cert_no}
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)
    page.check("input[name=agree]")
    shot(page, "01-signup-filled")
    page.click("button[type=submit]")
    assert_shows(page, "您好，林晓")
    reload_until(page, "学历核验通过")
    shot(page, "02-home-verified")

    # Choose the exam, province and level; fill the form; accept the exam notice.
    page.click("text=考试报名")
    page.locator("a.btn", has_text="报名").first.click()
    page.click("button[type=submit]")  # province + level chosen
    page.check("input[name=notice]")
    shot(page, "03-application-form")
    page.click("button[type=submit]")
    assert_shows(page, "报名序号")
    reload_until(page, "去缴费")
    shot(page, "04-approved-pay")

    # A low-income candidate may ask for a fee waiver with a proof (seed 001); finance decides.
    page.click("text=家庭经济困难？申请减免报名费")
    page.fill("textarea[name=reason]", "城乡最低生活保障家庭")
    page.set_input_files("input[name=proof]", files=[{
        "name": "低保证明.pdf", "mimeType": "application/pdf", "buffer": _pdf_bytes()}])
    page.click("button:has-text('提交减免申请')")
    assert_shows(page, "减免申请已提交")
    assert_shows(page, "费用减免申请")

    # Pay at the provider, but its notification gets lost: the page must say unpaid...
    page.click("text=去缴费")
    assert "确认支付" in content(page)
    page.check("input[value=lost]")
    shot(page, "05-sandbox-pay-page")
    page.click("button[type=submit]")
    assert "待缴费" in content(page) or "未支付" in content(page)
    shot(page, "06-paid-but-unpaid")
    # ...until the candidate presses refresh, which asks the provider.
    page.click("text=刷新缴费状态")
    assert "已缴费" in content(page) or "已支付" in content(page)
    reload_until(page, "准考证号")
    shot(page, "07-admit-card")
    application_url = page.url.split("?")[0]
    pdf = page.request.get(application_url + "/admit-card.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    receipt = page.locator("a", has_text="下载电子票据").get_attribute("href")
    receipt_pdf = page.request.get(base + receipt)
    assert receipt_pdf.ok and receipt_pdf.body().startswith(b"%PDF")
    admit_card = re.search(r"准考证号 <strong>(\w+)</strong>", content(page)).group(1)

    # Staff imports the scores in the registration dashboard and publishes them.
    ops = chromium.new_context(locale="zh-CN").new_page()
    ops.goto(base + "/login")
    ops.fill("input[name=login]", "examadmin")
    ops.fill("input[name=password]", "Baokao#2026")
    ops.click("button[type=submit]")
    from services.identity.adapters.totp import now_code  # staff TOTP step (demo secret)
    from services.identity.demo import DEMO_TOTP_SECRET
    ops.fill("input[name=code]", now_code(DEMO_TOTP_SECRET))
    ops.click("button[type=submit]")
    application_id = application_url.rsplit("/", 1)[1]
    assert staff.get(f"/api/registration/applications/{application_id}").status_code in (403, 404)
    cand = Client(base).sign_in("linxiao2026", "Kao@Shi#95q")
    mine = cand.get(f"/api/registration/applications/{application_id}").json()
    csv_rows = ["admit_card_number,subject_code,score"] + [
        f"{admit_card},{s['code']},{70 + i}" for i, s in enumerate(mine["subjects"])]
    ops.goto(base + "/ops/registration/")
    shot(ops, "08-ops-registration")
    ops.goto(base + f"/ops/registration/sittings/{mine['sitting_id']}/scores")
    ops.set_input_files("input[type=file]", files=[{
        "name": "scores.csv", "mimeType": "text/csv", "buffer": "\n".join(csv_rows).encode()}])
    ops.click("button:has-text('上传并导入')")
    shot(ops, "09-scores-imported")
    ops.click("button:has-text('发布成绩')")
    shot(ops, "10-scores-published")

    # The candidate sees the scores, then the certificate, and anyone can verify it.
    page.goto(application_url)
    reload_until(page, "恭喜")
    shot(page, "11-scores")
    page.click("text=我的证书")
    reload_until(page, "下载电子证书")
    shot(page, "12-certificates")
    number_text = re.search(r"证书编号 <code>(\w+)</code>", content(page)).group(1)
    page.click("text=在线查验")
    page.fill("input[name=name]", "林晓")
    page.click("button[type=submit]")
    assert "证书有效" in content(page) and number_text in content(page)
    assert number not in content(page)  # the document number is masked
    shot(page, "13-verified")

    # The PDF's QR code, scanned, leads to the same verification.
    pdf = page.request.get(f"{base}/certificates/{number_text}/certificate.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    qr_url = scan_qr(pdf.body())
    assert qr_url.startswith(base + "/verify?number=" + number_text), qr_url
    page.goto(qr_url)
    page.fill("input[name=name]", "林晓")
    page.click("form[method=get] button[type=submit]")
    assert_shows(page, "证书有效")

    # The downloaded credential checks out, until two officers revoke the certificate.
    credential = page.request.get(f"{base}/certificates/{number_text}/credential.json").body()
    page.set_input_files("input[name=credential]", files=[{
        "name": "credential.json", "mimeType": "application/json", "buffer": credential}])
    page.click("button:has-text('校验文件')")
    assert_shows(page, "✔ 有效")
    first, second = Client(base).sign_in("certofficer"), Client(base).sign_in("certofficer2")
    asked = first.post(f"/api/certificates/{number_text}/revocations",
                       json={"reason_code": "issued_in_error", "reason": "成绩复核后不合格"})
    assert asked.status_code == 201, asked.text
    assert first.post(f"/api/certificates/revocations/{asked.json()['id']}/approve").status_code == 409
    assert second.post(f"/api/certificates/revocations/{asked.json()['id']}/approve").status_code == 200
    page.goto(qr_url)
    page.fill("input[name=name]", "林晓")
    page.click("form[method=get] button[type=submit]")
    assert_shows(page, "证书已吊销")
    shot(page, "14-revoked")

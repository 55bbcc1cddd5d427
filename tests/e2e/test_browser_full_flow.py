"""The seed-002 flow in headless Chromium: a new candidate applies for 二级建造师 (online review)
without commitment mode, uploads a proof, confirms; the province's reviewer approves in the
dashboard; the candidate pays and waits for the seat draw; the drawn card cannot print yet."""
from __future__ import annotations

import io
import re

import pytest

from tests.e2e.browser import content, photo_locked, shot
from tests.e2e.journey import Client, eventually
from tests.e2e.test_browser_journey import assert_shows, reload_until

pytestmark = pytest.mark.e2e


def _pdf() -> bytes:
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "Diploma 2012")
    c.save()
    return buf.getvalue()


def _sign_in(page, base: str, login: str, password: str = "Baokao#2026") -> None:
    page.goto(base + "/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    if page.locator("input[name=code]").count():  # staff: the TOTP step (demo secret)
        from services.identity.adapters.totp import now_code
        from services.identity.demo import DEMO_TOTP_SECRET
        page.fill("input[name=code]", now_code(DEMO_TOTP_SECRET))
        page.click("button[type=submit]")


def test_full_flow_to_waiting_for_seats(embedded, page, chromium):
    base = embedded.base_url
    from services.identity.domain.documents import check_digit
    first17 = "50010319880214331"
    cand = Client(base)
    body = {"username": "jianzao2026", "password": "Kao!Shi#Ren58", "name": "周建", "document_type":
            "resident_id", "document_number": first17 + check_digit(first17), "phone": None,
            "education_confirmed": True, "agreement_version": "2026-01", "education": {
                "level": "本科", "school": "重庆大学", "major": "土木工程",
                "graduation_date": "2010-07-01", "certificate_number": "106111201005000888",
                "study_mode": "全日制"}}
    made = cand.post("/api/identity/candidates", json=body)
    assert made.status_code == 201, made.text
    cand.sign_in("jianzao2026", "Kao!Shi#Ren58")
    photo_locked(chromium, base, cand, "周建", _sign_in)  # seed 000: before confirming

    # Exam → province: 二级建造师 takes the full flow.
    _sign_in(page, base, "jianzao2026", "Kao!Shi#Ren58")
    page.goto(base + "/exams")
    page.locator("article", has_text="二级建造师").locator("a.btn", has_text="报名").first.click()
    assert_shows(page, "告知承诺制告知书")
    assert_shows(page, "不可逆")
    shot(page, "f01-commitment-notice")
    page.click("button:has-text('不采用，上传证明材料')")
    assert_shows(page, "已选择不采用告知承诺制")
    page.check("input[name=accept]")
    shot(page, "f02-exam-notice")
    page.click("button[type=submit]")

    # The form: city, review point, specialty, subjects (all three), no exemption.
    assert_shows(page, "填写报名表")
    page.select_option("select[name=city]", "500103")
    page.select_option("select[name=review_point]", "50010301")
    page.select_option("select[name=specialty]", "01")
    shot(page, "f03-form")
    page.click("button:has-text('保存报名表')")
    assert_shows(page, "报名序号")
    assert_shows(page, "已保存，待确认提交")
    application_url = page.url.split("?")[0]

    # Confirming without proofs names what is missing; upload one, then confirm.
    page.click("button:has-text('确认提交')")
    assert_shows(page, "请先上传证明材料")
    page.select_option("#proofs select[name=kind]", "education")
    page.set_input_files("#proofs input[type=file]", files=[{
        "name": "学历证书.pdf", "mimeType": "application/pdf", "buffer": _pdf()}])
    page.click("#proofs button:has-text('上传')")
    assert_shows(page, "学历证书.pdf")
    shot(page, "f04-draft-with-proof")
    pdf = page.request.get(application_url + "/form.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    page.click("button:has-text('确认提交')")
    assert_shows(page, "报名已确认提交")
    assert_shows(page, "资格审核")
    shot(page, "f05-under-review")
    number = re.search(r"报名序号 <strong>(\w+)</strong>", content(page)).group(1)

    # The reviewer of province 50 approves in the registration dashboard.
    ops = chromium.new_context(locale="zh-CN").new_page()
    ops.set_default_timeout(15000)
    _sign_in(ops, base, "reviewer")

    def listed():
        ops.goto(base + "/ops/registration/reviews")
        return number in ops.content()
    eventually(listed, timeout=30, interval=0.5, what="the application in the review queue")
    ops.locator("tr", has_text=number).locator("button:has-text('审核通过')").click()
    shot(ops, "f06-reviewer-approved")
    ops.context.close()

    # Pay at the sandbox provider; the card then waits for the seat draw.
    reload_until(page, "去缴费")
    shot(page, "f07-approved-pay")
    page.click("text=去缴费")
    page.wait_for_url("**/gateway.do**")
    page.locator("button[type=submit]").first.wait_for()
    assert "确认支付" in content(page)
    page.click("button[type=submit]")
    reload_until(page, "等待编排考场")
    assert_shows(page, "由系统随机编排")
    shot(page, "f08-paid-waiting-for-seats")
    assert "修改报名信息" not in content(page)  # paid: no more edits

    # The exam admin draws the seats now; printing opens a week before the exam.
    admin = Client(base).sign_in("examadmin")
    drawn = admin.post("/api/registration/sittings/2026-JZ/seats/allocate", json={"province": "50"})
    assert drawn.status_code == 200, drawn.text
    reload_until(page, "准考证号")
    assert_shows(page, "考场 · 座位")  # every subject's session, room and seat
    page.click("text=打印准考证（PDF）")
    assert_shows(page, "准考证")
    assert page.url.split("?")[0] == application_url
    assert_shows(page, "当前准考证打印尚未开始")
    shot(page, "f09-admit-card-not-yet")


@pytest.mark.phone
def test_full_flow_pages_on_a_phone(embedded, page):
    """The same steps at 375 px: nothing wider than the screen."""
    base = embedded.base_url
    cand = Client(base)
    from services.identity.domain.documents import check_digit
    first17 = "50010619900512442"
    body = {"username": "shouji2026", "password": "Kao!Shi#Ren59", "name": "吴敏", "document_type":
            "resident_id", "document_number": first17 + check_digit(first17), "phone": None,
            "education_confirmed": True, "agreement_version": "2026-01", "education": {
                "level": "本科", "school": "重庆大学", "major": "工程管理",
                "graduation_date": "2012-07-01", "certificate_number": "106111201205000999",
                "study_mode": "全日制"}}
    made = cand.post("/api/identity/candidates", json=body)
    assert made.status_code == 201, made.text
    _sign_in(page, base, "shouji2026", "Kao!Shi#Ren59")
    page.goto(base + "/exams/2026-JZ/apply?province=50")
    assert_shows(page, "告知承诺制告知书")
    shot(page, "p01-commitment-phone")
    page.click("button:has-text('采用告知承诺制')")
    page.check("input[name=accept]")
    page.click("button[type=submit]")
    page.check("input[name=exempt][value=JZ101]")
    page.fill("input[name=basis_JZ101]", "高级工程师职称")
    page.uncheck("input[name=subjects][value=JZ101]")
    shot(page, "p02-form-phone")
    page.click("button:has-text('保存报名表')")
    assert_shows(page, "签署告知承诺书")
    shot(page, "p03-status-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"page is {width} px wide on a 375 px phone"
    page.goto(base + "/exams/2026-JZ/public-notice")
    assert_shows(page, "合格人员公示")

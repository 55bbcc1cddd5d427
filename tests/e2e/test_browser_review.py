"""Manual check in the browser: a reviewer rejects with a reason, the candidate uploads a
proof, and the second decision passes (issue 5's browser path)."""
from __future__ import annotations

import pytest

from tests.e2e.browser import content, one_line_pdf, shot, staff_page
from tests.e2e.journey import Client, eventually

pytestmark = pytest.mark.e2e




def _open_item(reviewer, base: str, candidate_id: str):
    """Find the candidate's item in the queue (waiting, or back with its reviewer) and hold it."""
    def listed():
        for view in ("waiting", "claimed"):
            reviewer.goto(base + f"/ops/verification/review?view={view}")
            if candidate_id in reviewer.content():
                return True
        return False
    try:
        eventually(listed, timeout=30, interval=0.5, what="the review item in the reviewer's queue")
    except AssertionError:
        shot(reviewer, "r0-queue-without-item")
        raise
    reviewer.locator("tr", has_text=candidate_id).locator("a", has_text="查看").first.click()
    if reviewer.locator("button:has-text('领取')").count():
        reviewer.click("button:has-text('领取')")


def _choose_reason(page, outcome_label: str) -> None:
    """The reason must come from the templates that fit the decision."""
    labels = page.locator("form[action$='/decision'] select[name=reason_code] option").all_text_contents()
    page.select_option("form[action$='/decision'] select[name=reason_code]",
                       label=next(x for x in labels if x.startswith(outcome_label + "：")))


def test_reviewer_rejects_candidate_uploads_proof_second_decision_passes(embedded, page, chromium):
    base = embedded.base_url
    from services.identity.domain.documents import check_digit
    first17 = "50010219781105123"
    number = first17 + check_digit(first17)  # 重庆 (50): the demo reviewer's province
    cand = Client(base)
    body = {"username": "oldgrad1999", "password": "Xue!Li#Zheng7", "name": "陈旧", "document_type":
            "resident_id", "document_number": number, "phone": None, "education_confirmed": True,
            "agreement_version": "2026-01", "education": {
                "level": "本科", "school": "西南师范大学", "major": "汉语言文学",
                "graduation_date": "1999-07-01", "certificate_number": "106351199905000321",
                "study_mode": "全日制"}}
    assert cand.post("/api/identity/candidates", json=body).status_code == 201
    cand.sign_in("oldgrad1999", "Xue!Li#Zheng7")
    candidate_id = cand.get("/api/identity/me").json()["id"]

    reviewer = staff_page(chromium, base, "reviewer")
    _open_item(reviewer, base, candidate_id)
    reviewer.select_option("select[name=outcome]", "failed")
    _choose_reason(reviewer, "不通过")
    reviewer.fill("textarea[name=note]", "学历证书编号与档案不符，请上传毕业证书扫描件")
    shot(reviewer, "r1-reviewer-rejects")
    reviewer.click("button:has-text('提交决定')")
    shot(reviewer, "r1b-after-decision")

    page.goto(base + "/login")
    page.fill("input[name=login]", "oldgrad1999")
    page.fill("input[name=password]", "Xue!Li#Zheng7")
    page.click("button[type=submit]")
    def reason_shown():
        page.reload()
        return "学历证书编号与档案不符" in content(page) and "核验未通过" in content(page)
    eventually(reason_shown, timeout=30, interval=0.5, what="the reviewer's reason on the candidate's page")
    shot(page, "r2-candidate-sees-reason")
    page.set_input_files("input[type=file]", files=[{"name": "文本.txt", "mimeType": "application/pdf",
                                                   "buffer": b"not really a pdf"}])
    page.click("form.upload button")
    assert "PDF" in content(page) and "flash error" in content(page)  # refused by content
    page.set_input_files("input[type=file]", files=[{
        "name": "毕业证书.pdf", "mimeType": "application/pdf", "buffer": one_line_pdf("Diploma 1999")}])
    page.click("form.upload button")
    assert "证明材料已上传" in content(page)
    shot(page, "r3-proof-uploaded")

    second = staff_page(chromium, base, "reviewer")
    _open_item(second, base, candidate_id)
    assert "毕业证书.pdf" in second.content()
    second.select_option("select[name=outcome]", "passed")
    _choose_reason(second, "通过")
    second.click("button:has-text('提交决定')")
    shot(second, "r4-second-decision")
    eventually(lambda: any(c["status"] == "passed" for c in cand.get("/api/verification/me/checks").json()),
               timeout=30, what="the check passed after the second decision")
    page.goto(base + "/")
    assert "核验通过" in content(page)
    shot(page, "r5-candidate-passed")

"""A returning candidate (老考生, seeds 002/004) in headless Chromium: 经济 keeps scores for two
consecutive exam years, so the subject passed last year carries over. The candidate applies for
the remaining subject only, pays, gets the admit card; the exam admin imports the CSV (another
candidate absent: code -1) and publishes; the candidate reads the scores (this year's, the
carried one), asks for a score review, and the admin's correction completes the qualification."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.e2e.browser import content, shot
from tests.e2e.journey import (
    Client,
    apply,
    eventually,
    pay_through_sandbox,
)
from tests.e2e.test_browser_full_flow import _sign_in
from tests.e2e.test_browser_journey import assert_shows, reload_until

pytestmark = pytest.mark.e2e

API = "/api/registration"
USERNAME, PASSWORD, NAME = "chenjing2025", "Kao!Shi#Wq73", "陈静"
OTHER, OTHER_PASSWORD, OTHER_NAME = "zhaolei2026", "Bao!Ming#Tz41", "赵磊"


def _candidate(base: str, admin: Client, username: str, password: str, name: str,
               first17: str, cert: str) -> Client:
    """An account whose education the simulated registry knows, so 经济's automatic review passes."""
    from services.identity.domain.documents import check_digit
    record = admin.post("/api/verification/registry/education", json={
        "certificate_number": cert, "name": name, "level": "本科", "school": "暨南大学",
        "major": "经济学", "graduation_date": "2009-07-01", "study_mode": "全日制"})
    assert record.status_code == 201, record.text
    cand = Client(base)
    made = cand.post("/api/identity/candidates", json={
        "username": username, "password": password, "name": name, "document_type": "resident_id",
        "document_number": first17 + check_digit(first17), "phone": None,
        "education_confirmed": True, "agreement_version": "2026-01", "education": {
            "level": "本科", "school": "暨南大学", "major": "经济学", "graduation_date": "2009-07-01",
            "certificate_number": cert, "study_mode": "全日制"}})
    assert made.status_code == 201, made.text
    cand.sign_in(username, password)
    eventually(lambda: any(c["status"] == "passed"
                           for c in cand.get("/api/verification/me/checks").json()),
               what="education verified")
    return cand


def _view(cand: Client, application_id: str) -> dict:
    return cand.get(f"{API}/applications/{application_id}").json()


def _to_admit_card(cand: Client, application: dict) -> dict:
    """Approved by the automatic review → paid at the sandbox → card (on payment in 经济)."""
    approved = eventually(lambda: (v := _view(cand, application["id"]))["next_action"] == "pay"
                          and v, what="approved")
    pay_through_sandbox(cand, approved)
    return eventually(lambda: (v := _view(cand, application["id"]))["admit_card"] and v,
                      what="admit card")


def _import(admin: Client, sitting: str, rows: list[tuple[str, str, str]]) -> None:
    csv = "\n".join(["admit_card_number,subject_code,score"] + [",".join(r) for r in rows])
    imported = admin.post(f"{API}/sittings/{sitting}/scores/import", data=csv.encode(),
                          headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    published = admin.post(f"{API}/sittings/{sitting}/scores/publish")
    assert published.status_code == 200, published.text


def _last_year(admin: Client, cand: Client) -> dict:
    """2025: the authority ran the sitting (copied from this year's catalog, its windows replayed
    for the few minutes it takes); the candidate passed JJ201 and failed JJ202."""
    copied = admin.post(f"{API}/sittings/2026-JJ/copy", json={
        "year": 2025, "exam_date": (date.today() - timedelta(days=330)).isoformat()})
    assert copied.status_code == 201, copied.text
    now = datetime.now(UTC)

    def windows(start, end):
        for kind in ("application", "payment"):
            r = admin.http.put(f"{admin.base}{API}/sittings/2025-JJ/windows/44/{kind}",
                               headers=admin._headers(), timeout=15,
                               json={"start": start.isoformat(), "end": end.isoformat()})
            assert r.status_code == 200, r.text
    windows(now - timedelta(days=1), now + timedelta(days=1))
    made = cand.post(f"{API}/applications", json={
        "sitting_id": "2025-JJ", "province": "44", "city": "440100", "level": "02",
        "specialty": "01", "subjects": ["JJ201", "JJ202"]})
    assert made.status_code == 201, made.text
    first = _to_admit_card(cand, made.json())
    number = first["admit_card"]["number"]
    _import(admin, "2025-JJ", [(number, "JJ201", "66"), (number, "JJ202", "40")])
    # Last year's windows closed again: 2025 is no longer offered to anyone.
    windows(now - timedelta(days=2), datetime.now(UTC) - timedelta(seconds=1))
    assert all(e["sitting_id"] != "2025-JJ" for e in cand.get(f"{API}/exams").json())
    return first


def _score_cell(html: str, subject: str) -> str:
    """The text of the scores table's row for ``subject`` (tags stripped)."""
    section = html.split("<h2>成绩</h2>", 1)[1].split("</section>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", section, re.S):
        if subject in row:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
    raise AssertionError(f"no score row for {subject}")


def test_returning_candidate_carries_a_subject_and_reads_scores(embedded, page, chromium):
    base = embedded.base_url
    admin = Client(base).sign_in("examadmin")
    cand = _candidate(base, admin, USERNAME, PASSWORD, NAME, "44010419870312451",
                      "105581200907000451")
    first = _last_year(admin, cand)

    # This year: the form knows the archive and offers only the subject still to pass.
    _sign_in(page, base, USERNAME, PASSWORD)
    assert_shows(page, f"您好，{NAME}")
    page.goto(base + "/exams")
    page.locator("article", has_text="经济专业技术资格考试").locator("a.btn", has_text="报名").first.click()
    page.select_option("select[name=province]", "44")
    page.select_option("select[name=level]", "02")
    page.click("button:has-text('下一步')")
    assert_shows(page, "填写报名信息")
    html = content(page)
    assert "已在滚动周期内合格" in html and "2025年" in html and "66分" in html
    assert first["application_number"] in html  # the archive number links the sittings
    assert page.locator("input[name=subjects][value=JJ201]").count() == 0
    assert page.locator("input[name=subjects][value=JJ202]").is_checked()
    shot(page, "s01-returning-form")
    page.check("input[name=notice]")
    page.click("button:has-text('保存并提交')")
    assert_shows(page, "报名序号")
    application_url = page.url.split("?")[0]
    application_id = application_url.rsplit("/", 1)[1]
    html = content(page)
    assert "50.00 元" in html or "50 元" in html, "one subject, 50 元"
    assert [s["code"] for s in _view(cand, application_id)["subjects"]] == ["JJ202"]
    assert _view(cand, application_id)["archive_number"] == first["application_number"]

    # Pay at the sandbox provider's page; the card is issued on payment in 经济.
    reload_until(page, "去缴费")
    shot(page, "s02-approved-pay")
    page.click("text=去缴费")
    page.wait_for_url("**/gateway.do**")
    page.locator("button[type=submit]").first.wait_for()
    assert "确认支付" in content(page)
    page.click("button[type=submit]")
    reload_until(page, "准考证号")
    shot(page, "s03-admit-card")
    card = re.search(r"准考证号 <strong>(\w+)</strong>", content(page)).group(1)
    pdf = page.request.get(application_url + "/admit-card.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # Another candidate of this sitting missed one exam (code -1 in the authority's file).
    other = _candidate(base, admin, OTHER, OTHER_PASSWORD, OTHER_NAME, "44010519900101452",
                       "105581201207000452")
    absent = _to_admit_card(other, apply(other))
    assert absent["sitting_id"] == "2026-JJ"
    absent_card = absent["admit_card"]["number"]
    a1, a2 = (s["code"] for s in absent["subjects"])

    # The exam admin uploads the CSV in the dashboard, reads the report, publishes.
    ops = chromium.new_context(locale="zh-CN").new_page()
    ops.set_default_timeout(15000)
    _sign_in(ops, base, "examadmin")
    ops.goto(base + "/ops/registration/sittings/2026-JJ/scores")
    csv = "\n".join(["admit_card_number,subject_code,score", f"{card},JJ202,59",
                     f"{absent_card},{a1},-1", f"{absent_card},{a2},55"])
    ops.set_input_files("input[type=file]", files=[{
        "name": "2026经济成绩.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    ops.click("button:has-text('上传并导入')")
    assert_shows(ops, "导入成功：共 3 行，全部接受 3 行")
    shot(ops, "s04-ops-imported")
    ops.click("button:has-text('发布成绩')")
    assert_shows(ops, "发布完成")
    shot(ops, "s05-ops-published")

    # The candidate reads this year's score (59: short of 60) and last year's carried subject.
    page.goto(application_url)
    reload_until(page, "成绩复核")
    html = content(page)
    row = _score_cell(html, "专业知识和实务（中级）")
    assert "59" in row and "不合格" in row, row
    carried = _score_cell(html, "经济基础知识（中级）")
    assert "66" in carried and "2025年考试成绩，有效至2026年度" in carried, carried
    assert "恭喜" not in html
    shot(page, "s06-scores-not-yet")

    # The absent candidate reads 缺考, never a bare "-1".
    other_page = chromium.new_context(locale="zh-CN").new_page()
    other_page.set_default_timeout(15000)
    _sign_in(other_page, base, OTHER, OTHER_PASSWORD)
    other_page.goto(f"{base}/applications/{absent['id']}")
    assert_shows(other_page, "缺考")
    assert ">-1<" not in content(other_page)
    shot(other_page, "s07-absent-scores")
    other_page.context.close()

    # A review of JJ202 within 30 days of publication (seed 004).
    page.select_option("#score-review select[name=subject_code]", "JJ202")
    page.fill("#score-review textarea[name=reason]", "自我估分 65 分左右，申请复核第三大题")
    page.click("button:has-text('申请成绩复核')")
    assert_shows(page, "成绩复核申请已提交")
    assert_shows(page, "复核中")
    assert page.locator("button:has-text('申请成绩复核')").count() == 0  # one per subject
    shot(page, "s08-review-requested")

    # The admin finds a question left unmarked and corrects the score in the dashboard.
    def listed():
        ops.goto(base + "/ops/registration/sittings/2026-JJ/scores")
        return _view(cand, application_id)["application_number"] in content(ops)
    eventually(listed, timeout=30, interval=0.5, what="the review in the dashboard")
    number = _view(cand, application_id)["application_number"]
    row = ops.locator("tr", has_text=number)
    row.locator("select[name=outcome]").select_option("corrected")
    row.locator("input[name=new_score]").fill("62")
    row.locator("input[name=answer]").fill("复核发现第三大题一小问漏评，已更正")
    row.locator("button:has-text('答复')").click()
    assert_shows(ops, "已更正为 62")
    shot(ops, "s09-ops-review-answered")
    ops.context.close()

    # Corrected: 62 passes; with the carried subject the qualification is complete.
    reload_until(page, "恭喜")
    html = content(page)
    row = _score_cell(html, "专业知识和实务（中级）")
    assert "62" in row and "不合格" not in row, row
    assert "成绩更正为 62" in html
    assert _view(cand, application_id)["qualified"] is True
    shot(page, "s10-qualified")
    cert = eventually(lambda: cand.get("/api/certificates/me").json(), what="certificate issued")
    assert len(cert) == 1 and cert[0]["number"]

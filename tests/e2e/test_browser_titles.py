"""职称初定 in the browser (seed 003, issue 9), on a 375 px phone: the professional fills the
base profile and performance archive, chooses 渝北区人社局, signs the pledge, fills the sections,
syncs the archive, uploads a PDF, previews and submits; the unit clerk returns it with a reason;
the professional reads the reason, modifies and resubmits; the clerk approves; the handling
record ends with 发放证书, the title certificate is under 我的证书 and verifies publicly."""
from __future__ import annotations

import re

import pytest

from tests.e2e.browser import content, one_line_pdf, shot, staff_page
from tests.e2e.journey import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.phone]




def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 380, "wider than a phone"


def _clerk_opens(clerk, base: str, number: str) -> None:
    def listed():
        clerk.goto(base + "/ops/registration/titles/")
        return number in content(clerk)
    eventually(listed, timeout=30, interval=0.5, what="the application in the unit's queue")
    clerk.locator("tr", has_text=number).locator("a", has_text="办理").first.click()


def test_initial_title_returned_modified_approved_and_certificate_verifies(embedded, page, chromium):
    base = embedded.base_url
    page.goto(base + "/login")
    page.fill("input[name=login]", "demo_candidate")
    page.fill("input[name=password]", "Baokao#2026")
    page.click("button[type=submit]")

    # 职称 home → 基本信息
    page.click("nav >> text=职称申报")
    for entry in ("职称初定", "职称确认", "职称评审", "我的申报", "我的证书", "基本信息", "业绩档案"):
        assert entry in content(page)
    shot(page, "t01-titles-home")
    _no_sideways_scroll(page)
    page.click(".tiles >> text=基本信息")
    page.select_option("select[name=gender]", "女")
    page.fill("input[name=birth_date]", "1996-05-04")
    page.fill("input[name=phone]", "13800138001")
    page.select_option("select[name=political_status]", "群众")
    page.select_option("select[name=education_highest]", "本科")
    page.fill("input[name=work_start_date]", "2019-07-01")
    page.select_option("select[name=current_series]", "工程技术")
    page.select_option("select[name=personnel_category]", "事业单位人员")
    page.fill("input[name=employer]", "重庆某建筑设计院")
    page.fill("input[name=employer_region]", "500112")
    page.click("button:has-text('保存')")
    assert "基本信息已保存" in content(page)

    # 业绩档案
    page.click(".titles-tabs >> text=业绩档案")
    page.select_option("select[name=kind]", "project")
    page.fill("input[name=title]", "渝北区某小学教学楼结构设计")
    page.fill("input[name=date]", "2021-03-01")
    page.fill("input[name=role]", "主要设计人")
    page.fill("textarea[name=description]", "负责结构计算与施工图设计")
    page.click("button:has-text('加入业绩档案')")
    assert "业绩已加入档案" in content(page)
    shot(page, "t02-archive")

    # 职称初定 → 渝北区人社局 → 我要申报 → pledge
    page.click(".titles-tabs >> text=职称首页")
    page.click(".tiles >> text=职称初定")
    page.fill("input[name=q]", "渝北")
    page.click("form.search button")
    page.click("text=渝北区人力资源和社会保障局")
    assert "申报须知" in content(page) and "附件要求" in content(page)
    page.click("text=我要申报")
    page.select_option("select[name=title]", "工程技术|助理工程师|初级")
    page.fill("input[name=specialty]", "建筑")
    page.check("input[name=pledge]")
    shot(page, "t03-pledge")
    page.click("button:has-text('填写申报书')")
    assert "申报书编号" in content(page)
    application_number = re.search(r"申报书编号 (\d{12})", content(page)).group(1)

    # sections, saved as we go
    assert page.input_value("input[name=employer]") == "重庆某建筑设计院"  # from the profile
    page.click("button:has-text('保存并进入下一项')")
    page.fill("input[name=items-0-start]", "2015-09-01")
    page.fill("input[name=items-0-end]", "2019-06-30")
    page.fill("input[name=items-0-school]", "重庆大学")
    page.select_option("select[name=items-0-education]", "本科")
    page.fill("input[name=items-0-degree]", "学士")
    page.fill("input[name=items-0-major]", "土木工程")
    page.click("button:has-text('保存并进入下一项')")
    assert "“学历学位”已保存" in content(page)
    page.fill("input[name=items-0-start]", "2019-07-01")
    page.fill("input[name=items-0-employer]", "重庆某建筑设计院")
    page.fill("input[name=items-0-position]", "设计员")
    page.click("button:has-text('保存并进入下一项')")
    page.click("button:has-text('同步业绩档案')")
    assert "已从业绩档案同步" in content(page)
    assert page.input_value("input[name=items-0-title]") == "渝北区某小学教学楼结构设计"
    shot(page, "t04-achievements-synced")
    page.click("button:has-text('保存并进入下一项')")
    page.fill("textarea[name=text]", "见习期间参与三个项目的结构设计。")
    page.click("button:has-text('保存并进入下一项')")
    page.set_input_files("input[type=file]", files=[{"name": "照片.pdf", "mimeType": "application/pdf",
                                                   "buffer": b"\x89PNG\r\n\x1a\nnot a pdf"}])
    page.click("button:has-text('上传')")
    assert "PDF" in content(page) and "flash error" in content(page)  # refused by content
    page.set_input_files("input[type=file]", files=[{
        "name": "学历学位证书.pdf", "mimeType": "application/pdf",
        "buffer": one_line_pdf("Bachelor of Engineering 2019")}])
    page.click("button:has-text('上传')")
    assert "已上传：学历学位证书.pdf" in content(page)
    shot(page, "t05-attachments")
    page.click("a.btn:has-text('预览及提交')")
    assert "尚未填写完整" not in content(page) and "重庆大学" in content(page)
    shot(page, "t06-preview")
    _no_sideways_scroll(page)
    page.click("button:has-text('提交申报书')")
    assert "申报书已提交" in content(page) and "撤回" in content(page)
    shot(page, "t07-my-applications-submitted")

    # the clerk returns it with a reason
    clerk = staff_page(chromium, base, "unitclerk")
    assert "职称申报受理" in content(clerk)
    _clerk_opens(clerk, base, application_number)
    clerk.fill("form[action$='/return'] input[name=reason]", "请完善见习期工作小结，写明承担的具体工作")
    shot(clerk, "t08-clerk-returns")
    clerk.click("button:has-text('退回给个人')")

    # the professional sees the reason, modifies, resubmits
    page.goto(base + "/titles/applications")
    assert "已退回" in content(page)
    page.click("a.btn:has-text('修改')")
    assert "退回原因记录" in content(page) and "请完善见习期工作小结" in content(page)
    page.click("nav.section-nav >> text=见习期工作小结")
    page.fill("textarea[name=text]", "见习期间独立承担两栋教学楼的结构计算，参与施工图审查意见回复。")
    page.click("button:has-text('保存并进入下一项')")
    page.click("a.btn:has-text('预览及提交')")
    shot(page, "t09-returned-reason-and-preview")
    page.click("button:has-text('提交申报书')")
    assert "申报书已提交" in content(page)

    # the clerk approves: decided, certificate issued
    _clerk_opens(clerk, base, application_number)
    clerk.fill("form[action$='/approve'] input[name=note]", "符合初定条件")
    clerk.click("button:has-text('审核通过')")
    shot(clerk, "t10-clerk-approved")

    def completed():
        page.goto(base + "/titles/applications")
        return "已办结" in content(page)
    eventually(completed, timeout=60, interval=0.5, what="the application completed (certificate issued)")
    page.click("a.btn:has-text('办理记录')")
    assert "发放证书" in content(page) and "退回" in content(page) and "郑*" in content(page)
    shot(page, "t11-handling-record")
    page.click(".titles-tabs >> text=我的证书")
    assert "助理工程师" in content(page) and "职称初定" in content(page)
    number = re.search(r"<code>(ZC\d{4}[0-9A-Z]+)</code>", content(page)).group(1)
    shot(page, "t12-my-title-certificates")
    page.click("a:has-text('查看')")
    assert "分享给用人单位" in content(page) and number in content(page)

    public = chromium.new_context(locale="zh-CN").new_page()
    public.goto(base + "/verify")
    public.fill("input[name=number]", number)
    public.fill("input[name=name]", "王小明")
    public.click("button:has-text('查验')")
    assert "证书有效" in content(public) and "职称证书" in content(public)
    assert "助理工程师" in content(public)
    shot(public, "t13-public-verification")

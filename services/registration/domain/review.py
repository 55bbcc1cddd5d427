"""Qualification review (资格审核) rules, and what the candidate should do next.

Automatic mode decides from the candidate's latest education check: passed and high enough →
approve; failed or too low → return with a reason; unknown or waiting for a manual / on-site
check → keep waiting. Online and on-site modes (later rounds) add decisions by people.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.registration.domain import application as app
from services.registration.domain.catalog import Window, beijing, education_meets

APPROVE, RETURN, WAIT = "approve", "return", "wait"
WAITING_NOTES = {
    None: "等待学历核验结果",
    "checking": "学历核验中，请耐心等待",
    "manual_check": "学历需人工核验，请等待考试机构审核",
    "on_site_check": "学历需现场核验，请按通知到审核点办理",
}


@dataclass(frozen=True)
class Decision:
    verdict: str  # approve | return | wait
    note: str


def automatic(*, outcome: str | None, reason: str | None, education_level: str | None,
              min_education: str | None) -> Decision:
    """Decide an application from the education check alone (automatic review mode)."""
    if outcome == "passed":
        if education_meets(education_level, min_education):
            return Decision(APPROVE, "学历核验通过")
        return Decision(RETURN, f"学历未达到报考条件：该级别要求{min_education}及以上学历，"
                                f"核验学历为{education_level or '无'}")
    if outcome == "failed":
        return Decision(RETURN, reason or "学历核验未通过，请核对注册时填写的学历信息")
    return Decision(WAIT, WAITING_NOTES.get(outcome, WAITING_NOTES[None]))


def by_mode(decision: Decision, mode: str, commitment_mode: bool) -> Decision:
    """Who decides, by the exam's review mode (seed 004).

    ``automatic``: the rule decides. ``online`` / ``on_site``: a reviewer decides, except that a
    commitment-mode application whose online check passed is approved by the rule (the authority
    relies on the commitment and checks after the exam); everything else waits in the queue.
    """
    if mode not in ("online", "on_site"):
        return decision
    if commitment_mode and decision.verdict == APPROVE:
        return decision
    where = "请等待考试机构网上审核" if mode == "online" else "请按通知携带证明材料到所选审核点现场审核"
    return Decision(WAIT, f"{decision.note}；{where}" if decision.verdict == WAIT else where)


@dataclass(frozen=True)
class NextStep:
    action: str  # wait_review | pay | wait_admit_card | print_admit_card | wait_scores | view_scores | none
    sentence: str


def next_step(state: str, *, now: datetime, payment: Window | None, admit_card: Window | None,
              exam_date: date | None, review_reason: str | None, qualified: bool,
              needs_letter: bool = False, needs_proofs: bool = False) -> NextStep:
    """The one sentence at the top of the status page (seed 002: 状态信息 + 操作提示)."""
    if state == app.DRAFT:
        todo = [t for t, needed in (("签署告知承诺书", needs_letter), ("上传证明材料", needs_proofs))
                if needed]
        return NextStep("confirm", "报名信息已保存，尚未提交。请" + (
            "、".join(todo) + "后" if todo else "核对信息后") + "确认提交，确认提交后才进入资格审核。")
    if state == app.CANCELLED:
        return NextStep("none", "该考试（岗位）因报名人数不足已取消，已缴费用将原路退回。")
    if state in (app.SUBMITTED, app.UNDER_REVIEW):
        return NextStep("wait_review", "报名已提交，正在进行资格审核，请耐心等待审核结果。")
    if state == app.RETURNED:
        return NextStep("modify", f"资格审核未通过：{review_reason or '不符合报考条件'}。"
                                  "请在报名期内修改报名信息后重新确认提交，如有疑问请联系报名地考试机构。")
    if state == app.APPROVED:
        if payment and now > payment.end:
            return NextStep("none", f"缴费时间已于 {beijing(payment.end)} 截止，本次报名未完成。")
        if payment and now < payment.start:
            return NextStep("wait_review", f"资格审核已通过，请于 {payment.describe()} 缴费。")
        deadline = f"，截止时间 {beijing(payment.end)}" if payment else ""
        return NextStep("pay", f"资格审核已通过，请在缴费期内完成网上缴费{deadline}。")
    if state == app.PAID:
        return NextStep("wait_admit_card", "缴费成功，准考证生成后即可打印。")
    if state == app.ADMIT_CARD_ISSUED:
        if exam_date and now.date() > exam_date:
            return NextStep("wait_scores", "考试已结束，请等待成绩发布。")
        if admit_card and now < admit_card.start:
            return NextStep("wait_admit_card", f"准考证已生成，请于 {admit_card.describe()} "
                                               "期间下载打印准考证。")
        return NextStep("print_admit_card", "准考证已生成，请下载并用 A4 纸打印，考试时携带准考证和"
                                            "有效身份证件原件。")
    if state == app.SCORES_PUBLISHED:
        return NextStep("view_scores", "成绩已发布，全部科目合格，请留意资格核查与证书通知。" if qualified
                        else "成绩已发布，请查看各科成绩。")
    if state == app.EXPIRED:
        closed = f"（{beijing(payment.end)}）" if payment and payment.end else ""
        return NextStep("none", f"缴费截止时间{closed}前未完成缴费，本次报名已过期，不能再缴费。"
                                "如需报考，请关注下次考试的报名通知；如在截止后仍被扣款，费用将在对账后原路退回。")
    if state == app.WITHDRAWN:
        return NextStep("none", "报名已撤回。报名期内可重新报名。")
    if state == app.REFUNDED:
        return NextStep("none", "报名已取消，费用已退回。")
    return NextStep("none", "")

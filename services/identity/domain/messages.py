"""What a candidate is told when something happens elsewhere (the message centre)."""
from __future__ import annotations

VERIFICATION_OUTCOMES = {"passed": "学历核验通过", "failed": "学历核验未通过",
                         "manual_check": "学历需人工核验", "on_site_check": "学历需现场核验"}


def describe(event_type: str, data: dict) -> tuple[str, str, str | None] | None:
    """(title, body, link) for an event a candidate should hear about, else None."""
    if event_type == "verification.education.verified":
        title = VERIFICATION_OUTCOMES[data["outcome"]]
        body = data.get("reason") or "您在注册时填写的学历已与学信网记录比对。"
        return title, body, "/"
    if event_type == "verification.identity.verified":
        if data["outcome"] == "passed":
            return "身份核验通过", "您的姓名与证件号码已经公安部门身份核验。", "/"
        if data["outcome"] == "failed":
            return "身份核验未通过", (data.get("reason") or "姓名与证件号码不一致") + \
                "。如注册时姓名填写有误，请在“账号与安全”中更正姓名，系统将重新核验。", "/account/name"
        return None
    if event_type == "registration.application.cancelled":
        body = f"{data['exam_name']}（报名序号 {data['application_number']}）已取消：{data['reason']}。"
        body += "已缴报名费将原路退回，请留意退费通知。" if data.get("refund") else ""
        return "考试已取消", body, "/"
    if event_type == "payment.order.refunded":
        yuan = data["refunded_fen"] / 100
        return "退费已完成", f"订单 {data['order_number']} 已退费 {yuan:.2f} 元（{data['reason']}），" \
                         "原路退回您的支付账户。", "/"
    if event_type == "registration.application.reviewed":
        n = data["application_number"]
        if data["outcome"] == "approved":
            return "资格审核通过", f"报名序号 {n} 已通过资格审核，请在缴费期内完成缴费。", "/"
        return "报名被退回", f"报名序号 {n} 被退回：{data.get('reason') or '请修改后重新提交'}", "/"
    if event_type == "payment.order.paid":
        yuan = data["amount_fen"] / 100
        return "缴费成功", f"订单 {data['order_number']} 已缴费 {yuan:.2f} 元。", "/"
    if event_type == "registration.admit_card.issued":
        return "准考证已生成", f"{data['exam_name']} 准考证号 {data['admit_card_number']}，" \
                            f"考点 {data['site']} {data['room']} 第 {data['seat']} 座。", "/"
    if event_type == "registration.scores.published":
        passed = all(s["passed"] for s in data["scores"])
        return "成绩已发布", f"{data['exam_name']} 成绩已发布" + ("，全部科目合格。" if passed else "。"), "/"
    if event_type == "certificates.certificate.issued":
        return "证书已签发", f"{data['title']} 电子证书 {data['certificate_number']} 已签发。", \
            data["verification_url"]
    return None

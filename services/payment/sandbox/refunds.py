"""The sandbox's ``alipay.trade.refund``: partial refunds, idempotent per ``out_request_no``.

Like Alipay: a repeated request number answers the first refund again (``fund_change`` "N")
instead of refunding twice; more than the trade's balance is refused
(``ACQ.REFUND_AMT_NOT_EQUAL_TOTAL``); a trade refunded in full is closed.
"""
from __future__ import annotations

from flask import request

from services.common import clock
from services.payment.adapters.alipay import beijing_time
from services.payment.domain.money import fen_to_yuan, yuan_to_fen

FAULTS = ("error", "lost_answer")
KEY = "alipay_trade_refund_response"


def install(app) -> None:
    ext = app.extensions["sandbox"]
    store = ext["store"]

    @app.post("/api/trade/refund")
    def trade_refund():
        params = request.form.to_dict()
        refused = ext["refused"]
        try:
            biz = ext["verified_request"](params)
            if params.get("method") != "alipay.trade.refund":
                raise refused("40002", "isv.invalid-method", "不支持的接口")
            answer = refund(store, params["app_id"], biz, refused)
        except refused as exc:
            return ext["signed_answer"]({"code": exc.code, "msg": "Business Failed",
                                         "sub_code": exc.sub_code, "sub_msg": exc.message}, KEY)
        fault = ext["refund_faults"].pop(0) if ext["refund_faults"] else None
        if fault == "error":
            return ext["signed_answer"]({"code": "20000", "msg": "Service Currently Unavailable",
                                         "sub_code": "ACQ.SYSTEM_ERROR",
                                         "sub_msg": "系统错误（沙箱模拟）"}, KEY)
        answer = answer()
        if fault == "lost_answer":
            return app.response_class("gateway timeout (sandbox)", 504)
        return ext["signed_answer"](answer, KEY)


def refund(store, app_id: str, biz: dict, refused):
    """Check the request; return a function that performs it and builds the answer."""
    trade = (store.trade_by_no(str(biz["trade_no"])) if biz.get("trade_no")
             else store.trade(app_id, str(biz.get("out_trade_no", ""))))
    if trade is None or trade.app_id != app_id:
        raise refused("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
    request_no = str(biz.get("out_request_no") or trade.out_trade_no)[:64]
    try:
        fen = yuan_to_fen(str(biz.get("refund_amount", "")))
        if fen <= 0:
            raise ValueError
    except ValueError as exc:
        raise refused("40004", "ACQ.INVALID_PARAMETER", "退款金额不正确") from exc
    done = store.refund(trade.trade_no, request_no)
    if done is None:
        if trade.paid_at is None:
            raise refused("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        already = sum(yuan_to_fen(r.refund_amount) for r in store.refunds_of(trade.trade_no))
        if already + fen > yuan_to_fen(trade.total_amount):
            raise refused("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")

    def perform() -> dict:
        change = "N"
        if done is None:
            store.add_refund(trade_no=trade.trade_no, out_request_no=request_no,
                             refund_amount=fen_to_yuan(fen),
                             reason=str(biz.get("refund_reason", ""))[:256],
                             refunded_at=clock.now())
            change = "Y"
        rows = store.refunds_of(trade.trade_no)
        total = sum(yuan_to_fen(r.refund_amount) for r in rows)
        if total >= yuan_to_fen(trade.total_amount):
            store.change(trade.trade_no, status="TRADE_CLOSED")
        this = store.refund(trade.trade_no, request_no)
        return {"code": "10000", "msg": "Success", "trade_no": trade.trade_no,
                "out_trade_no": trade.out_trade_no, "out_request_no": request_no,
                "fund_change": change, "refund_fee": fen_to_yuan(total),
                "send_back_fee": this.refund_amount,
                "gmt_refund_pay": beijing_time(this.refunded_at)}
    return perform

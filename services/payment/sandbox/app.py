"""The sandbox provider's web app: Alipay-like gateway, hosted pay page, trade query, admin page.

Endpoints (port 8106):
- ``GET /gateway.do?…`` signed ``alipay.trade.wap.pay`` request → the hosted pay page (Chinese);
- ``POST /gateway/pay`` the "确认支付" button → trade paid, browser back to return_url,
  notification sent in the background (with the faults chosen on the page or in the env);
- ``POST /api/trade/query`` signed ``alipay.trade.query`` → signed JSON answer;
- ``POST /api/trade/refund`` signed ``alipay.trade.refund`` (partial refunds; the same
  ``out_request_no`` never refunds twice) → signed JSON answer;
- ``POST /api/bill/downloadurl`` signed ``alipay.data.dataservice.bill.downloadurl.query`` →
  a download URL and the SHA-256 of the day's statement (only for past days: T+1);
  ``GET /bills/<app_id>/<day>.csv?expires=…&sig=…`` streams the statement file;
- ``GET /admin`` recent trades and notification attempts;
  ``POST /api/sandbox/trades/<trade_no>/notify`` sends a trade's notification again now;
  ``POST /api/sandbox/trades/<trade_no>/duplicate`` charges the same order a second time;
  ``POST /api/sandbox/refund-faults`` (``faults=error,lost_answer``) makes the next refund
  calls fail (``error``: refused with a system error; ``lost_answer``: done, answer lost).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, render_template, request

from services.common import clock
from services.common.config import Settings
from services.common.db import ensure_database
from services.common.web.metrics import install_metrics
from services.common.web.ops import beijing
from services.payment.adapters import keys, signing
from services.payment.adapters.alipay import DEFAULT_APP_ID, beijing_time, parse_beijing_time
from services.payment.domain.money import yuan_to_fen
from services.payment.sandbox import bills, refunds
from services.payment.sandbox.notifier import FAULT_LABELS, FAULTS, Notifier, parse_faults
from services.payment.sandbox.store import Store, new_trade_no

MERCHANT_NAME = os.environ.get("BAOKAO_SANDBOX_MERCHANT_NAME", "报考平台（沙箱商户）")
WAIT, SUCCESS, CLOSED = "WAIT_BUYER_PAY", "TRADE_SUCCESS", "TRADE_CLOSED"


def _page(message: str, status: int = 400, title: str = "支付请求无效"):
    return render_template("sandbox/message.html", title=title, message=message), status


def create_app(settings: Settings | None = None, *, http=None, time_scale: float | None = None,
               faults: str | None = None) -> Flask:
    settings = settings or Settings("sandbox")
    app = Flask("baokao.sandbox", template_folder=str(Path(__file__).parent / "templates"))
    app.jinja_env.filters["beijing"] = beijing  # a cashier shows the payer's clock
    install_metrics(app, name="sandbox")
    if settings.production:
        ensure_database(settings.database_url)
    store = Store(settings.database_url)
    provider_key = keys.provider_private_key(settings.data_dir)
    merchants = {os.environ.get("BAOKAO_PAYMENT_APP_ID") or DEFAULT_APP_ID:
                 keys.merchant_public_key(settings.data_dir)}
    if http is None:
        import requests
        http = requests
    scale = time_scale if time_scale is not None else float(
        os.environ.get("BAOKAO_SANDBOX_TIME_SCALE", "1") or 1)
    default_faults = parse_faults(faults if faults is not None
                                  else os.environ.get("BAOKAO_SANDBOX_NOTIFY_FAULTS"))
    notifier = Notifier(store, provider_key, http, time_scale=scale)
    notifier.start()  # delivers what a previous process left pending
    app.extensions["sandbox"] = {"store": store, "notifier": notifier, "refund_faults": [],
                                 "bills_dir": Path(settings.data_dir) / "sandbox-bills",
                                 "provider_key": provider_key}

    def verified_request(params: dict) -> dict:
        """Check app and signature; return the biz_content (aborts with a message otherwise)."""
        key = merchants.get(params.get("app_id", ""))
        if key is None:
            raise _Refused("40002", "isv.invalid-app-id", "商户应用不存在")
        if not signing.verify_params(params, key):
            raise _Refused("40002", "isv.invalid-signature", "验签出错")
        try:
            biz = json.loads(params.get("biz_content") or "")
            if not isinstance(biz, dict):
                raise ValueError
            return biz
        except ValueError as exc:
            raise _Refused("40002", "isv.invalid-biz-content", "业务参数格式错误") from exc

    def close_if_expired(trade):
        if trade.status == WAIT and trade.time_expire and clock.now() >= trade.time_expire:
            store.change(trade.trade_no, only_if_status=WAIT, status=CLOSED)
            return store.trade_by_no(trade.trade_no)
        return trade

    @app.before_request
    def _scheduler_alive():
        notifier.start()  # no-op when running; restarts it in a forked worker (gunicorn --preload)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="alive", service="sandbox")

    @app.get("/readyz")
    def readyz():
        ok = store.ping()
        return jsonify(status="ready" if ok else "not_ready"), 200 if ok else 503

    @app.get("/gateway.do")
    def gateway():
        params = request.args.to_dict()
        try:
            biz = verified_request(params)
        except _Refused as exc:
            return _page(f"{exc.message}（{exc.sub_code}）")
        if params.get("method") not in ("alipay.trade.wap.pay", "alipay.trade.page.pay"):
            return _page("不支持的接口（isv.invalid-method）")
        try:
            out_trade_no = str(biz["out_trade_no"])[:64]
            amount = biz["total_amount"]
            fen = yuan_to_fen(amount)
            if fen <= 0:
                raise ValueError
            time_expire = (parse_beijing_time(biz["time_expire"]) if biz.get("time_expire")
                           else None)
        except (KeyError, ValueError, TypeError):
            return _page("订单号、金额或超时时间不正确（isv.invalid-biz-content）")
        trade = store.trade(params["app_id"], out_trade_no)
        if trade is None:
            trade = store.create(trade_no=new_trade_no(clock.now()), app_id=params["app_id"],
                                 out_trade_no=out_trade_no, total_amount=amount,
                                 subject=str(biz.get("subject", ""))[:256],
                                 notify_url=params.get("notify_url"),
                                 return_url=params.get("return_url"), time_expire=time_expire,
                                 status=WAIT, created_at=clock.now())
        elif yuan_to_fen(trade.total_amount) != fen:
            return _page("同一订单号的金额与之前不一致（ACQ.CONTEXT_INCONSISTENT）")
        elif trade.status == WAIT:
            store.change(trade.trade_no, notify_url=params.get("notify_url"),
                         return_url=params.get("return_url"), time_expire=time_expire)
            trade = store.trade_by_no(trade.trade_no)
        trade = close_if_expired(trade)
        return render_template("sandbox/pay.html", trade=trade, merchant=MERCHANT_NAME,
                               faults=FAULTS, fault_labels=FAULT_LABELS, default_faults=default_faults, WAIT=WAIT,
                               SUCCESS=SUCCESS)

    @app.post("/gateway/pay")
    def pay():
        trade = store.trade_by_no(request.form.get("trade_no", ""))
        if trade is None:
            return _page("交易不存在（ACQ.TRADE_NOT_EXIST）", 404)
        trade = close_if_expired(trade)
        if trade.status == CLOSED:
            return _page("交易已超时关闭，请回到报名系统重新发起缴费", 409, "交易已关闭")
        if trade.status == WAIT:
            chosen = {f for f in request.form.getlist("fault") if f in FAULTS}
            chosen |= default_faults
            now = clock.now()
            if store.change(trade.trade_no, only_if_status=WAIT, status=SUCCESS, paid_at=now,
                            faults=",".join(sorted(chosen)) or None, notify_state="sending"):
                notifier.send(trade.trade_no, chosen)
            trade = store.trade_by_no(trade.trade_no)
        return redirect(return_target(trade), 302)

    def return_target(trade) -> str:
        """The merchant's return_url with Alipay's signed synchronous-return parameters."""
        if not trade.return_url:
            return f"/gateway/done/{trade.trade_no}"
        params = signing.sign_params({
            "app_id": trade.app_id, "method": "alipay.trade.wap.pay.return", "charset": "utf-8",
            "out_trade_no": trade.out_trade_no, "trade_no": trade.trade_no,
            "total_amount": trade.total_amount, "timestamp": beijing_time(clock.now()),
            "version": "1.0"}, provider_key)
        sep = "&" if "?" in trade.return_url else "?"
        return trade.return_url + sep + urlencode(params)

    @app.get("/gateway/done/<trade_no>")
    def done(trade_no):
        trade = store.trade_by_no(trade_no) or abort(404)
        return _page(f"订单 {trade.out_trade_no} 支付成功，金额 ¥{trade.total_amount}", 200,
                     "支付成功")

    @app.post("/api/trade/query")
    def trade_query():
        params = request.form.to_dict()
        try:
            biz = verified_request(params)
            if params.get("method") != "alipay.trade.query":
                raise _Refused("40002", "isv.invalid-method", "不支持的接口")
            out_trade_no = str(biz.get("out_trade_no", ""))
            trade = store.trade(params["app_id"], out_trade_no) if out_trade_no else None
            if trade is None:
                raise _Refused("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        except _Refused as exc:
            answer = {"code": exc.code, "msg": "Business Failed" if exc.code == "40004"
                      else "Invalid Arguments", "sub_code": exc.sub_code, "sub_msg": exc.message}
            if params.get("biz_content"):
                answer["out_trade_no"] = _safe_out_trade_no(params["biz_content"])
            return signed_answer(answer)
        trade = close_if_expired(trade)
        answer = {"code": "10000", "msg": "Success", "out_trade_no": trade.out_trade_no,
                  "trade_no": trade.trade_no, "trade_status": trade.status,
                  "total_amount": trade.total_amount}
        if trade.paid_at:
            answer["send_pay_date"] = beijing_time(trade.paid_at)
        return signed_answer(answer)

    def signed_answer(answer: dict, key: str = "alipay_trade_query_response"):
        content = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        sign = signing.sign_text(content, provider_key)
        body = '{"' + key + '":' + content + ',"sign":"' + sign + '"}'
        return app.response_class(body, 200, mimetype="application/json")

    app.extensions["sandbox"].update(verified_request=verified_request,
                                     signed_answer=signed_answer, refused=_Refused)
    refunds.install(app)
    bills.install(app)

    @app.get("/admin")
    def admin():
        rows, tries = store.recent()
        return render_template("sandbox/admin.html", rows=rows, tries=tries, queue=store.queued(),
                               default_faults=default_faults, scale=scale)

    @app.post("/api/sandbox/trades/<trade_no>/notify")
    def renotify(trade_no):
        trade = store.trade_by_no(trade_no)
        if trade is None or trade.status != SUCCESS:
            return jsonify(error={"code": "not_paid", "message": "交易不存在或未支付"}), 404
        notifier.send(trade_no, parse_faults(request.args.get("faults")))
        return jsonify(status="sending", trade_no=trade_no), 202

    @app.post("/api/sandbox/trades/<trade_no>/duplicate")
    def duplicate(trade_no):
        """The fault seed 004 describes: the same order charged twice (a second trade)."""
        trade = store.trade_by_no(trade_no)
        if trade is None or trade.status != SUCCESS:
            return jsonify(error={"code": "not_paid", "message": "交易不存在或未支付"}), 404
        now = clock.now()
        second = store.create(trade_no=new_trade_no(now), app_id=trade.app_id,
                              out_trade_no=trade.out_trade_no, total_amount=trade.total_amount,
                              subject=trade.subject, notify_url=trade.notify_url,
                              return_url=trade.return_url, time_expire=trade.time_expire,
                              status=SUCCESS, created_at=now, paid_at=now,
                              notify_state="sending", duplicate_of=trade.trade_no)
        notifier.send(second.trade_no, parse_faults(request.args.get("faults")))
        return jsonify(status="paid", trade_no=second.trade_no), 201

    @app.post("/api/sandbox/refund-faults")
    def refund_faults():
        chosen = [f.strip() for f in (request.values.get("faults") or "").split(",")
                  if f.strip() in refunds.FAULTS]
        app.extensions["sandbox"]["refund_faults"][:] = chosen
        return jsonify(queued=chosen)

    return app


def _safe_out_trade_no(biz_content: str) -> str:
    try:
        return str(json.loads(biz_content).get("out_trade_no", ""))[:64]
    except (ValueError, AttributeError):
        return ""


class _Refused(Exception):
    def __init__(self, code: str, sub_code: str, message: str):
        super().__init__(message)
        self.code, self.sub_code, self.message = code, sub_code, message

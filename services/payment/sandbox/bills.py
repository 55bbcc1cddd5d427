"""The sandbox's daily statement (对账单): a CSV per Beijing day, available from the next day.

``alipay.data.dataservice.bill.downloadurl.query`` answers a time-limited, signed download URL
and the file's SHA-256. The file is written once per day (a statement does not change) and
lists every payment — whether or not its notification ever arrived — and every refund.
"""
from __future__ import annotations

import csv
import hashlib
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from flask import abort, request, send_file

from services.common import clock
from services.common.config import service_url
from services.payment.adapters import signing
from services.payment.domain import statement
from services.payment.domain.money import fen_to_yuan, yuan_to_fen

KEY = "alipay_data_dataservice_bill_downloadurl_query_response"
URL_LIFETIME = timedelta(minutes=30)


def base_url() -> str:
    return (os.environ.get("BAOKAO_SANDBOX_URL") or service_url("sandbox")).rstrip("/")


def write_statement(store, app_id: str, day: str, path: Path) -> None:
    start, end = statement.day_bounds(day)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(statement.HEADER)
        for t in store.payments_between(app_id, start, end):
            w.writerow((t.trade_no, t.out_trade_no, statement.PAYMENT, t.total_amount,
                        "TRADE_SUCCESS", statement.format_time(t.paid_at), ""))
        for r in store.refunds_between(app_id, start, end):
            w.writerow((r.trade_no, r.out_trade_no, statement.REFUND,
                        fen_to_yuan(yuan_to_fen(r.refund_amount)), "REFUND_SUCCESS",
                        statement.format_time(r.refunded_at), r.out_request_no))
    os.replace(tmp, path)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def install(app) -> None:
    ext = app.extensions["sandbox"]
    store, key = ext["store"], ext["provider_key"]

    def bill_path(app_id: str, day: str) -> Path:
        d = ext["bills_dir"] / app_id
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{day}.csv"
        if not path.exists():
            write_statement(store, app_id, day, path)
        return path

    @app.post("/api/bill/downloadurl")
    def bill_download_url():
        params = request.form.to_dict()
        refused = ext["refused"]
        try:
            biz = ext["verified_request"](params)
            if params.get("method") != "alipay.data.dataservice.bill.downloadurl.query":
                raise refused("40002", "isv.invalid-method", "不支持的接口")
            day = str(biz.get("bill_date", ""))
            try:
                statement.day_bounds(day)
            except ValueError as exc:
                raise refused("40004", "isv.invalid-bill-date", "账单日期格式不正确") from exc
            if day >= statement.beijing_day(clock.now()):
                raise refused("40004", "isp.bill_not_exist", "账单尚未生成（T+1 提供）")
        except refused as exc:
            return ext["signed_answer"]({"code": exc.code, "msg": "Business Failed",
                                         "sub_code": exc.sub_code, "sub_msg": exc.message}, KEY)
        path = bill_path(params["app_id"], day)
        expires = int((clock.now() + URL_LIFETIME).timestamp())
        sig = signing.sign_text(f"{params['app_id']}/{day}/{expires}", key)
        url = (f"{base_url()}/bills/{params['app_id']}/{day}.csv?"
               + urlencode({"expires": expires, "sig": sig}))
        return ext["signed_answer"]({"code": "10000", "msg": "Success", "bill_download_url": url,
                                     "bill_sha256": sha256_of(path)}, KEY)

    @app.get("/bills/<app_id>/<day>.csv")
    def bill_file(app_id, day):
        try:
            statement.day_bounds(day)
            expires = int(request.args.get("expires", "0"))
        except ValueError:
            abort(404)
        if expires < clock.now().timestamp() or not signing.verify_text(
                f"{app_id}/{day}/{expires}", request.args.get("sig", ""), key.public_key()):
            abort(403)
        path = ext["bills_dir"] / app_id / f"{day}.csv"
        if not path.exists():
            abort(404)
        return send_file(path, mimetype="text/csv", as_attachment=True,
                         download_name=f"{app_id}_{day}.csv")

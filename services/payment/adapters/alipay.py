"""The Alipay-protocol provider adapter (open API gateway, RSA2): pay page, notifications, query,
refunds and the daily statement.

It talks to whatever gateway ``base_url`` names: the sandbox in development and tests
(``BAOKAO_SANDBOX_URL``), Alipay itself in production (``BAOKAO_PAYMENT_GATEWAY_URL``).
``http`` is anything with requests-like ``post(url, data=…, timeout=…)`` and
``get(url, stream=True, timeout=…)``, so tests can route
calls to the sandbox's Flask test client while this code runs unchanged.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

from services.common import clock
from services.common.config import service_url
from services.payment.adapters import keys, signing
from services.payment.domain.money import fen_to_yuan, yuan_to_fen
from services.payment.domain.provider import (
    Checkout,
    ProviderRefused,
    ProviderUnavailable,
    RefundRefused,
    RefundRequest,
    RefundResult,
    StatementFile,
    StatementNotReady,
    TradeStatus,
)

BEIJING = timezone(timedelta(hours=8))
DEFAULT_APP_ID = "2026000000000001"
QUERY_KEY = "alipay_trade_query_response"
REFUND_KEY = "alipay_trade_refund_response"
BILL_KEY = "alipay_data_dataservice_bill_downloadurl_query_response"
# Refusals that mean "no, and asking again will not change it" (anything else is retried).
FIRM_REFUND_CODES = ("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "ACQ.TRADE_NOT_EXIST",
                     "ACQ.TRADE_STATUS_ERROR", "ACQ.INVALID_PARAMETER")


def beijing_time(at: datetime) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def parse_beijing_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).astimezone(UTC)


def gateway_url() -> str:
    return (os.environ.get("BAOKAO_PAYMENT_GATEWAY_URL") or os.environ.get("BAOKAO_SANDBOX_URL")
            or service_url("sandbox")).rstrip("/")


def pay_page_url() -> str:
    """Where browsers reach the gateway, when that differs from the server-side URL (compose)."""
    return (os.environ.get("BAOKAO_PAYMENT_PAY_PAGE_URL")
            or os.environ.get("BAOKAO_SANDBOX_PUBLIC_URL") or gateway_url()).rstrip("/")


def raw_json_member(body: str, key: str) -> str:
    """The exact text of ``"key": {...}`` in a JSON body: Alipay signs those bytes, not a re-dump."""
    start = body.index(f'"{key}"')
    start = body.index("{", start)
    _, end = json.JSONDecoder().raw_decode(body, start)
    return body[start:end]


class AlipayProvider:
    name = "alipay"

    def __init__(self, *, app_id, merchant_key, provider_key, base_url, http=None,
                 timeout: float = 5.0, pay_base_url: str | None = None):
        self.app_id = app_id
        self.merchant_key = merchant_key
        self.provider_key = provider_key
        self.base_url = base_url.rstrip("/")
        self.pay_base_url = (pay_base_url or base_url).rstrip("/")
        if http is None:
            import requests
            http = requests.Session()
        self.http = http
        self.timeout = timeout

    @classmethod
    def from_env(cls, data_dir: Path, http=None) -> AlipayProvider:
        return cls(app_id=os.environ.get("BAOKAO_PAYMENT_APP_ID") or DEFAULT_APP_ID,
                   merchant_key=keys.merchant_private_key(data_dir),
                   provider_key=keys.provider_public_key(data_dir), base_url=gateway_url(),
                   pay_base_url=pay_page_url(), http=http)

    def _common(self, method: str, biz: dict) -> dict:
        return {"app_id": self.app_id, "method": method, "format": "JSON", "charset": "utf-8",
                "timestamp": beijing_time(clock.now()), "version": "1.0",
                "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":"))}

    def create_checkout(self, checkout: Checkout) -> str:
        params = self._common("alipay.trade.wap.pay", {
            "out_trade_no": checkout.order_number,
            "total_amount": fen_to_yuan(checkout.amount_fen),
            "subject": checkout.subject[:256],
            "product_code": "QUICK_WAP_WAY",
            "time_expire": beijing_time(checkout.expires_at)})
        params.update(notify_url=checkout.notify_url, return_url=checkout.return_url)
        signed = signing.sign_params(params, self.merchant_key)
        return f"{self.pay_base_url}/gateway.do?{urlencode(signed)}"

    def verify_notification(self, form: dict[str, str]) -> TradeStatus:
        if not signing.verify_params(form, self.provider_key, exclude=("sign", "sign_type")):
            raise ProviderRefused("bad_signature")
        if form.get("app_id") != self.app_id:
            raise ProviderRefused("wrong_app")
        try:
            amount = yuan_to_fen(form["total_amount"])
            paid_at = (parse_beijing_time(form["gmt_payment"]) if form.get("gmt_payment")
                       else None)
            return TradeStatus(order_number=form["out_trade_no"], status=form["trade_status"],
                               trade_no=form["trade_no"], amount_fen=amount, paid_at=paid_at,
                               notify_id=form.get("notify_id"))
        except (KeyError, ValueError) as exc:
            raise ProviderRefused("malformed") from exc

    def _call(self, path: str, method: str, biz: dict, key: str) -> dict:
        """A signed server-to-server call; the verified answer, or ProviderUnavailable."""
        params = signing.sign_params(self._common(method, biz), self.merchant_key)
        try:
            resp = self.http.post(f"{self.base_url}{path}", data=params, timeout=self.timeout)
            body = resp.text
            content = raw_json_member(body, key)
            sign = json.loads(body).get("sign", "")
        except Exception as exc:  # noqa: BLE001 - network error or an answer we cannot read
            raise ProviderUnavailable(f"{method} failed: {exc}") from exc
        if not signing.verify_text(content, sign, self.provider_key):
            raise ProviderUnavailable(f"{method} answer has a bad signature")
        return json.loads(content)

    def query(self, order_number: str) -> TradeStatus:
        r = self._call("/api/trade/query", "alipay.trade.query", {"out_trade_no": order_number},
                       QUERY_KEY)
        if r.get("code") == "40004" and r.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return TradeStatus(order_number=order_number, status="NOT_FOUND")
        if r.get("code") != "10000" or r.get("out_trade_no") != order_number:
            raise ProviderUnavailable(f"trade query refused: {r.get('code')} {r.get('sub_msg')}")
        try:
            paid_at = parse_beijing_time(r["send_pay_date"]) if r.get("send_pay_date") else None
            return TradeStatus(order_number=order_number, status=r["trade_status"],
                               trade_no=r.get("trade_no"),
                               amount_fen=yuan_to_fen(r["total_amount"]), paid_at=paid_at)
        except (KeyError, ValueError) as exc:
            raise ProviderUnavailable(f"trade query answer malformed: {exc}") from exc

    def refund(self, request: RefundRequest) -> RefundResult:
        r = self._call("/api/trade/refund", "alipay.trade.refund", {
            "out_trade_no": request.order_number, "trade_no": request.trade_no,
            "refund_amount": fen_to_yuan(request.amount_fen),
            "out_request_no": request.refund_number, "refund_reason": request.reason[:256]},
            REFUND_KEY)
        if r.get("code") != "10000":
            if r.get("sub_code") in FIRM_REFUND_CODES:
                raise RefundRefused(r.get("sub_code", ""), r.get("sub_msg", ""))
            raise ProviderUnavailable(f"refund not done: {r.get('code')} {r.get('sub_code')}")
        try:
            at = (parse_beijing_time(r["gmt_refund_pay"]) if r.get("gmt_refund_pay")
                  else clock.now())
            return RefundResult(refund_number=request.refund_number, trade_no=r["trade_no"],
                                refunded_fen=yuan_to_fen(r.get("send_back_fee")
                                                         or fen_to_yuan(request.amount_fen)),
                                total_refunded_fen=yuan_to_fen(r["refund_fee"]), refunded_at=at)
        except (KeyError, ValueError) as exc:
            raise ProviderUnavailable(f"refund answer malformed: {exc}") from exc

    def download_statement(self, day: str, dest_dir: Path) -> StatementFile:
        r = self._call("/api/bill/downloadurl", "alipay.data.dataservice.bill.downloadurl.query",
                       {"bill_type": "trade", "bill_date": day}, BILL_KEY)
        if r.get("sub_code") in ("isp.bill_not_exist", "isv.bill_not_exist"):
            raise StatementNotReady(day)
        if r.get("code") != "10000" or not r.get("bill_download_url"):
            raise ProviderUnavailable(f"statement refused: {r.get('code')} {r.get('sub_code')}")
        expected = str(r.get("bill_sha256", "")).lower()
        dest_dir.mkdir(parents=True, exist_ok=True)
        path = dest_dir / f"statement-{day}-{os.getpid()}.csv"
        digest = hashlib.sha256()
        try:
            resp = self.http.get(r["bill_download_url"], stream=True, timeout=self.timeout * 6)
            if resp.status_code != 200:
                raise ProviderUnavailable(f"statement download answered {resp.status_code}")
            with path.open("wb") as f:
                for chunk in resp.iter_content(chunk_size=1 << 16):
                    digest.update(chunk)
                    f.write(chunk)
        except ProviderUnavailable:
            path.unlink(missing_ok=True)
            raise
        except Exception as exc:  # noqa: BLE001
            path.unlink(missing_ok=True)
            raise ProviderUnavailable(f"statement download failed: {exc}") from exc
        if digest.hexdigest() != expected:
            path.unlink(missing_ok=True)
            raise ProviderUnavailable("statement checksum does not match (download corrupted)")
        return StatementFile(day=day, path=path, sha256=expected)

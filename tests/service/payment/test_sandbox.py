"""The sandbox provider refuses what a real provider refuses."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

from services.common import clock


def _params(pay_url):
    return {k: v[0] for k, v in parse_qs(urlsplit(pay_url).query).items()}


def test_pay_page_refuses_tampered_requests(world):
    world.request_payment()
    number = world.order()["order_number"]
    params = _params(world.checkout(number))
    params["biz_content"] = params["biz_content"].replace('"100.00"', '"0.01"')
    r = world.sandbox_client.get("/gateway.do?" + urlencode(params))
    assert r.status_code == 400 and "验签出错" in r.get_data(as_text=True)
    params = _params(world.checkout(number))
    params["app_id"] = "1"
    r = world.sandbox_client.get("/gateway.do?" + urlencode(params))
    assert r.status_code == 400 and "商户应用不存在" in r.get_data(as_text=True)
    assert world.sandbox_client.get("/gateway.do").status_code == 400


def test_sandbox_closes_trades_after_time_expire(world):
    world.request_payment(deadline=clock.now() + timedelta(hours=1))
    number = world.order()["order_number"]
    html = world.open_pay_page(world.checkout(number))
    import re
    trade_no = re.search(r'name="trade_no" value="(\d+)"', html).group(1)
    clock.shift(timedelta(hours=1, minutes=1))
    r = world.sandbox_client.post("/gateway/pay", data={"trade_no": trade_no})
    assert r.status_code == 409 and "已关闭" in r.get_data(as_text=True)
    r = world.client.post(f"/api/payment/orders/{number}/refresh", headers=world.headers())
    assert r.get_json()["status"] == "pending"


def test_query_needs_a_merchant_signature(world):
    r = world.sandbox_client.post("/api/trade/query", data={
        "app_id": "2026000000000001", "method": "alipay.trade.query",
        "biz_content": '{"out_trade_no":"BK1"}', "sign_type": "RSA2", "sign": "AAAA"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "isv.invalid-signature" in body


def test_admin_page_lists_trades_and_notifications(world):
    world.request_payment()
    number = world.order()["order_number"]
    world.pay(number)
    page = world.sandbox_client.get("/admin").get_data(as_text=True)
    assert number in page and "success" in page and "delivered" in page

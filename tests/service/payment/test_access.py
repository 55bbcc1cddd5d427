"""Who may see and do what: 401 without a token, 403 for the wrong role, 404 for others' orders,
and bad input answered 4xx, never 500."""
from __future__ import annotations

import pytest

from tests.service.payment.conftest import RETURN_URL


@pytest.fixture
def number(world):
    world.request_payment()
    return world.order()["order_number"]


def _routes(number):
    return [("get", "/api/payment/me/orders", None),
            ("get", "/api/payment/applications/app-1/order", None),
            ("post", f"/api/payment/orders/{number}/checkout",
             {"return_url": RETURN_URL.format("app-1")}),
            ("post", f"/api/payment/orders/{number}/refresh", None)]


def test_signed_out_is_401(world, number):
    for method, path, body in _routes(number):
        r = getattr(world.client, method)(path, json=body)
        assert r.status_code == 401, path
        assert r.get_json()["error"]["code"] == "login_required"


def test_staff_roles_are_403(world, number):
    for method, path, body in _routes(number):
        r = getattr(world.client, method)(path, json=body,
                                          headers=world.headers("fin-1", ("finance",)))
        assert r.status_code == 403, path


def test_another_candidates_order_is_404(world, number):
    other = world.headers("cand-2")
    for method, path, body in _routes(number)[1:]:
        r = getattr(world.client, method)(path, json=body, headers=other)
        assert r.status_code == 404, path
        assert r.get_json()["error"]["code"] == "order_not_found"
    assert world.client.get("/api/payment/me/orders", headers=other).get_json() == []


BAD_CHECKOUT = [
    (None, 400),
    ("not json", 400),
    ([1, 2], 400),
    ({}, 422),
    ({"return_url": "javascript:alert(1)"}, 422),
    ({"return_url": "ftp://127.0.0.1:8000/x"}, 422),
    ({"return_url": "https://evil.example.com/applications/app-1"}, 422),
    ({"return_url": RETURN_URL.format("app-1"), "extra": 1}, 422),
    ({"return_url": "http://127.0.0.1:8000/" + "a" * 600}, 422),
]


def test_bad_checkout_input_is_4xx(world, number):
    for body, status in BAD_CHECKOUT:
        kwargs = ({"data": body, "content_type": "application/json"} if isinstance(body, str)
                  else {"json": body})
        r = world.client.post(f"/api/payment/orders/{number}/checkout", headers=world.headers(),
                              **kwargs)
        assert r.status_code == status, (body, r.get_json())
        assert "error" in r.get_json()


def test_unknown_order_numbers_are_404(world):
    for path in ("/api/payment/orders/NOPE/checkout", "/api/payment/orders/%00%FF/refresh",
                 "/api/payment/applications/missing/order"):
        r = world.client.post(path, json={"return_url": RETURN_URL.format("x")},
                              headers=world.headers()) if "orders/" in path else \
            world.client.get(path, headers=world.headers())
        assert r.status_code == 404


def test_ops_dashboard(world, number):
    r = world.client.get("/ops/payment/", headers=world.headers("fin-1", ("finance",)))
    assert r.status_code == 200 and number in r.get_data(as_text=True)
    world.pay(number)
    page = world.client.get("/ops/payment/?status=paid&q=" + number,
                            headers=world.headers("aud-1", ("auditor",))).get_data(as_text=True)
    assert number in page and "已缴费" in page and "¥100.00" in page and "每日缴费合计" in page
    page = world.client.get("/ops/payment/?status=expired",
                            headers=world.headers("fin-1", ("finance",))).get_data(as_text=True)
    assert "没有找到订单" in page
    assert world.client.get("/ops/payment/", headers=world.headers()).status_code == 403
    assert world.client.get("/ops/payment/").status_code == 401


def test_openapi_lists_the_routes(world):
    doc = world.client.get("/api/payment/openapi.json").get_json()
    assert "/api/payment/orders/{order_number}/checkout" in doc["paths"]
    assert "/api/payment/notify" in doc["paths"]

"""The finance dashboard pages render (chart, refunds, runs, discrepancies, waivers) by role."""
from __future__ import annotations

from datetime import timedelta

from services.common import clock
from services.payment.domain import statement
from services.payment.web.charts import daily_bars


def test_chart_scales_bars_to_the_best_day():
    days = ["2026-11-21", "2026-11-22", "2026-11-23"]
    chart = daily_bars([{"day": "2026-11-22", "fen": 20000, "count": 2},
                        {"day": "2026-11-23", "fen": 10000, "count": 1}], days)
    heights = [b["h"] for b in chart["bars"]]
    assert heights[0] == 0 and heights[1] == 2 * heights[2] > 0
    assert chart["ticks"][-1]["label"] == "¥200.00"
    assert "2 笔" in chart["bars"][1]["title"]


def test_every_page_renders_for_finance_and_auditor(world):
    world.request_payment()
    number = world.order()["order_number"]
    world.pay(number)
    world.client.post(f"/api/payment/ops/orders/{number}/refunds",
                      json={"amount_fen": 1000, "reason": "部分退费"}, headers=world.finance())
    auditor = world.tokens.headers(sub="aud-1", roles=("auditor",))
    pages = ["/ops/payment/", f"/ops/payment/orders/{number}", "/ops/payment/refunds",
             "/ops/payment/reconciliation", "/ops/payment/discrepancies",
             "/ops/payment/waivers"]
    for path in pages:
        for h in (world.finance(), auditor):
            r = world.client.get(path, headers=h)
            assert r.status_code == 200, (path, r.status_code)
        assert world.client.get(path, headers=world.headers()).status_code == 403
    html = world.client.get("/ops/payment/", headers=world.finance()).get_data(as_text=True)
    assert "<svg" in html and "<script" not in html and "1 笔，¥100.00" in html
    order_page = world.client.get(f"/ops/payment/orders/{number}",
                                  headers=world.finance()).get_data(as_text=True)
    assert "部分退费" in order_page and "发起退费" in order_page
    assert "发起退费" not in world.client.get(f"/ops/payment/orders/{number}",
                                              headers=auditor).get_data(as_text=True)
    r = world.client.post(f"/ops/payment/orders/{number}/refunds",
                          data={"amount": "95.00", "reason": "太多"}, headers=world.finance())
    assert r.status_code == 422  # 10 yuan already on its way back: at most 90
    r = world.client.post(f"/ops/payment/orders/{number}/refunds",
                          data={"amount": "90.00", "reason": "剩余退费"}, headers=world.finance())
    assert r.status_code == 302
    assert world.run_refunds() == 2 and world.order()["status"] == "refunded"


def test_run_page_shows_progress_while_queued(world):
    day = statement.beijing_day(clock.now() - timedelta(days=1))
    r = world.client.post("/ops/payment/reconciliation", data={"day": day},
                          headers=world.finance(), content_type="multipart/form-data")
    page = world.client.get(r.headers["Location"], headers=world.finance())
    html = page.get_data(as_text=True)
    assert "<progress" in html and 'http-equiv="refresh"' in html and "排队中" in html
    again = world.client.post("/ops/payment/reconciliation", data={"day": day},
                              headers=world.finance(), content_type="multipart/form-data")
    assert again.status_code == 409

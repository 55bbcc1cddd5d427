"""Seed 004: approved applications left unpaid when the payment window closes expire."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.registration.service_layer import expiry
from tests.service.registration.conftest import APPLY

EXPIRED_LABEL = "已过期（未在缴费截止前缴费）"


def _approved(reg, sub="cand-wang"):
    reg.register_candidate(sub)
    reg.verify(sub)
    r = reg.apply(sub=sub)
    assert r.status_code == 201 and r.json["state"] == "approved", r.json
    return r.json


def _close_payment_window(reg, province="50"):
    now = datetime.now(UTC)
    r = reg.client.put(f"/api/registration/sittings/{APPLY['sitting_id']}/windows/{province}/payment",
                       json={"start": (now - timedelta(days=20)).isoformat(),
                             "end": (now - timedelta(minutes=1)).isoformat()},
                       headers=reg.admin())
    assert r.status_code == 200, r.json


def test_unpaid_approved_application_expires_once_when_the_payment_window_closes(reg):
    application = _approved(reg)
    assert expiry.expire_unpaid_job(reg.rt) == 0  # window still open: nothing happens
    _close_payment_window(reg)
    assert expiry.expire_unpaid_job(reg.rt) == 1
    assert expiry.expire_unpaid_job(reg.rt) == 0  # idempotent: the next run finds nothing
    view = reg.get(application["id"])
    assert view["state"] == "expired" and view["state_label"] == EXPIRED_LABEL
    assert "已过期" in view["next_step"] and "下次考试" in view["next_step"]
    assert view["next_action"] == "none" and view["editable"] is False
    assert view["payment_deadline"] is None
    (event,) = reg.emitted("registration.application.expired")
    assert event["data"]["application_id"] == application["id"]
    assert event["data"]["candidate_id"] == "cand-wang" and event["data"]["province"] == "50"


def test_paid_and_other_provinces_applications_do_not_expire(reg):
    paid = _approved(reg, "cand-paid")
    reg.pay(dict(paid, candidate_id="cand-paid"))
    elsewhere_body = dict(APPLY, province="44", city="440100", subjects=APPLY["subjects"])
    reg.register_candidate("cand-gd")
    reg.verify("cand-gd")
    r = reg.apply(elsewhere_body, sub="cand-gd")
    assert r.status_code == 201 and r.json["state"] == "approved", r.json
    _close_payment_window(reg, "50")
    assert expiry.expire_unpaid_job(reg.rt) == 0
    assert reg.get(paid["id"], "cand-paid")["state"] in ("paid", "admit_card_issued")
    assert reg.get(r.json["id"], "cand-gd")["state"] == "approved"
    assert reg.emitted("registration.application.expired") == []


def test_a_payment_arriving_after_expiry_is_not_accepted(reg):
    application = _approved(reg)
    _close_payment_window(reg)
    expiry.expire_unpaid_job(reg.rt)
    reg.pay(application, order_number="ORD-LATE")
    view = reg.get(application["id"])
    assert view["state"] == "expired"
    assert "待对账后退费" in view["history"][-1]["note"]
    assert reg.emitted("registration.admit_card.issued") == []


def test_money_taken_in_time_reinstates_an_application_that_expired_meanwhile(reg):
    """The notification was lost; the window closed; a query found the trade paid in time."""
    application = _approved(reg)
    _close_payment_window(reg)
    assert expiry.expire_unpaid_job(reg.rt) == 1
    in_time = datetime.now(UTC) - timedelta(minutes=5)  # before the window's end
    reg.pay(dict(application, candidate_id="cand-wang"), order_number="ORD-INTIME",
            paid_at=in_time)
    view = reg.get(application["id"], "cand-wang")
    assert view["state"] in ("paid", "admit_card_issued")
    assert any("报名已恢复" in h["note"] for h in view["history"])
    reg.pay(dict(application, candidate_id="cand-wang"), order_number="ORD-INTIME",
            paid_at=in_time)  # repeated news: nothing more
    assert sum("报名已恢复" in h["note"] for h in reg.get(application["id"], "cand-wang")
               ["history"]) == 1



def test_an_application_after_the_payment_window_closed_is_refused_with_the_dates(reg):
    _approved(reg)
    _close_payment_window(reg)
    assert expiry.expire_unpaid_job(reg.rt) == 1
    reg.register_candidate("cand-late")
    reg.verify("cand-late")
    r = reg.apply(sub="cand-late")
    assert r.status_code == 422 and r.json["error"]["code"] == "payment_window_closed"
    assert "缴费已经结束" in r.json["error"]["message"] and "北京时间" in r.json["error"]["message"]
    # the expired candidate cannot start again either: nothing could be paid
    again = reg.apply(sub="cand-wang")
    assert again.status_code in (409, 422), again.json

"""RSA2 signatures: good ones verify; forged and tampered ones do not."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.payment.adapters import signing
from services.payment.adapters.alipay import AlipayProvider, raw_json_member
from services.payment.domain.provider import ProviderRefused


@pytest.fixture(scope="module")
def provider_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def forger_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


FORM = {"app_id": "2026000000000001", "out_trade_no": "BK20261123000000000001",
        "trade_no": "2026112322000000000000000001", "total_amount": "100.00",
        "trade_status": "TRADE_SUCCESS", "gmt_payment": "2026-11-23 18:30:00",
        "notify_id": "n1", "subject": "一级建造师 报名费", "empty": ""}


def test_content_to_sign_is_sorted_and_skips_sign_and_empty():
    text = signing.content_to_sign({"b": "2", "a": "1", "sign": "x", "sign_type": "RSA2",
                                    "c": ""}, exclude=("sign", "sign_type"))
    assert text == "a=1&b=2"


def test_good_signature_verifies(provider_key):
    signed = signing.sign_params(FORM, provider_key, exclude=("sign", "sign_type"))
    assert signed["sign_type"] == "RSA2" and "empty" not in signed
    assert signing.verify_params(signed, provider_key.public_key(), exclude=("sign", "sign_type"))


def test_forged_signature_fails(provider_key, forger_key):
    forged = signing.sign_params(FORM, forger_key, exclude=("sign", "sign_type"))
    assert not signing.verify_params(forged, provider_key.public_key(),
                                     exclude=("sign", "sign_type"))


@pytest.mark.parametrize("field,value", [("total_amount", "0.01"), ("out_trade_no", "BK2"),
                                         ("trade_status", "TRADE_SUCCESS "), ("extra", "1")])
def test_tampered_form_fails(provider_key, field, value):
    signed = signing.sign_params(FORM, provider_key, exclude=("sign", "sign_type"))
    signed[field] = value
    assert not signing.verify_params(signed, provider_key.public_key(),
                                     exclude=("sign", "sign_type"))


@pytest.mark.parametrize("sign", ["", "not base64!!", "QUFBQQ==", None])
def test_garbage_signature_fails(provider_key, sign):
    assert not signing.verify_text("a=1", sign, provider_key.public_key())


def test_other_sign_type_is_refused(provider_key):
    signed = signing.sign_params(FORM, provider_key)
    signed["sign_type"] = "RSA"
    assert not signing.verify_params(signed, provider_key.public_key())


def _adapter(provider_key, merchant_key):
    return AlipayProvider(app_id="2026000000000001", merchant_key=merchant_key,
                          provider_key=provider_key.public_key(), base_url="http://sandbox",
                          http=object())


def test_adapter_reads_a_genuine_notification(provider_key, forger_key):
    signed = signing.sign_params(FORM, provider_key, exclude=("sign", "sign_type"))
    trade = _adapter(provider_key, forger_key).verify_notification(signed)
    assert trade.paid and trade.amount_fen == 10000
    assert trade.paid_at.isoformat() == "2026-11-23T10:30:00+00:00"  # Beijing time → UTC


@pytest.mark.parametrize("change,reason", [({"app_id": "other"}, "wrong_app"),
                                           ({"total_amount": "1.5x"}, "malformed"),
                                           ({"gmt_payment": "yesterday"}, "malformed")])
def test_adapter_refuses_bad_notifications(provider_key, forger_key, change, reason):
    signed = signing.sign_params({**FORM, **change}, provider_key, exclude=("sign", "sign_type"))
    with pytest.raises(ProviderRefused) as exc:
        _adapter(provider_key, forger_key).verify_notification(signed)
    assert exc.value.reason == reason


def test_adapter_checkout_url_is_signed_by_the_merchant(provider_key, forger_key):
    from datetime import UTC, datetime
    from urllib.parse import parse_qs, urlsplit

    from services.payment.domain.provider import Checkout
    url = _adapter(provider_key, forger_key).create_checkout(Checkout(
        "BK1", 12345, "报名费", "http://r", "http://n", datetime(2026, 11, 24, tzinfo=UTC)))
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith("http://sandbox/gateway.do?")
    assert '"total_amount":"123.45"' in params["biz_content"]
    assert '"time_expire":"2026-11-24 08:00:00"' in params["biz_content"]
    assert signing.verify_params(params, forger_key.public_key())


def test_raw_json_member_keeps_the_signed_bytes():
    body = '{"r":{"b": 1,"a":"中"},"sign":"x"}'
    assert raw_json_member(body, "r") == '{"b": 1,"a":"中"}'


def test_pay_page_may_live_on_a_browser_facing_url(provider_key, forger_key):
    from datetime import UTC, datetime

    from services.payment.domain.provider import Checkout
    adapter = AlipayProvider(app_id="1", merchant_key=forger_key,
                             provider_key=provider_key.public_key(), base_url="http://sandbox:8106",
                             pay_base_url="https://pay.example.org/", http=object())
    url = adapter.create_checkout(Checkout("BK1", 1, "s", "http://r", "http://n",
                                           datetime(2026, 1, 1, tzinfo=UTC)))
    assert url.startswith("https://pay.example.org/gateway.do?")

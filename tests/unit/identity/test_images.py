"""The Pillow adapter: content, not names; bombs refused; any picture normalised to the standard."""
from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from services.common.errors import Invalid
from services.identity.adapters import images


def encode(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


@settings(max_examples=15, deadline=None)
@given(st.integers(60, 1600), st.integers(60, 1600), st.sampled_from(["PNG", "JPEG", "BMP", "GIF"]))
def test_any_picture_normalises_to_a_standard_jpeg(w, h, fmt):
    img = Image.new("RGB", (w, h), "white")
    out = images.normalise(encode(img, fmt), 20 * 1024)
    result = Image.open(io.BytesIO(out))
    assert result.format == "JPEG" and result.size == (295, 413) and len(out) <= 20 * 1024
    images.check(out, 20 * 1024)


def test_truncated_jpeg_is_not_an_image():
    data = encode(Image.new("RGB", (295, 413), "white"), "JPEG")
    with pytest.raises(Invalid) as exc:
        images.check(data[:200], 20480)
    assert exc.value.code == "photo_not_image"


def test_bomb_is_refused():
    with pytest.raises(Invalid) as exc:
        images.check(encode(Image.new("1", (10000, 10000)), "PNG"), 20480)
    assert exc.value.code == "photo_bomb"


def test_totp_codes_are_single_use_when_the_last_step_is_given():
    import pyotp

    from services.identity.adapters import totp
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).now()
    step = totp.verify(secret, code)
    assert step is not None
    assert totp.verify(secret, code, last_step=step) is None
    assert totp.verify(secret, "12345x") is None and totp.verify("", code) is None

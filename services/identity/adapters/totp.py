"""TOTP two-factor for staff (RFC 6238 via pyotp) and the enrolment QR code (qrcode)."""
from __future__ import annotations

import base64
import hmac
import io
from datetime import UTC, datetime

import pyotp
import qrcode
from qrcode.image.pil import PilImage

ISSUER = "报考 Baokao"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_data_url(uri: str) -> str:
    img = qrcode.make(uri, image_factory=PilImage, box_size=6, border=2)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def verify(secret: str, code: str, last_step: int | None = None) -> int | None:
    """The time step the code belongs to (one step of drift either way), else None.

    A step at or before ``last_step`` is refused: each code signs in once.
    """
    code = (code or "").strip()
    if not secret or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(datetime.now(UTC))
    for step in (now - 1, now, now + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(
                totp.generate_otp(step), code):
            return step
    return None


def now_code(secret: str) -> str:
    """The current code (demo and test clients compute it from the printed demo secret)."""
    return pyotp.TOTP(secret).now()

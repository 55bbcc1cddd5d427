"""An image captcha drawn with Pillow and checked on the server; no external service.

Answers use letters and digits that do not look alike (no 0/O, 1/I/l), are single-use and
live five minutes.
"""
from __future__ import annotations

import base64
import io
import random
import secrets
import uuid
from datetime import timedelta

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from sqlalchemy import insert, select, update

from services.common import clock
from services.common.errors import Invalid
from services.identity.adapters.orm import captchas

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TTL = timedelta(minutes=5)


def _font(size: int):
    for name in ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def render(answer: str) -> bytes:
    rnd = random.Random(secrets.randbits(32))
    img = Image.new("RGB", (150, 50), (246, 246, 240))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        draw.line([(rnd.randint(0, 150), rnd.randint(0, 50)) for _ in range(2)],
                  fill=tuple(rnd.randint(120, 200) for _ in range(3)), width=1)
    font = _font(30)
    for i, ch in enumerate(answer):
        glyph = Image.new("RGBA", (34, 44), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((4, 2), ch, font=font,
                                   fill=tuple(rnd.randint(10, 90) for _ in range(3)))
        glyph = glyph.rotate(rnd.randint(-25, 25), resample=Image.BICUBIC)
        img.paste(glyph, (8 + i * 34, rnd.randint(0, 6)), glyph)
    for _ in range(120):
        img.putpixel((rnd.randrange(150), rnd.randrange(50)), (rnd.randint(0, 255),) * 3)
    img = img.filter(ImageFilter.SMOOTH)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def issue(uow) -> dict:
    answer = "".join(secrets.choice(ALPHABET) for _ in range(4))
    cid = str(uuid.uuid4())
    uow.session.execute(insert(captchas).values(id=cid, answer=answer,
                                                expires_at=clock.now() + TTL))
    png = render(answer)
    return {"captcha_id": cid, "image": "data:image/png;base64," + base64.b64encode(png).decode(),
            "expires_in": int(TTL.total_seconds())}


def check(uow, captcha_id: str | None, answer: str | None) -> None:
    """Single use: the captcha is spent whether the answer was right or not."""
    row = uow.session.execute(select(captchas).where(captchas.c.id == (captcha_id or ""))).first()
    now = clock.now()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise Invalid("图形验证码已失效，请刷新后重新输入", code="captcha_expired", field="captcha")
    uow.session.execute(update(captchas).where(captchas.c.id == row.id).values(used_at=now))
    if (answer or "").strip().upper() != row.answer:
        raise Invalid("图形验证码输入错误", code="captcha_wrong", field="captcha")

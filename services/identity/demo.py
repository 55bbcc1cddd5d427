"""Demo accounts for embedded mode and demos: one candidate and one account per staff role.

Staff must use TOTP. Outside production the demo staff are enrolled with one fixed, published
secret (``DEMO_TOTP_SECRET``, logged at start-up) so demos, tests and the journey client can
compute the code (``python -m services.identity.cli totp-code``); in production the demo staff
enrol with their own authenticator at first sign-in.
"""
from __future__ import annotations

import logging
from datetime import date

from services.common.errors import Conflict
from services.identity.domain.documents import check_digit
from services.identity.domain.model import AGREEMENT_VERSION
from services.identity.service_layer import accounts

DEMO_PASSWORD = "Baokao#2026"
DEMO_TOTP_SECRET = "BAOKAODEMOSTAFFTOTPSECRETKEYAAAA"  # base32; dev and test only
log = logging.getLogger("baokao")
CANDIDATE = dict(username="demo_candidate", name="王小明", document_type="resident_id",
                 document_number="500103199003072311", phone="13800138000",
                 education={"level": "本科", "school": "重庆大学", "major": "土木工程",
                            "graduation_date": date(2012, 6, 30),
                            "certificate_number": "106111201205000123", "study_mode": "全日制"})
STAFF = [
    ("opsadmin", "赵运维", ["platform_admin"], {}),
    ("examadmin", "钱考务", ["exam_admin"], {}),
    ("reviewer", "孙审核", ["reviewer"], {"province": "50", "review_point": None}),
    ("finance", "李财务", ["finance"], {}),
    ("certofficer", "周证书", ["certificate_officer"], {}),
    ("certofficer2", "吴证书", ["certificate_officer"], {}),
    ("auditor", "郑审计", ["auditor"], {}),
    # professional titles (seed 003); the unit id is registration's demo 渝北区人社局
    ("unitclerk", "郑受理", ["title_unit"], {"unit_id": "unit-yubei"}),
    ("titleadmin", "冯职称", ["title_admin"], {}),
    ("committee", "陈评审", ["title_committee"], {}),
]


def _staff_document(i: int) -> str:
    first17 = f"50010319850115{i:03d}"
    return first17 + check_digit(first17)


def seed(runtime) -> list[tuple[str, str, str]]:
    """Create the demo accounts that do not exist yet; return (username, password, roles)."""
    from services.common.auth import ROLES
    cipher = runtime.services["cipher"]
    made = [(CANDIDATE["username"], DEMO_PASSWORD, "考生")]
    try:
        with runtime.uow() as uow:
            accounts.sign_up(uow, cipher, password=DEMO_PASSWORD,
                             agreement_version=AGREEMENT_VERSION, **CANDIDATE)
    except Conflict:
        pass
    _demo_photo(runtime)
    for i, (username, name, roles, scope) in enumerate(STAFF, start=1):
        try:
            with runtime.uow() as uow:
                accounts.sign_up(uow, cipher, username=username, password=DEMO_PASSWORD, name=name,
                                 document_type="resident_id", document_number=_staff_document(i),
                                 phone=None, education={}, agreement_version="", roles=roles,
                                 scope=scope)
        except Conflict:
            pass
        made.append((username, DEMO_PASSWORD, "、".join(ROLES[r] for r in roles)))
    if not runtime.settings.production:
        _enrol_demo_staff(runtime)
        log.info("demo staff TOTP secret (dev only): %s — current code: "
                 "python -m services.identity.cli totp-code", DEMO_TOTP_SECRET)
    return made


def _enrol_demo_staff(runtime) -> None:
    from services.common import clock
    from services.identity.domain.model import Account
    with runtime.uow() as uow:
        for username, *_ in STAFF:
            account = uow.session.query(Account).filter_by(_username_lower=username).first()
            if account is not None and account.totp_secret is None:
                account.totp_secret, account.totp_enrolled_at = DEMO_TOTP_SECRET, clock.now()
        uow.commit()


def demo_photo_jpeg(max_bytes: int) -> bytes:
    """A standard photo (295×413 JPEG, white background) for demos and tests: a head and
    shoulders drawn with shapes, not anybody's face."""
    import io

    from PIL import Image, ImageDraw

    from services.identity.adapters import images
    img = Image.new("RGB", (295, 413), "white")
    draw = ImageDraw.Draw(img)
    draw.ellipse((97, 70, 197, 200), fill=(214, 182, 160))
    draw.rectangle((55, 240, 240, 413), fill=(38, 58, 104))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=75)
    return images.normalise(buf.getvalue(), max_bytes)


def _demo_photo(runtime) -> None:
    """The demo candidate has a reviewed (locked) photo, so demos can confirm applications
    (seed 000: the photo passes review first); ``identity.photo.locked`` tells registration."""
    from services.identity.domain.model import Account
    from services.identity.service_layer import photos
    max_bytes = runtime.services["photo_max_bytes"]
    with runtime.uow() as uow:
        account = uow.session.query(Account).filter_by(
            _username_lower=CANDIDATE["username"]).first()
        if account is None or photos.mine(uow, account.id)["locked"]:
            return
        photos.upload(uow, account.id, demo_photo_jpeg(max_bytes), max_bytes)
        pending = photos.mine(uow, account.id)["pending"]
        photos.review(uow, pending["id"], True, "demo")

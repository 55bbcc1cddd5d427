"""The admit card as an A4 PDF (seed 001: printed on A4), with the candidate's locked photo and
a QR code anyone can check. ``qr_image`` and ``photo_frame`` serve the application forms
too."""
from __future__ import annotations

import io
from dataclasses import dataclass

import qrcode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from services.common.pdf import cjk_font, photo_box

RULES = [
    "1. 考生须携带本准考证和有效身份证件原件参加考试，证件信息须与准考证一致。",
    "2. 开考前 30 分钟入场；开考 5 分钟后不得入场，考试结束前不得交卷离场。",
    "3. 手机等电子设备须关闭后放在指定位置，不得带至座位。",
    "4. 考场和座位由系统按统一规则编排，请按准考证所列考场、座位号就座。",
    "5. 答卷雷同或有其他违纪违规行为的，按《专业技术人员资格考试违纪违规行为处理规定》处理。",
]


PHOTO_W, PHOTO_H = 25 * mm, 35 * mm  # a 1-inch photo (the standard's 295×413 proportions)
PHOTO_NOTES = {"none": ("暂无审核通过", "的照片"),  # identity has no locked photo
               "unavailable": ("照片暂不可用", "请稍后重新下载")}  # identity did not answer


def photo_frame(c, font: str, photo, x: float, y: float) -> None:
    """The candidate's locked photo (``common.holder_photos.HolderPhoto``) in its box, or a
    placeholder that says why there is none."""
    photo_box(c, font, photo, x, y, PHOTO_W, PHOTO_H, PHOTO_NOTES)


@dataclass(frozen=True)
class AdmitCardData:
    name: str
    document_number_masked: str
    application_number: str
    admit_card_number: str
    exam_name: str
    level_name: str
    specialty_name: str | None
    subjects: list[tuple[str, str]]  # (name, "2026年01月22日 09:00-11:00")
    site: str
    address: str
    room: str
    seat: int
    authority: str
    verification_url: str


def qr_image(url: str) -> ImageReader:
    img = qrcode.make(url, box_size=4, border=1)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    return ImageReader(buf)


def render(card: AdmitCardData, photo=None) -> bytes:
    """``photo``: the candidate's from identity (``common.holder_photos.HolderPhoto``)."""
    font = cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"准考证 {card.admit_card_number}")
    width, height = A4
    left, y = 20 * mm, height - 28 * mm
    c.setFont(font, 20)
    c.drawCentredString(width / 2, y, f"{card.exam_name} 准考证")
    y -= 10 * mm
    c.drawImage(qr_image(card.verification_url), width - 55 * mm, y - 32 * mm, 35 * mm, 35 * mm)
    photo_frame(c, font, photo, width - 52 * mm, y - 78 * mm)
    c.setFont(font, 12)
    lines = [("姓　　名", card.name), ("证件号码", card.document_number_masked),
             ("准考证号", card.admit_card_number), ("报名序号", card.application_number),
             ("报考级别", card.level_name), ("报考专业", card.specialty_name or "—"),
             ("考　　点", card.site), ("考点地址", card.address),
             ("考　　场", card.room), ("座 位 号", f"{card.seat:02d}")]
    for label, value in lines:
        c.drawString(left, y, f"{label}：{value}")
        y -= 8 * mm
    y -= 2 * mm
    c.setFont(font, 13)
    c.drawString(left, y, "考试科目与时间")
    c.setFont(font, 11)
    for name, when in card.subjects:
        y -= 7 * mm
        c.drawString(left + 4 * mm, y, f"{name}　{when}")
    y -= 12 * mm
    c.setFont(font, 13)
    c.drawString(left, y, "考生须知")
    c.setFont(font, 10)
    for rule in RULES:
        y -= 6.5 * mm
        c.drawString(left + 4 * mm, y, rule)
    c.setFont(font, 9)
    c.drawString(left, 18 * mm, f"{card.authority}　扫描二维码或访问 {card.verification_url} 核验准考证")
    c.showPage()
    c.save()
    return buf.getvalue()

"""Paper certificates by post (证书直邮): the states of a mailing and who may ask for a new one.

States: requested → printed → shipped (needs a tracking number) → delivered; an officer may
cancel before shipping. Replacement after loss or damage follows seed 004 (人社厅发〔2021〕97号,
广州 FAQ 十四): where the e-certificate is in force — every qualification this platform
certifies, unless the exam is configured as not yet on e-certificates — a lost or damaged paper
certificate is **not** re-issued (the e-certificate has the same legal force); otherwise only
qualifications from 2002 on, and only after a delivery. A replacement starts in
materials_review (材料待审核): an officer reviews the uploaded materials, then approves it into
the print queue (requested) or rejects it with a reason (rejected; the holder may ask again).
"""
from __future__ import annotations

import re

from services.common.errors import Conflict, Invalid

REQUESTED, PRINTED, SHIPPED, DELIVERED, CANCELLED = (
    "requested", "printed", "shipped", "delivered", "cancelled")
MATERIALS_REVIEW, REJECTED = "materials_review", "rejected"
STATES = {MATERIALS_REVIEW: "材料待审核", REJECTED: "材料未通过", REQUESTED: "已申请",
          PRINTED: "已印制", SHIPPED: "已寄出", DELIVERED: "已签收", CANCELLED: "已取消"}
# Officers' moves on the print queue; materials_review leaves only through ``review``.
NEXT = {REQUESTED: {PRINTED, CANCELLED}, PRINTED: {SHIPPED, CANCELLED}, SHIPPED: {DELIVERED},
        DELIVERED: set(), CANCELLED: set(), MATERIALS_REVIEW: set(), REJECTED: set()}
PRINT_QUEUE = (REQUESTED, PRINTED, SHIPPED)
ACTIVE = {MATERIALS_REVIEW, *PRINT_QUEUE}
FIRST_REPLACEMENT_YEAR = 2002  # seed 004: 2002 年后（含 2002 年）考试成绩全科合格
KINDS = {"first": "首次邮寄", "replacement": "遗失/损毁补发"}
REPLACEMENT_REASONS = {"lost": "遗失", "damaged": "损毁"}
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_TRACKING = re.compile(r"^[A-Z0-9]{8,30}$")


def check_phone(phone: str) -> str:
    phone = re.sub(r"[\s\-]", "", phone or "").removeprefix("+86")
    if not _PHONE.match(phone):
        raise Invalid("请填写 11 位手机号码", code="bad_phone")
    return phone


def check_address(address: str) -> str:
    address = " ".join((address or "").split())
    if not 8 <= len(address) <= 200:
        raise Invalid("请填写完整的收件地址（8-200 个字）", code="bad_address")
    return address


def advance(current: str, new: str, tracking_number: str | None) -> str | None:
    """Check a state change; return the (normalised) tracking number to keep."""
    if new not in STATES:
        raise Invalid("未知的邮寄状态", code="bad_state")
    if new not in NEXT.get(current, set()):
        raise Conflict(f"邮寄状态不能从“{STATES[current]}”改为“{STATES[new]}”",
                       code="bad_transition")
    if new == SHIPPED:
        tracking = (tracking_number or "").strip().upper()
        if not _TRACKING.match(tracking):
            raise Invalid("寄出时须填写快递单号（8-30 位字母或数字）", code="tracking_required")
        return tracking
    return None


def replacement_allowed(exam_code: str, paper_only_exams: frozenset[str],
                        had_delivery: bool, sitting_year: int) -> None:
    """Seed 004 rules for re-issuing a lost or damaged paper certificate."""
    if exam_code.upper() not in paper_only_exams:
        raise Conflict("该职业资格已推行电子证书，纸质证书遗失、损毁不再补办；电子证书与纸质证书"
                       "具有同等法律效力，请在“我的证书”中下载电子证书（人社厅发〔2021〕97号）",
                       code="replacement_not_offered")
    if sitting_year < FIRST_REPLACEMENT_YEAR:
        raise Conflict(f"证书补办只受理 {FIRST_REPLACEMENT_YEAR} 年（含）以后考试成绩合格的持证人员；"
                       f"您的资格取得于 {sitting_year} 年，不在受理范围内，请咨询发证的人事考试机构",
                       code="replacement_out_of_scope")
    if not had_delivery:
        raise Conflict("纸质证书尚未寄达，无需补办", code="nothing_to_replace")


def review(current: str, approve: bool, reason: str | None) -> tuple[str, str | None]:
    """An officer's decision on a replacement's materials: (new state, the reason kept)."""
    if current != MATERIALS_REVIEW:
        raise Conflict("这条补发申请的材料已审核", code="already_reviewed")
    if approve:
        return REQUESTED, None
    reason = " ".join((reason or "").split())
    if not 2 <= len(reason) <= 500:
        raise Invalid("请写明材料不通过的理由（2-500 字），申请人会看到", code="reason_required")
    return REJECTED, reason

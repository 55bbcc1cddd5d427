"""Fee waivers (seed 001: low-income families, after an office review).

    requested ──approve (amount to pay, 0 = waived in full)──► approved
        ├──reject (reason)──► rejected
        └──the candidate pays the full fee meanwhile──► closed

A candidate asks once per application, with proof (a PDF or a JPEG, recognised by content,
not by name). Finance decides; an approval replaces the open order with a reduced one, and a
zero order is settled at once without the provider (there is nothing to pay).
"""
from __future__ import annotations

import uuid
from datetime import datetime

from services.common.domain import Aggregate
from services.common.errors import Conflict, Invalid
from services.common.uploads import document_type

REQUESTED, APPROVED, REJECTED, CLOSED = "requested", "approved", "rejected", "closed"
STATUS_LABELS = {REQUESTED: "待审核", APPROVED: "已批准", REJECTED: "未批准",
                 CLOSED: "已关闭（已全额缴费）"}
PAID_IN_FULL = "考生已全额缴费，减免申请自动关闭；如仍需减免请联系财务办理退费"
MAX_PROOF_BYTES = 5 * 1024 * 1024
def proof_type(content: bytes) -> str:
    """The proof's media type from its bytes; Invalid for anything but a whole PDF or JPEG."""
    media = document_type(content)
    if media is not None:
        return media
    raise Invalid("证明材料须为 PDF 或 JPEG 文件", code="proof_type",
                  fields={"proof": ["仅支持 PDF 或 JPEG"]})


class Waiver(Aggregate):
    def __init__(self, *, application_id: str, candidate_id: str, reason: str,
                 proof: bytes, now: datetime):
        reason = (reason or "").strip()
        if not reason or len(reason) > 500:
            raise Invalid("请说明申请减免的理由（500 字以内）", code="waiver_reason",
                          fields={"reason": ["必填，500 字以内"]})
        if not proof:
            raise Invalid("请上传证明材料", code="proof_missing", fields={"proof": ["必填"]})
        if len(proof) > MAX_PROOF_BYTES:
            raise Invalid("证明材料不能超过 5MB", code="proof_too_large",
                          fields={"proof": ["不能超过 5MB"]})
        self.id = str(uuid.uuid4())
        self.application_id = application_id
        self.candidate_id = candidate_id
        self.reason = reason
        self.proof_type = proof_type(proof)
        self.proof = proof
        self.status = REQUESTED
        self.created_at = now
        self.amount_fen: int | None = None  # what is left to pay once approved
        self.decided_by: str | None = None
        self.decided_at: datetime | None = None
        self.decision_note: str | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def approve(self, amount_fen: int, full_fen: int, actor: str, note: str,
                now: datetime) -> None:
        if self.status != REQUESTED:
            raise Conflict("该申请已处理", code="waiver_decided")
        if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) \
                or not 0 <= amount_fen < full_fen:
            raise Invalid("减免后应缴金额须不少于 0 且少于原金额", code="waiver_amount")
        self.status, self.amount_fen = APPROVED, amount_fen
        self.decided_by, self.decided_at, self.decision_note = actor, now, (note or "")[:300]

    def reject(self, actor: str, note: str, now: datetime) -> None:
        if self.status != REQUESTED:
            raise Conflict("该申请已处理", code="waiver_decided")
        if not (note or "").strip():
            raise Invalid("请填写不予减免的原因", code="waiver_reason")
        self.status = REJECTED
        self.decided_by, self.decided_at, self.decision_note = actor, now, note.strip()[:300]

    def close_paid(self, now: datetime) -> bool:
        """The full fee was paid while the request waited: nothing is left to reduce, and
        finance should not find it in the queue (approving would only answer "already paid")."""
        if self.status != REQUESTED:
            return False
        self.status = CLOSED
        self.decided_by, self.decided_at, self.decision_note = "system", now, PAID_IN_FULL
        return True

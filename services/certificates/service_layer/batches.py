"""Batch (re)issuance: an officer lists qualifications; a worker job works through them.

For each qualification the certificate is found (issued when registration said it qualified) and
its sealed PDF made ready; a qualification we never heard of is reported ``missing`` (replay its
parked event from dead letters, or ask registration to re-send). Progress = done + missing +
failed out of total, shown on the dashboard.
"""
from __future__ import annotations

import re
import uuid

from sqlalchemy import select, update

from services.certificates.adapters.orm import batch_items, batches, find_by_qualification
from services.certificates.service_layer.documents import sealed_pdf
from services.common import clock
from services.common.errors import Invalid

MAX_ITEMS = 5000
CHUNK = 50


def create(uow, text: str, officer) -> str:
    ids = list(dict.fromkeys(x for x in re.split(r"[\s,;，；]+", text or "") if x))
    if not ids:
        raise Invalid("请填写资格编号，每行一个", code="empty_batch")
    if len(ids) > MAX_ITEMS or any(len(x) > 64 for x in ids):
        raise Invalid(f"每批最多 {MAX_ITEMS} 个资格编号，每个不超过 64 字符", code="batch_too_large")
    bid = uuid.uuid4().hex
    uow.session.execute(batches.insert().values(
        id=bid, created_by=officer.sub, created_by_name=officer.name or officer.username,
        created_at=clock.now(), total=len(ids), done=0, failed=0))
    uow.session.execute(batch_items.insert(), [
        {"batch_id": bid, "position": i, "qualification_id": q, "state": "pending"}
        for i, q in enumerate(ids)])
    uow.audit(officer.username, "certificates.batch_created", bid, total=len(ids))
    return bid


def work(runtime, seals, base_url: str, limit: int = CHUNK) -> int:
    """Process up to ``limit`` pending items (the periodic job); returns how many it handled."""
    handled = 0
    with runtime.uow() as uow:
        items = uow.session.execute(select(batch_items).where(batch_items.c.state == "pending")
                                    .order_by(batch_items.c.batch_id, batch_items.c.position)
                                    .limit(limit).with_for_update(skip_locked=True)).all()
        for item in items:
            cert = find_by_qualification(uow.session, item.qualification_id)
            if cert is None:
                state, number, message = "missing", None, "未收到该资格的合格通知"
            else:
                try:
                    sealed_pdf(uow, seals, cert, base_url,
                               photos=runtime.services.get("holder_photos"))
                    state, number, message = "done", cert.number, None
                except Exception as exc:  # noqa: BLE001 - one bad item must not stop the batch
                    state, number, message = "failed", cert.number, str(exc)[:200]
            uow.session.execute(update(batch_items).where(
                batch_items.c.batch_id == item.batch_id,
                batch_items.c.position == item.position).values(
                state=state, number=number, message=message))
            col = batches.c.failed if state in ("missing", "failed") else batches.c.done
            uow.session.execute(update(batches).where(batches.c.id == item.batch_id)
                                .values({col.name: col + 1}))
            handled += 1
        uow.session.execute(update(batches).where(
            batches.c.finished_at.is_(None), batches.c.done + batches.c.failed >= batches.c.total)
            .values(finished_at=clock.now()))
        uow.commit()
    return handled


def progress(uow, batch_id: str | None = None, limit: int = 20) -> list[dict]:
    q = select(batches).order_by(batches.c.created_at.desc()).limit(limit)
    if batch_id:
        q = q.where(batches.c.id == batch_id)
    out = []
    for b in uow.session.execute(q):
        d = dict(b._mapping)
        d["percent"] = int(100 * (b.done + b.failed) / b.total) if b.total else 100
        out.append(d)
    return out


def items(uow, batch_id: str) -> list[dict]:
    return [dict(r._mapping) for r in uow.session.execute(
        select(batch_items).where(batch_items.c.batch_id == batch_id)
        .order_by(batch_items.c.position).limit(1000))]

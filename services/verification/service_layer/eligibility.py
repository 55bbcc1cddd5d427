"""Eligibility data registration asks for: major relation, work years, integrity records."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import insert, select, update

from services.common import clock
from services.common.errors import Conflict, Invalid, NotFound
from services.verification.adapters.majors import MajorTableStore, VersionTaken
from services.verification.adapters.orm import integrity_records as it
from services.verification.domain.integrity import listed_on
from services.verification.domain.majors import validate_table


def major_relation(store: MajorTableStore, exam: str, level: str | None, major: str) -> dict:
    table = store.current()
    a = table.relation(exam, level, major)
    return {"exam": exam, "level": level, "major": major, "relation": a.relation,
            "relation_label": a.label, "matched": a.matched, "catalogue": a.catalogue,
            "manual_check": a.manual_check, "reason": a.reason, "table_version": table.version}


def save_major_table(uow, store: MajorTableStore, data: dict, *, actor: str,
                     note: str | None, expected_version: int | None) -> dict:
    problems = validate_table(data)
    if problems:
        raise Invalid("专业对照表有误：" + "；".join(problems[:10]), code="major_table_invalid",
                      problems=problems)
    try:
        version = store.save(data, actor=actor, note=note, expected=expected_version)
    except VersionTaken:
        raise Conflict("专业对照表已被他人更新，请基于最新版本修改",
                       code="major_table_version_conflict",
                       current_version=store.latest_version()) from None
    uow.audit(actor, "major_table.saved", str(version), note=note)
    uow.commit()
    return {"table_version": version, "note": note}


# -- integrity records --------------------------------------------------------------------------
def _records(session, candidate_id: str) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(
        select(it).where(it.c.candidate_id == candidate_id).order_by(it.c.listed_from))]


def integrity_status(session, candidate_id: str, on: date) -> dict:
    found = listed_on(_records(session, candidate_id), on)
    return {"candidate_id": candidate_id, "on": on, "listed": bool(found),
            "periods": [{"listed_from": r["listed_from"], "listed_until": r["listed_until"]}
                        for r in found]}


def add_integrity_record(uow, *, actor: str, candidate_id: str, name: str | None,
                         listed_from: date, listed_until: date | None, reason: str) -> dict:
    if listed_until is not None and listed_until < listed_from:
        raise Invalid("记录截止日期不能早于开始日期", code="period_invalid", field="listed_until")
    row = {"id": str(uuid.uuid4()), "candidate_id": candidate_id, "name": name,
           "listed_from": listed_from, "listed_until": listed_until, "reason": reason.strip(),
           "added_by": actor, "added_at": clock.now(), "removed_at": None, "removed_by": None,
           "removal_reason": None}
    uow.session.execute(insert(it).values(**row))
    uow.audit(actor, "integrity.added", candidate_id, record_id=row["id"], reason=row["reason"],
              listed_from=listed_from.isoformat(),
              listed_until=listed_until.isoformat() if listed_until else None)
    uow.commit()
    return row


def remove_integrity_record(uow, *, actor: str, record_id: str, reason: str) -> dict:
    row = uow.session.execute(select(it).where(it.c.id == record_id)).first()
    if row is None:
        raise NotFound("没有这条诚信记录", code="integrity_record_not_found")
    if row.removed_at is not None:
        raise Conflict("这条诚信记录已被移除", code="integrity_record_removed",
                       current={"removed_by": row.removed_by,
                                "removed_at": row.removed_at.isoformat()})
    values = {"removed_at": clock.now(), "removed_by": actor, "removal_reason": reason.strip()}
    uow.session.execute(update(it).where(it.c.id == record_id).values(**values))
    uow.audit(actor, "integrity.removed", row.candidate_id, record_id=record_id,
              reason=values["removal_reason"])
    uow.commit()
    return {**dict(row._mapping), **values}


def integrity_list(session, q: str | None = None, limit: int = 200) -> list[dict]:
    query = select(it).order_by(it.c.added_at.desc()).limit(limit)
    if q:
        query = query.where((it.c.candidate_id == q.strip()) | (it.c.name == q.strip()))
    return [dict(r._mapping) for r in session.execute(query)]

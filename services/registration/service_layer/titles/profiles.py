"""The professional's base profile (基本信息, reused by every application) and performance
archive (业绩档案, synced into applications)."""
from __future__ import annotations

import uuid

from sqlalchemy import delete, insert, select, update

from services.common import clock
from services.common.errors import NotFound
from services.common.events.registry import jsonable
from services.registration.adapters.titles_orm import title_archive_items, title_profiles
from services.registration.domain.titles.sections import PROFILE_FIELDS


def profile(session, candidate_id: str, name: str) -> dict:
    """The stored profile; the name always comes from the signed-in identity (实名)."""
    row = session.execute(select(title_profiles).where(
        title_profiles.c.candidate_id == candidate_id)).first()
    data = dict(row.data) if row else {}
    return {**{f: data.get(f) for f in PROFILE_FIELDS}, "name": name,
            "updated_at": row.updated_at if row else None}


def save_profile(uow, candidate_id: str, name: str, data: dict) -> dict:
    now = clock.now()
    clean = jsonable({f: data.get(f) for f in PROFILE_FIELDS})
    t = title_profiles
    exists = uow.session.execute(select(t.c.candidate_id).where(
        t.c.candidate_id == candidate_id)).first()
    if exists:
        uow.session.execute(update(t).where(t.c.candidate_id == candidate_id).values(
            data=clean, updated_at=now))
    else:
        uow.session.execute(insert(t).values(candidate_id=candidate_id, data=clean, updated_at=now))
    uow.commit()
    return profile(uow.session, candidate_id, name)


def archive(session, candidate_id: str) -> list[dict]:
    t = title_archive_items
    return [dict(r._mapping) for r in session.execute(
        select(t).where(t.c.candidate_id == candidate_id).order_by(t.c.date.desc(),
                                                                     t.c.created_at)).all()]


def _item(session, candidate_id: str, item_id: str) -> dict:
    t = title_archive_items
    row = session.execute(select(t).where(t.c.id == item_id,
                                          t.c.candidate_id == candidate_id)).first()
    if row is None:
        raise NotFound("没有找到该业绩档案条目", code="title_archive_item_not_found")
    return dict(row._mapping)


def add_item(uow, candidate_id: str, data: dict) -> dict:
    now = clock.now()
    item_id = str(uuid.uuid4())
    uow.session.execute(insert(title_archive_items).values(
        id=item_id, candidate_id=candidate_id, created_at=now, updated_at=now, **data))
    uow.commit()
    return _item(uow.session, candidate_id, item_id)


def update_item(uow, candidate_id: str, item_id: str, data: dict) -> dict:
    _item(uow.session, candidate_id, item_id)
    uow.session.execute(update(title_archive_items).where(title_archive_items.c.id == item_id)
                        .values(updated_at=clock.now(), **data))
    uow.commit()
    return _item(uow.session, candidate_id, item_id)


def delete_item(uow, candidate_id: str, item_id: str) -> None:
    _item(uow.session, candidate_id, item_id)
    uow.session.execute(delete(title_archive_items).where(title_archive_items.c.id == item_id))
    uow.commit()


def as_achievements(items: list[dict]) -> list[dict]:
    """Archive items as achievement rows of an application (``archive_id`` links them back)."""
    return [{"archive_id": i["id"], "kind": i["kind"], "title": i["title"],
             "date": i["date"].isoformat() if i["date"] else None, "role": i["role"],
             "description": i["description"]} for i in items]

"""Catalog editing by the exam admin: exam settings, windows, fees, and next year's sitting.

Every change is audited. Levels, subjects and places are copied with a sitting (each year's run
starts as a copy of the last, shifted to the new exam date) and edited later if needed.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select, update

from services.common.errors import Conflict, Invalid, NotFound
from services.registration.adapters import orm
from services.registration.domain.catalog import REVIEW_MODES, WINDOW_KINDS
from services.registration.service_layer import catalog

ADMIT_CARD_MODES = ("on_payment", "allocation")


def update_settings(uow, exam_code: str, changes: dict, actor: str) -> dict:
    catalog.exam_settings(uow.session, exam_code)
    if "review_mode" in changes and changes["review_mode"] not in REVIEW_MODES:
        raise Invalid("审核方式无效", code="review_mode_unknown", field="review_mode")
    if "admit_card_mode" in changes and changes["admit_card_mode"] not in ADMIT_CARD_MODES:
        raise Invalid("准考证生成方式无效", code="admit_card_mode_unknown", field="admit_card_mode")
    if changes:
        uow.session.execute(update(orm.exams).where(orm.exams.c.code == exam_code).values(**changes))
        uow.audit(actor, "exam.settings", exam_code, **changes)
    uow.commit()
    return catalog.exam_settings(uow.session, exam_code)


def _province(session, sitting_id: str, province: str) -> None:
    if catalog.fee_per_subject(session, sitting_id, province) is None:
        raise NotFound("该考试不在该省份报名", code="province_unknown")


def set_window(uow, sitting_id: str, province: str, kind: str, start, end, actor: str) -> dict:
    catalog.sitting(uow.session, sitting_id)
    _province(uow.session, sitting_id, province)
    if kind not in WINDOW_KINDS or kind == "score_review":
        raise NotFound("没有这种时间安排", code="window_kind_unknown")
    if end is not None and end <= start:
        raise Invalid("结束时间应晚于开始时间", code="window_invalid", field="end")
    t = orm.windows
    where = (t.c.sitting_id == sitting_id, t.c.province_code == province, t.c.kind == kind)
    if uow.session.execute(select(t.c.kind).where(*where)).first() is None:
        uow.session.execute(insert(t).values(sitting_id=sitting_id, province_code=province,
                                             kind=kind, starts_at=start, ends_at=end))
    else:
        uow.session.execute(update(t).where(*where).values(starts_at=start, ends_at=end))
    uow.audit(actor, "window.set", sitting_id, province=province, kind=kind,
              start=start.isoformat(), end=end.isoformat() if end else None)
    uow.commit()
    return {"kind": kind, "start": start, "end": end}


def set_fee(uow, sitting_id: str, province: str, fee_fen: int, actor: str) -> dict:
    """Fee per subject in fen. Applications already approved keep the fee they were asked."""
    catalog.sitting(uow.session, sitting_id)
    _province(uow.session, sitting_id, province)
    if not isinstance(fee_fen, int) or fee_fen < 0:
        raise Invalid("报名费应为非负整数（分）", code="fee_invalid", field="fee_per_subject_fen")
    t = orm.sitting_provinces
    uow.session.execute(update(t).where(t.c.sitting_id == sitting_id, t.c.province_code == province)
                        .values(fee_per_subject_fen=fee_fen))
    uow.audit(actor, "fee.set", sitting_id, province=province, fee_fen=fee_fen)
    uow.commit()
    return {"province": province, "fee_per_subject_fen": fee_fen}


def copy_sitting(uow, sitting_id: str, *, year: int, exam_date: date, actor: str) -> str:
    """Next year's (or a past year's) sitting: same levels, subjects, fees; windows shifted."""
    s = catalog.sitting(uow.session, sitting_id)
    new_id = f"{year}-{s.exam_code}"
    if uow.session.execute(select(orm.sittings.c.id).where(
            orm.sittings.c.exam_code == s.exam_code, orm.sittings.c.year == year)).first():
        raise Conflict(f"{year} 年度的该考试已存在", code="sitting_exists")
    shift = exam_date - s.exam_date
    uow.session.execute(insert(orm.sittings).values(id=new_id, exam_code=s.exam_code, year=year,
                                                    name=f"{year}年度", exam_date=exam_date,
                                                    status="open"))
    for table, fix in ((orm.levels, {}), (orm.specialties, {}), (orm.subjects, {}),
                       (orm.sitting_provinces, {})):
        rows = [dict(r._asdict(), sitting_id=new_id, **fix) for r in uow.session.execute(
            select(table).where(table.c.sitting_id == sitting_id)).all()]
        if rows:
            uow.session.execute(insert(table), rows)
    rows = [dict(r._asdict(), sitting_id=new_id, starts_at=r.starts_at + shift,
                 ends_at=r.ends_at + shift if r.ends_at else None)
            for r in uow.session.execute(select(orm.windows).where(
                orm.windows.c.sitting_id == sitting_id)).all()]
    if rows:
        uow.session.execute(insert(orm.windows), rows)
    uow.audit(actor, "sitting.copy", new_id, source=sitting_id)
    uow.commit()
    return new_id


# -- places and the exam's structure (upserts: PUT creates or replaces) -------------------------
def _upsert(uow, table, key: dict, values: dict) -> None:
    where = [table.c[k] == v for k, v in key.items()]
    if uow.session.execute(select(*(table.c[k] for k in key)).where(*where)).first() is None:
        uow.session.execute(insert(table).values(**key, **values))
    else:
        uow.session.execute(update(table).where(*where).values(**values))


def _city(session, city: str) -> None:
    if session.execute(select(orm.cities.c.code).where(orm.cities.c.code == city)).first() is None:
        raise Invalid("没有这个地市", code="city_unknown", field="city")


def put_review_point(uow, code: str, data: dict, actor: str) -> dict:
    _city(uow.session, data["city"])
    _upsert(uow, orm.review_points, {"code": code}, dict(
        city_code=data["city"], name=data["name"], address=data.get("address")))
    uow.audit(actor, "review_point.put", code, **data)
    uow.commit()
    return {"code": code, **data}


def put_site(uow, code: str, data: dict, actor: str) -> dict:
    _city(uow.session, data["city"])
    _upsert(uow, orm.exam_sites, {"code": code}, dict(
        city_code=data["city"], name=data["name"], address=data["address"]))
    uow.audit(actor, "exam_site.put", code, **data)
    uow.commit()
    return {"code": code, **data}


def put_room(uow, site: str, number: int, data: dict, actor: str) -> dict:
    """A room (考场) of a site; more rooms let waiting paid candidates be seated."""
    row = uow.session.execute(select(orm.exam_sites).where(orm.exam_sites.c.code == site)).first()
    if row is None:
        raise NotFound("没有这个考点", code="site_not_found")
    taken = uow.session.execute(
        select(orm.rooms.c.id).join(orm.exam_sites, orm.exam_sites.c.code == orm.rooms.c.site_code)
        .where(orm.exam_sites.c.city_code == row.city_code, orm.rooms.c.number == number,
               orm.rooms.c.site_code != site)).first()
    if taken:
        raise Conflict("考场号在本地市内须唯一", code="room_number_taken")
    rid = f"{site}-{number:02d}"
    _upsert(uow, orm.rooms, {"id": rid}, dict(site_code=site, number=number, name=data["name"],
                                              capacity=data["capacity"]))
    uow.audit(actor, "room.put", rid, **data)
    uow.commit()
    return {"id": rid, "site": site, "number": number, **data}


def put_level(uow, sitting_id: str, code: str, data: dict, actor: str) -> dict:
    catalog.sitting(uow.session, sitting_id)
    _upsert(uow, orm.levels, {"sitting_id": sitting_id, "code": code}, dict(
        name=data["name"], min_education=data.get("min_education"), grade=data["grade"],
        position=data.get("position", 0)))
    for spec in data.get("specialties") or []:
        _upsert(uow, orm.specialties, {"sitting_id": sitting_id, "level_code": code,
                                       "code": spec["code"]}, {"name": spec["name"]})
    uow.audit(actor, "level.put", f"{sitting_id}/{code}", name=data["name"])
    uow.commit()
    return {"code": code, **data}


def put_subject(uow, sitting_id: str, code: str, data: dict, actor: str) -> dict:
    if catalog.level(uow.session, sitting_id, data["level"]) is None:
        raise Invalid("没有这个报考级别", code="level_unknown", field="level")
    if not 0 < data["pass_mark"] <= data["full_mark"]:
        raise Invalid("合格标准应在 1 至满分之间", code="pass_mark_invalid", field="pass_mark")
    if data["ends"] <= data["starts"]:
        raise Invalid("结束时间应晚于开始时间", code="time_invalid", field="ends")
    _upsert(uow, orm.subjects, {"sitting_id": sitting_id, "code": code}, dict(
        level_code=data["level"], name=data["name"], pass_mark=data["pass_mark"],
        full_mark=data["full_mark"], day_offset=data["day_offset"], starts=data["starts"],
        ends=data["ends"], exemptable=data["exemptable"]))
    uow.audit(actor, "subject.put", f"{sitting_id}/{code}", name=data["name"])
    uow.commit()
    return {"code": code, **data}

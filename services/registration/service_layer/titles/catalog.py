"""Accepting units (受理单位) and review plans (职称评审申报计划): reads for professionals,
edits for the title admin."""
from __future__ import annotations

import uuid

from sqlalchemy import insert, or_, select, update

from services.common import clock
from services.common.errors import Invalid, NotFound
from services.registration.adapters.titles_orm import title_plans, title_units
from services.registration.domain.titles.sections import LEVELS, TYPES

UNIT_KINDS = {"district": "区县人力社保局", "city_department": "市级主管部门 / 大型企事业单位",
              "talent_center": "市人才交流服务中心"}


def _unit(row) -> dict:
    return dict(row._mapping)


def units(session, q: str | None = None, region: str | None = None,
          include_inactive: bool = False) -> list[dict]:
    t = title_units
    stmt = select(t).order_by(t.c.kind, t.c.name)
    if not include_inactive:
        stmt = stmt.where(t.c.active.is_(True))
    if q:
        like = f"%{q.strip()[:50]}%"
        stmt = stmt.where(or_(t.c.name.like(like), t.c.jurisdiction.like(like)))
    if region:
        stmt = stmt.where(or_(t.c.region_code == region, t.c.region_code.is_(None)))
    return [_unit(r) for r in session.execute(stmt).all()]


def unit(session, unit_id: str) -> dict:
    row = session.execute(select(title_units).where(title_units.c.id == unit_id)).first()
    if row is None:
        raise NotFound("没有找到该受理单位", code="title_unit_not_found")
    return _unit(row)


def _check_rules(data: dict) -> None:
    names = [r["name"] for r in data.get("attachment_rules") or []]
    if len(names) != len(set(names)):
        raise Invalid("附件要求的材料名称不能重复", code="title_attachment_rules_invalid")


def save_unit(uow, data: dict, actor: str, unit_id: str | None = None) -> dict:
    """Create (``unit_id`` None) or replace a unit's editable fields."""
    _check_rules(data)
    if any(a not in TYPES for a in data.get("accepts", [])):
        raise Invalid("受理业务应为职称初定、职称确认或职称评审", code="title_type_unknown")
    values = {**data, "updated_at": clock.now()}
    if unit_id is None:
        unit_id = data.get("id") or f"unit-{uuid.uuid4().hex[:8]}"
        values["id"] = unit_id
        if uow.session.execute(select(title_units.c.id).where(title_units.c.id == unit_id)).first():
            raise Invalid("受理单位编号已存在", code="title_unit_exists")
        uow.session.execute(insert(title_units).values(**values))
    else:
        unit(uow.session, unit_id)
        values.pop("id", None)
        uow.session.execute(update(title_units).where(title_units.c.id == unit_id).values(**values))
    uow.audit(actor, "title_unit.save", unit_id)
    uow.commit()
    return unit(uow.session, unit_id)


# -- review plans ---------------------------------------------------------------------------------
def plans(session, *, open_at=None) -> list[dict]:
    """Every plan, newest first; with ``open_at`` only those whose window contains that moment."""
    t = title_plans
    stmt = select(t).order_by(t.c.starts_at.desc())
    if open_at is not None:
        stmt = stmt.where(t.c.starts_at <= open_at, t.c.ends_at >= open_at)
    return [dict(r._mapping) for r in session.execute(stmt).all()]


def plan(session, plan_id: str) -> dict:
    row = session.execute(select(title_plans).where(title_plans.c.id == plan_id)).first()
    if row is None:
        raise NotFound("没有找到该申报计划", code="title_plan_not_found")
    return dict(row._mapping)


def _check_plan(data: dict) -> None:
    if data["ends_at"] <= data["starts_at"]:
        raise Invalid("个人申报截止时间应晚于开始时间", code="title_plan_window_invalid")
    if any(t["title_level"] not in LEVELS for t in data["titles"]):
        raise Invalid("职称等级应为初级、中级、副高级或正高级", code="title_level_unknown")
    _check_rules(data)


def save_plan(uow, data: dict, actor: str, plan_id: str | None = None) -> dict:
    current = plan(uow.session, plan_id) if plan_id else None
    merged = {**(current or {}), **data}
    _check_plan(merged)
    values = {**data, "updated_at": clock.now()}
    if plan_id is None:
        plan_id = data.get("id") or f"plan-{uuid.uuid4().hex[:8]}"
        if uow.session.execute(select(title_plans.c.id).where(title_plans.c.id == plan_id)).first():
            raise Invalid("申报计划编号已存在", code="title_plan_exists")
        values.update(id=plan_id, published_on=clock.now().date())
        uow.session.execute(insert(title_plans).values(**values))
    else:
        values.pop("id", None)
        uow.session.execute(update(title_plans).where(title_plans.c.id == plan_id).values(**values))
    uow.audit(actor, "title_plan.save", plan_id)
    uow.commit()
    return plan(uow.session, plan_id)


def check_title(plan_row: dict, series: str, title_name: str, title_level: str,
                specialty: str | None) -> None:
    """A review application names a title and a specialty the plan reviews."""
    if not any(t["series"] == series and t["title_name"] == title_name
               and t["title_level"] == title_level for t in plan_row["titles"]):
        raise Invalid(f"“{plan_row['name']}”不评审 {series} {title_name}（{title_level}）",
                      code="title_not_in_plan", field="title_name")
    if specialty and not any(s["series"] == series and s["specialty"] == specialty
                             for s in plan_row["specialties"]):
        raise Invalid(f"“{plan_row['name']}”不评审专业“{specialty}”", code="title_not_in_plan",
                      field="specialty")

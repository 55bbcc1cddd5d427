"""Demo accepting units and one open review plan, so ``make run`` can take a title application
from profile to certificate. The unit ids are fixed: identity's demo ``unitclerk`` is scoped to
``unit-yubei``."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from services.common import clock
from services.registration.adapters.titles_orm import title_plans, title_units

ALL = ["initial", "confirmation", "review"]
DEGREE = {"name": "学历学位证书", "required": True}
UNITS = [
    dict(id="unit-yubei", name="渝北区人力资源和社会保障局", kind="district", region_code="500112",
         jurisdiction="渝北区辖区内单位人员（含企事业单位、非公有制单位人员和自由职业）",
         contact_person="郑老师", contact_phone="023-67800000", address="重庆市渝北区双龙大道 1 号",
         notice="请按属地原则选择受理单位；档案不在本市的，请选择参保地所在区县人力社保局。",
         attachment_rules=[DEGREE, {"name": "参保记录", "required": False}], accepts=ALL),
    dict(id="unit-jiangbei", name="江北区人力资源和社会保障局", kind="district", region_code="500105",
         jurisdiction="江北区辖区内单位人员（含企事业单位、非公有制单位人员和自由职业）",
         contact_person="王老师", contact_phone="023-67700000", address="重庆市江北区建新北路 2 号",
         notice="请如实填写申报书，提交后单位未开始审核前可撤回修改。",
         attachment_rules=[DEGREE], accepts=ALL),
    dict(id="unit-talent", name="重庆市人才交流服务中心", kind="talent_center", region_code=None,
         jurisdiction="存档人员（含万友、渝卓、卫生、飞驶特分中心存档人员）",
         contact_person="李老师", contact_phone="023-63800000", address="重庆市渝中区长江一路 3 号",
         notice="仅受理在本中心存档的人员。", attachment_rules=[DEGREE,
                                                    {"name": "存档证明", "required": True}],
         accepts=ALL),
    dict(id="unit-jiaowei", name="重庆市教育委员会", kind="city_department", region_code=None,
         jurisdiction="市教委所属单位人员（含聘用人员）", contact_person="赵老师",
         contact_phone="023-63600000", address="重庆市渝北区青枫北路 4 号",
         notice="市级主管部门负责所属单位人员的职称初定和确认。", attachment_rules=[DEGREE],
         accepts=["initial", "confirmation"]),
]
PLAN_ID = "plan-2026-gcjs-zj"


def plan_row(now) -> dict:
    return dict(
        id=PLAN_ID, name="2026年度工程技术系列中级职称评审", year=2026,
        committee="重庆市工程技术中级职称评审委员会", committee_size=15,
        authority="重庆市人力资源和社会保障局", issuing_authority="重庆市人力资源和社会保障局",
        starts_at=now - timedelta(days=5), ends_at=now + timedelta(days=30),
        unit_review_ends_at=None, fee_fen=42000, scope="本市",
        notice="申报人应具备相应学历和专业技术工作年限，所提供材料真实、准确。",
        contact="023-63000000（重庆市江北区北滨一路 266 号）",
        attachment_rules=[DEGREE, {"name": "委托评审函", "required": False},
                          {"name": "其他", "required": False}],
        titles=[{"series": "工程技术", "title_name": "工程师", "title_level": "中级"}],
        specialties=[{"series": "工程技术", "specialty": "建筑工程", "direction": "建筑"},
                     {"series": "工程技术", "specialty": "机械工程", "direction": "机械制造"},
                     {"series": "工程技术", "specialty": "电子信息", "direction": "软件工程"}],
        groups=["建筑组", "机械组", "电子信息组"], published_on=now.date(), updated_at=now)


def seed_titles_if_empty(runtime) -> bool:
    with runtime.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(title_units)).scalar():
            return False
    now = clock.now()
    try:
        with runtime.engine.begin() as conn:
            conn.execute(insert(title_units), [dict(u, active=True, email=None, updated_at=now)
                                               for u in UNITS])
            conn.execute(insert(title_plans).values(**plan_row(now)))
    except IntegrityError:
        return False  # another process seeded it first
    return True

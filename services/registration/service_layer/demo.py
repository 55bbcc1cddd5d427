"""The demo catalog seeded on an empty database, so ``make run`` has something to apply for.

Exams and their level / specialty / subject names come from the seeds: 统计专业技术资格考试
(seed 002 gives "03高级统计师 / 01高级统计 / 高级统计实务与案例分析" and the 初级 subjects) and
经济专业技术资格考试 (seeds 002 and 004). Windows are computed from the day the data is seeded,
so the demo is always inside its application and payment windows.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from services.common import clock
from services.registration.adapters import orm
from services.registration.domain.catalog import BEIJING

YEAR = 2026
FEE_FEN = 5000  # 50 元 per subject (seed 001)
PROVINCES = [
    ("50", "重庆市", "重庆市人事考试中心",
     [("500103", "渝中区"), ("500105", "江北区"), ("500106", "沙坪坝区")]),
    ("44", "广东省", "广东省人事考试局",
     [("440100", "广州市"), ("440300", "深圳市"), ("440600", "佛山市")]),
]
# (exam code, exam name, [(level code, level name, min education, [(specialty code, name)],
#                          [(subject code, name, day offset, starts, ends)])])
EXAMS = [
    ("TJ", "统计专业技术资格考试", [
        ("01", "统计专业初级", "中专", [("01", "初级统计")], [
            ("TJ101", "统计学和统计法基础知识（初级）", 0, "09:00", "11:00"),
            ("TJ102", "统计专业知识和实务（初级）", 0, "14:00", "16:00")]),
        ("02", "统计专业中级", "大专", [("01", "中级统计")], [
            ("TJ201", "统计基础理论及相关知识（中级）", 0, "09:00", "11:30"),
            ("TJ202", "统计工作实务（中级）", 0, "14:00", "16:30")]),
        ("03", "高级统计师", "本科", [("01", "高级统计")], [
            ("TJ301", "高级统计实务与案例分析", 1, "09:00", "12:00")]),
    ]),
    ("JJ", "经济专业技术资格考试", [
        ("01", "经济专业初级", "中专", [("01", "工商管理"), ("02", "人力资源管理"), ("03", "金融")], [
            ("JJ101", "经济基础知识（初级）", 0, "09:00", "11:00"),
            ("JJ102", "专业知识和实务（初级）", 0, "14:00", "16:30")]),
        ("02", "经济专业中级", "大专", [("01", "工商管理"), ("02", "人力资源管理"), ("03", "金融"),
                                        ("04", "建筑与房地产经济")], [
            ("JJ201", "经济基础知识（中级）", 0, "09:00", "11:30"),
            ("JJ202", "专业知识和实务（中级）", 0, "14:00", "16:30")]),
    ]),
    ("JZ", "二级建造师执业资格考试", [
        ("01", "二级建造师", "中专", [("01", "建筑工程"), ("02", "市政公用工程"), ("03", "机电工程")], [
            ("JZ101", "建设工程施工管理", 0, "09:00", "12:00"),
            ("JZ102", "建设工程法规及相关知识", 0, "14:30", "16:30"),
            ("JZ103", "专业工程管理与实务", 1, "09:00", "12:00")]),
    ]),
]
GRADES = {"01": "初级", "02": "中级", "03": "高级"}
EXAM_GRADES = {"JZ": {"01": "二级"}}  # 执业资格: the certificate names the grade, not 初/中/高
# How each demo exam is run. 统计 and 经济 keep the walking skeleton's quick path (automatic
# review, admit card on payment, qualified on publication: the end-to-end journeys use them);
# 二级建造师 shows the full seed-004 configuration.
QUICK = dict(review_mode="automatic", commitment_offered=False, admit_card_mode="on_payment",
             notice_days=0, post_exam_check=False)
SETTINGS = {
    "TJ": dict(QUICK, rolling_years=1),
    "JJ": dict(QUICK, rolling_years=2),
    "JZ": dict(review_mode="online", commitment_offered=True, admit_card_mode="allocation",
               rolling_years=2, notice_days=7, post_exam_check=True),
}
# Subjects a candidate may claim as exempt, with their basis (seed 004's 免试 groups).
EXEMPTABLE = {"JJ201", "JZ101", "JZ102"}
ROOMS_PER_SITE = 2
SEATS_PER_ROOM = 30


def _local(day, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=BEIJING)


def catalog_rows(now: datetime) -> dict[str, list[dict]]:
    """Every row of the demo catalog, computed from ``now`` (pure, so it is easy to test)."""
    exam_date = (now.astimezone(BEIJING) + timedelta(days=60)).date()
    rows: dict[str, list[dict]] = {k: [] for k in (
        "provinces", "cities", "review_points", "exam_sites", "rooms", "exams", "sittings",
        "levels", "specialties", "subjects", "sitting_provinces", "windows")}
    for pcode, pname, authority, cities in PROVINCES:
        rows["provinces"].append(dict(code=pcode, name=pname, authority=authority))
        for ccode, cname in cities:
            rows["cities"].append(dict(code=ccode, province_code=pcode, name=cname))
            rows["review_points"].append(dict(code=f"{ccode}01", city_code=ccode,
                                              name=f"{cname}人事考试审核点",
                                              address=f"{pname}{cname}人力资源和社会保障局服务大厅"))
            site = f"{ccode}01"
            rows["exam_sites"].append(dict(code=site, city_code=ccode, name=f"{cname}第一考点",
                                           address=f"{pname}{cname}考试路 1 号"))
            for n in range(1, ROOMS_PER_SITE + 1):
                rows["rooms"].append(dict(id=f"{site}-{n:02d}", site_code=site, number=n,
                                          name=f"第 {n:02d} 考场", capacity=SEATS_PER_ROOM))
    for code, name, levels in EXAMS:
        sitting_id = f"{YEAR}-{code}"
        rows["exams"].append(dict(code=code, name=name, **SETTINGS[code]))
        rows["sittings"].append(dict(id=sitting_id, exam_code=code, year=YEAR, name=f"{YEAR}年度",
                                     exam_date=exam_date, status="open"))
        last_day = 0
        for position, (lcode, lname, min_edu, specs, subs) in enumerate(levels):
            rows["levels"].append(dict(sitting_id=sitting_id, code=lcode, name=lname,
                                       min_education=min_edu,
                                       grade=EXAM_GRADES.get(code, GRADES)[lcode],
                                       position=position))
            for scode, sname in specs:
                rows["specialties"].append(dict(sitting_id=sitting_id, level_code=lcode,
                                                code=scode, name=sname))
            for scode, sname, day, starts, ends in subs:
                last_day = max(last_day, day)
                rows["subjects"].append(dict(sitting_id=sitting_id, level_code=lcode, code=scode,
                                             name=sname, pass_mark=60, full_mark=100,
                                             day_offset=day, starts=starts, ends=ends,
                                             exemptable=scode in EXEMPTABLE))
        exam_end = _local(exam_date + timedelta(days=last_day + 1), time(0, 0))
        for pcode, *_ in PROVINCES:
            rows["sitting_provinces"].append(dict(sitting_id=sitting_id, province_code=pcode,
                                                  fee_per_subject_fen=FEE_FEN))
            for kind, starts, ends in (
                    ("application", now - timedelta(days=10), now + timedelta(days=30)),
                    ("payment", now - timedelta(days=10), now + timedelta(days=30)),
                    ("admit_card", _local(exam_date - timedelta(days=7), time(9, 0)), exam_end),
                    ("scores", _local(exam_date + timedelta(days=30), time(9, 0)), None)):
                rows["windows"].append(dict(sitting_id=sitting_id, province_code=pcode, kind=kind,
                                            starts_at=starts, ends_at=ends))
    return rows


def seed_if_empty(runtime) -> bool:
    """Insert the demo catalog once; concurrent starters race safely on the primary keys.
    Title units and the review plan are seeded on their own (a database from before titles
    gets them too)."""
    from services.registration.service_layer.titles.demo import seed_titles_if_empty
    seed_titles_if_empty(runtime)
    with runtime.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(orm.exams)).scalar():
            return False
    rows = catalog_rows(clock.now())
    try:
        with runtime.engine.begin() as conn:
            for name, values in rows.items():
                conn.execute(insert(getattr(orm, name)), values)
    except IntegrityError:
        return False  # another process seeded it first
    return True

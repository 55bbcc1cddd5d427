"""What a title application holds, section by section, and when a section is complete.

Seed 003 lists the sections per type: 职称初定 (基本信息, 学历学位, 工作经历, 主要工作成绩及奖惩,
见习期工作小结, 附件), 职称确认 (基本信息 with the original title, 到现单位后专业技术工作情况, 附件),
职称评审 (基本信息, then 业绩材料: 学历学位, 工作经历 and achievements synced from the
performance archive, 附件). Sections are saved as the professional goes; submitting needs every
required one complete.
"""
from __future__ import annotations

from services.common.masking import mask_phone

INITIAL, CONFIRMATION, REVIEW = "initial", "confirmation", "review"
TYPES = {INITIAL: "职称初定", CONFIRMATION: "职称确认", REVIEW: "职称评审"}
LEVELS = ("初级", "中级", "副高级", "正高级")
# 职称初定 recognises graduates' first titles: 初级 (员级 / 助理级), 中级 for master's / doctors.
LEVELS_BY_TYPE = {INITIAL: ("初级", "中级"), CONFIRMATION: LEVELS, REVIEW: LEVELS}

SECTIONS = {"basic": "基本信息", "education": "学历学位", "work_history": "工作经历",
            "achievements": "主要工作成绩及业绩材料", "probation_summary": "见习期工作小结",
            "attachments": "附件材料"}
LIST_SECTIONS = ("education", "work_history", "achievements")
REQUIRED_SECTIONS = {
    INITIAL: ("basic", "education", "work_history", "probation_summary", "attachments"),
    CONFIRMATION: ("basic", "work_history", "attachments"),
    REVIEW: ("basic", "education", "work_history", "achievements", "attachments"),
}
BASIC_FIELDS = {
    "name": "姓名", "gender": "性别", "birth_date": "出生日期", "phone": "联系电话",
    "employer": "现工作单位", "employer_region": "单位所在区县", "work_start_date": "参加工作时间",
    "political_status": "政治面貌", "education_highest": "最高学历", "current_series": "现职称系列",
    "current_title": "现职称", "personnel_category": "人员类别", "archive_location": "档案存放地",
    "position": "职务", "address": "联系地址",
    # 职称确认: the title held before (seed 003 §4.1)
    "original_series": "原专业技术职称系列", "original_title": "原专业技术职称",
    "original_specialty": "原专业技术职称专业方向", "original_obtained_on": "原职称取得时间",
    "valid_scope": "有效范围",
    # 职称评审: committee group and category (seed 003 §5.1)
    "committee_group": "评审委员会专业组", "category": "申请类别", "conditions": "符合的申报条件",
}
BASIC_REQUIRED = ("name", "gender", "birth_date", "phone", "employer", "work_start_date")
BASIC_REQUIRED_BY_TYPE = {
    INITIAL: BASIC_REQUIRED,
    CONFIRMATION: BASIC_REQUIRED + ("original_series", "original_title", "original_specialty",
                                    "original_obtained_on", "valid_scope"),
    REVIEW: BASIC_REQUIRED + ("committee_group", "category"),
}
PROFILE_FIELDS = ("gender", "birth_date", "phone", "employer", "employer_region",
                  "work_start_date", "political_status", "education_highest", "current_series",
                  "current_title", "personnel_category", "archive_location", "position", "address")
# Personal data: encrypted at rest (adapters.pii.SealedJSON); the phone is masked for everyone
# but the professional (``masked``). Seed 003's forms hold no ID number.
PERSONAL_FIELDS = ("phone", "address")
ARCHIVE_KINDS = {"project": "科研项目", "paper": "论文", "patent": "专利", "award": "获奖",
                 "training": "继续教育"}


def masked(basic: dict) -> dict:
    """基本信息 as the authorities see it: the phone ``138****8001``."""
    phone = (basic or {}).get("phone")
    return {**(basic or {}), "phone": mask_phone(phone)} if phone else dict(basic or {})


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def completeness(*, application_type: str, basic: dict, lists: dict[str, list],
                 probation_summary: str | None, attachment_labels: set[str],
                 attachment_rules: list[dict]) -> dict[str, dict]:
    """Per section: ``required``, ``complete`` and ``missing`` (Chinese names of what is missing)."""
    required = REQUIRED_SECTIONS[application_type]
    out: dict[str, dict] = {}
    missing = [BASIC_FIELDS[f] for f in BASIC_REQUIRED_BY_TYPE[application_type]
               if _blank((basic or {}).get(f))]
    out["basic"] = {"missing": missing}
    for name in LIST_SECTIONS:
        out[name] = {"missing": [] if lists.get(name) else [f"至少填写一条{SECTIONS[name]}"]}
    out["probation_summary"] = {"missing": [] if not _blank(probation_summary)
                                else ["见习期工作小结"]}
    out["attachments"] = {"missing": [r["name"] for r in attachment_rules
                                      if r.get("required") and r["name"] not in attachment_labels]}
    for name, item in out.items():
        item["required"] = name in required
        # an optional section is complete when nothing is filled either
        item["complete"] = not item["missing"] if item["required"] or name == "attachments" \
            else True
        item["label"] = SECTIONS[name]
    return out


def incomplete(report: dict[str, dict]) -> list[str]:
    """The required sections still missing something, as their Chinese names."""
    return [v["label"] for v in report.values() if v["required"] and not v["complete"]]

"""The rules of the degree and identity checks (pure, beside ``rules.py`` for education).

Seed 000: degrees awarded since September 2008 are verified online (学位网); older ones go to
a manual check. The identity check asks the public-security service whether name and resident
ID number belong together; other documents (passport, 港澳台 permits) have no online check.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.verification.domain.registries import DegreeRecord
from services.verification.domain.rules import (
    DEGREE_ONLINE_SINCE,
    NO_NUMBER,
    Outcome,
    normalise_name,
    normalise_number,
)

DEGREE_LEVELS = ("无", "学士", "硕士", "博士")


@dataclass(frozen=True)
class DegreeClaim:
    level: str
    degree_type: str | None = None
    school: str | None = None
    major: str | None = None
    awarded_date: date | None = None
    certificate_number: str | None = None

    @classmethod
    def from_dict(cls, d: dict) -> DegreeClaim:
        awarded = d.get("awarded_date")
        if isinstance(awarded, str):
            awarded = date.fromisoformat(awarded)
        return cls(level=d.get("level") or "无", degree_type=d.get("degree_type"),
                   school=d.get("school"), major=d.get("major"), awarded_date=awarded,
                   certificate_number=d.get("certificate_number"))

    def as_dict(self) -> dict:
        return {"level": self.level, "degree_type": self.degree_type, "school": self.school,
                "major": self.major, "awarded_date": self.awarded_date.isoformat()
                if self.awarded_date else None, "certificate_number": self.certificate_number}

    @property
    def number(self) -> str | None:
        n = normalise_number(self.certificate_number)
        return None if n.lower() in NO_NUMBER else n


def precheck_degree(claim: DegreeClaim) -> Outcome | None:
    if claim.level == "无":
        return Outcome("passed", "no_degree", "未填写学位，无需核验")
    if claim.level not in DEGREE_LEVELS:
        return Outcome("manual_check", "level_unknown", f"学位层次“{claim.level}”无法在线核验，需人工核验")
    if claim.awarded_date is None:
        return Outcome("manual_check", "awarded_date_missing", "未填写学位授予日期，需人工核验")
    if claim.awarded_date < DEGREE_ONLINE_SINCE:
        return Outcome("manual_check", "before_online_records",
                       "2008 年 9 月以前授予的学位需人工核验")
    if claim.number is None:
        return Outcome("failed", "certificate_number_missing",
                       "未填写学位证书编号，请补充证书编号或上传学位证明")
    return None


def judge_degree(claim: DegreeClaim, name: str, record: DegreeRecord | None) -> Outcome:
    if record is None:
        return Outcome("failed", "not_found", "学位网未查到该学位证书编号，请核对或上传学位证明")
    name_ok = normalise_name(name) == normalise_name(record.name)
    level_ok = claim.level == record.level
    if name_ok and level_ok:
        return Outcome("passed", "matched", "学位信息与学位网记录一致")
    if not name_ok:
        return Outcome("failed", "name_mismatch",
                       "姓名与学位网记录不一致，请核对证书编号或上传学位证明")
    return Outcome("failed", "level_mismatch",
                   f"学位层次与学位网记录不一致（填写为{claim.level}，记录为{record.level}），"
                   "请修改学位信息或上传学位证明")


def precheck_identity(document_type: str | None) -> Outcome | None:
    if document_type != "resident_id":
        return Outcome("manual_check", "document_not_online",
                       "该类证件无法在线核验身份，需人工核验（请上传证件扫描件）")
    return None


IDENTITY_OUTCOMES = {
    "match": Outcome("passed", "matched", "姓名与身份证号码经公安部门核验一致"),
    "name_mismatch": Outcome("failed", "name_mismatch",
                             "姓名与身份证号码不匹配，请核对后修改或上传身份证扫描件"),
    "not_found": Outcome("failed", "not_found", "公安部门未查到该身份证号码，请核对或上传身份证扫描件"),
    "cancelled": Outcome("manual_check", "document_cancelled",
                         "该身份证号码状态异常，需人工核验"),
}


NO_DOCUMENT = Outcome("manual_check", "document_unavailable",
                      "未能从账户信息中取得证件号码，需人工核验（请上传证件扫描件）")


def judge_identity(answer: str) -> Outcome:
    return IDENTITY_OUTCOMES[answer]

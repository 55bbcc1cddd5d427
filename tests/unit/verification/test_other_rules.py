"""Degree and identity rules (seed 000: degrees online since September 2008)."""
from datetime import date

from services.verification.domain.other_rules import (
    DegreeClaim,
    judge_degree,
    judge_identity,
    precheck_degree,
    precheck_identity,
)
from services.verification.domain.registries import IDENTITY_ANSWERS, DegreeRecord

REC = DegreeRecord("1061142012000123", "王小明", "学士", "工学", "重庆大学", "土木工程",
                   date(2012, 6, 30))


def claim(**kw) -> DegreeClaim:
    base = dict(level="学士", awarded_date=date(2012, 6, 30), certificate_number="1061142012000123")
    return DegreeClaim(**{**base, **kw})


def test_degree_prechecks():
    assert precheck_degree(claim(level="无")).status == "passed"
    assert precheck_degree(claim(awarded_date=date(2008, 8, 31))).code == "before_online_records"
    assert precheck_degree(claim(awarded_date=date(2008, 9, 1))) is None
    assert precheck_degree(claim(awarded_date=None)).status == "manual_check"
    assert precheck_degree(claim(certificate_number=" 无 ")).code == "certificate_number_missing"
    assert precheck_degree(claim(level="副博士")).status == "manual_check"


def test_degree_judgement():
    assert judge_degree(claim(), "王 小明", REC).status == "passed"
    assert judge_degree(claim(), "王晓明", REC).code == "name_mismatch"
    assert judge_degree(claim(level="硕士"), "王小明", REC).code == "level_mismatch"
    assert judge_degree(claim(), "王小明", None).code == "not_found"


def test_identity_rules_cover_every_answer():
    assert precheck_identity("passport").status == "manual_check"
    assert precheck_identity("resident_id") is None
    assert {a: judge_identity(a).status for a in IDENTITY_ANSWERS} == {
        "match": "passed", "name_mismatch": "failed", "not_found": "failed",
        "cancelled": "manual_check"}


def test_claim_round_trip():
    c = claim(degree_type="工学", school="重庆大学", major="土木工程")
    assert DegreeClaim.from_dict(c.as_dict()) == c

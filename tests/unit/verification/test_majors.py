"""The major-equivalence table of seed 002: across catalogue renames, never a crash."""
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from services.verification.adapters.majors import DATA_FILE
from services.verification.domain.majors import RELATIONS, MajorTable, validate_table

DATA = json.loads(DATA_FILE.read_text(encoding="utf-8"))
TABLE = MajorTable(1, DATA)


def rel(major, exam="JZ1", level="01"):
    return TABLE.relation(exam, level, major)


def test_the_shipped_table_is_valid():
    assert validate_table(DATA) == []


def test_own_related_other_across_renames():
    assert rel("土木工程").relation == "own"
    old = rel("工业与民用建筑工程")  # a pre-1993 name
    assert old.relation == "own" and old.matched == "土木工程"
    assert old.catalogue == "names_before_1993" and not old.manual_check
    assert rel("计算机及应用").matched == "计算机科学与技术"  # 1993–1998 name
    assert rel("自动化").relation == "related"
    assert rel(" 金属材料 工程 ").relation == "own"  # spaces as in the seed's scan
    assert rel("工商管理专业").relation == "related"
    assert rel("房地产经营管理").relation == "own"  # listed under both: the better one wins


def test_unknown_majors_and_exams_are_other_with_a_manual_check():
    a = rel("汉语言文学")
    assert a.relation == "other" and a.manual_check and "人工核验" in a.reason
    b = rel("土木工程", exam="TJ")
    assert b.relation == "other" and b.manual_check and "暂无专业对照表" in b.reason


@settings(deadline=None)  # busy CI machines: no per-example time limit
@given(st.one_of(st.none(), st.text(max_size=60)), st.one_of(st.none(), st.text(max_size=8)),
       st.one_of(st.none(), st.text(max_size=8)))
def test_any_input_gives_an_answer(major, exam, level):
    a = TABLE.relation(exam, level, major)
    assert a.relation in RELATIONS
    assert a.manual_check == (a.relation == "other")


def test_validation_names_the_problems():
    bad = {"tables": [{"exams": ["JZ1"], "entries": [
        {"current": "土木工程", "relation": "own"}, {"current": "土木工程", "relation": "maybe"},
        {"relation": "own"}]}]}
    problems = validate_table(bad)
    assert any("重复" in p for p in problems) and any("类别" in p for p in problems)
    assert any("缺少现行专业名称" in p for p in problems)
    assert validate_table({}) == ["至少需要一张对照表（tables）"]

"""The education rules: seed 000's online-since dates, matching, and never failing on an outage."""
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.verification.domain.registries import EducationRecord
from services.verification.domain.rules import (
    EDUCATION_ONLINE_SINCE,
    REGISTRY_LEVELS,
    RETRY_CAP,
    EducationClaim,
    judge_education,
    normalise_name,
    precheck_education,
    retry_delay,
)

NUMBER = "106111201205000123"
RECORD = EducationRecord(NUMBER, "王小明", "本科", "重庆大学", "土木工程", date(2012, 6, 30), "全日制")


def claim(**kw) -> EducationClaim:
    base = dict(level="本科", school="重庆大学", major="土木工程", graduation_date=date(2012, 6, 30),
                certificate_number=NUMBER, study_mode="全日制")
    return EducationClaim(**{**base, **kw})


def test_no_education_passes_without_the_registry():
    outcome = precheck_education(EducationClaim(level="无"))
    assert (outcome.status, outcome.reason) == ("passed", "未填写学历，无需核验")


def test_education_before_2002_goes_to_manual_check():
    outcome = precheck_education(claim(graduation_date=date(2001, 12, 31)))
    assert (outcome.status, outcome.reason) == ("manual_check", "2002 年以前的学历需人工核验")
    assert precheck_education(claim(graduation_date=date(2002, 1, 1))) is None


@given(st.sampled_from(REGISTRY_LEVELS),
       st.dates(min_value=date(1950, 1, 1), max_value=EDUCATION_ONLINE_SINCE - timedelta(days=1)),
       st.one_of(st.none(), st.text(max_size=20)))
def test_any_graduation_before_2002_is_a_manual_check(level, graduated, number):
    outcome = precheck_education(claim(level=level, graduation_date=graduated,
                                       certificate_number=number))
    assert outcome.status == "manual_check"


@given(st.sampled_from(REGISTRY_LEVELS),
       st.dates(min_value=EDUCATION_ONLINE_SINCE, max_value=date(2030, 12, 31)))
def test_from_2002_a_claim_with_a_number_asks_the_registry(level, graduated):
    assert precheck_education(claim(level=level, graduation_date=graduated)) is None


def test_secondary_school_is_not_in_the_registry():
    assert precheck_education(claim(level="中专")).status == "manual_check"


def test_missing_certificate_number_fails_with_a_hint():
    for number in (None, "", " 无 "):
        outcome = precheck_education(claim(certificate_number=number))
        assert outcome.status == "failed" and outcome.code == "certificate_number_missing"


def test_found_and_matching_passes():
    assert judge_education(claim(), "王小明", RECORD).status == "passed"


def test_not_found_fails_with_the_documented_reason():
    outcome = judge_education(claim(), "王小明", None)
    assert outcome.status == "failed"
    assert outcome.reason == "学信网未查到该学历证书编号，请核对或上传学历证明"


def test_mismatch_names_what_differs():
    name = judge_education(claim(), "王晓明", RECORD)
    assert (name.status, name.code) == ("failed", "name_mismatch") and "姓名" in name.reason
    level = judge_education(claim(level="硕士研究生"), "王小明", RECORD)
    assert (level.status, level.code) == ("failed", "level_mismatch")
    assert "学历层次" in level.reason and "本科" in level.reason
    both = judge_education(claim(level="大专"), "李华", RECORD)
    assert both.code == "name_and_level_mismatch"
    assert "姓名" in both.reason and "学历层次" in both.reason
    assert "本科" not in both.reason  # someone else's record: its level is not disclosed


@given(st.lists(st.sampled_from([" ", "\u3000", "\t"]), max_size=3), st.booleans())
def test_names_match_through_spacing_and_dot_variants(spaces, fullwidth):
    record = EducationRecord(NUMBER, "阿卜杜·热合曼", "本科", "新疆大学", "采矿工程",
                             date(2017, 6, 30), "全日制")
    typed = "阿卜杜" + "".join(spaces) + ("・" if fullwidth else ".") + "热合曼"
    assert normalise_name(typed) == normalise_name(record.name)
    assert judge_education(claim(), typed, record).status == "passed"


def test_matching_ignores_school_and_major_spelling():
    assert judge_education(claim(school="重大", major="土木"), "王小明", RECORD).status == "passed"


@given(st.integers(min_value=1, max_value=200), st.text(max_size=36))
def test_retry_delay_grows_and_is_capped(attempts, key):
    delay = retry_delay(attempts, key)
    assert timedelta(seconds=15) <= delay <= RETRY_CAP * 1.2
    assert retry_delay(attempts + 1, key) >= delay
    assert retry_delay(attempts, key) == delay  # deterministic


def test_claim_round_trips_through_its_dict():
    c = claim()
    assert EducationClaim.from_dict(c.as_dict()) == c

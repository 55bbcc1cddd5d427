"""Rules of reporting title certificates to the national platform (seed 003, 上报人社部)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from services.certificates.domain import national
from services.common.errors import Conflict, Invalid

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def cert(**over):
    data = dict(number="ZC2026ZJ000001XX", version=2, holder_name="罗婕",
                document_number_masked="500112********21", series="工程技术", exam_name="工程师",
                level="中级", specialty="建筑", issuing_authority="渝北区人力资源和社会保障局",
                qualified_on=date(2026, 6, 30), status="valid")
    data.update(over)
    return SimpleNamespace(**data)


def test_the_record_is_what_the_certificate_prints_for_its_current_version():
    assert national.record_of(cert()) == {
        "number": "ZC2026ZJ000001XX", "version": 2, "holder_name": "罗婕",
        "document_number_masked": "500112********21", "series": "工程技术",
        "title_name": "工程师", "title_level": "中级", "specialty": "建筑",
        "issuing_authority": "渝北区人力资源和社会保障局", "issued_on": "2026-06-30",
        "status": "有效"}
    assert national.record_of(cert(status="revoked"))["status"] == "已吊销"


def test_comparison_marks_each_differing_field_and_everything_when_the_platform_has_nothing():
    ours = national.record_of(cert())
    same = national.compare(ours, dict(ours))
    assert not national.differs(same) and [r["label"] for r in same][:2] == ["姓名", "证件号码"]
    spaced = national.compare(ours, dict(ours, holder_name=" 罗婕 "))
    assert not national.differs(spaced)  # surrounding spaces are not a difference
    changed = national.compare(ours, dict(ours, holder_name="罗洁", specialty="结构"))
    assert [r["field"] for r in changed if r["differs"]] == ["holder_name", "specialty"]
    row = next(r for r in changed if r["field"] == "holder_name")
    assert (row["ours"], row["theirs"]) == ("罗婕", "罗洁")
    nothing = national.compare(ours, None)
    assert all(r["differs"] and r["theirs"] is None for r in nothing)


def test_back_off_doubles_from_thirty_seconds_to_thirty_minutes_and_never_gives_up():
    assert national.backoff(0) == timedelta(0)
    assert [national.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert national.backoff(7) == timedelta(minutes=30)
    assert national.backoff(10_000) == timedelta(minutes=30)


def _may(**over):
    ours = national.record_of(cert())
    args = dict(state=national.REPORTED,
                comparison=national.compare(ours, dict(ours, holder_name="罗洁")),
                correction_pending=False, revoked=False, last_holder_request=None, now=NOW)
    args.update(over)
    national.may_holder_requeue(**args)


def test_holder_may_re_report_only_a_reported_certificate_the_platform_holds_differently():
    _may()  # a mismatch, nothing pending: accepted
    _may(state=None)  # never reported (e.g. issued before reporting existed)
    _may(last_holder_request=NOW - national.HOLDER_COOLDOWN)
    ours = national.record_of(cert())
    cases = [
        (dict(comparison=national.compare(ours, dict(ours))), Invalid, "nothing_differs"),
        (dict(state=national.PENDING), Conflict, "report_pending"),
        (dict(state=national.FAILED), Conflict, "report_pending"),
        (dict(correction_pending=True), Conflict, "correction_pending"),
        (dict(revoked=True), Conflict, "certificate_revoked"),
        (dict(last_holder_request=NOW - timedelta(minutes=3)), Conflict, "too_soon"),
    ]
    for over, error, code in cases:
        with pytest.raises(error) as exc:
            _may(**over)
        assert exc.value.code == code and exc.value.message
    with pytest.raises(Conflict) as exc:
        _may(last_holder_request=NOW - timedelta(minutes=3))
    assert exc.value.status == 429 and "10 分钟" in exc.value.message

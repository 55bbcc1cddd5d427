"""Degree and identity checks: registry rules, the 2008 cut-off, outages wait, events per contract."""
from __future__ import annotations

from services.verification.service_layer import checks

DEGREE = {"level": "学士", "degree_type": "工学", "school": "重庆大学", "major": "土木工程",
          "awarded_date": "2012-06-30", "certificate_number": "1061142012000123"}


def degree(svc, name="王小明", **changes):
    with svc.rt.uow() as uow:
        check = checks.degree_claim_received(
            uow, svc.rt.services["registries"], candidate_id="cand-1", name=name,
            degree={**DEGREE, **changes}, as_of="2026-11-01T00:00:00+00:00",
            config=svc.rt.services["review_config"])
        uow.commit()
        return check.status, check.reason


def identity(svc, number="500103199003072311", name="王小明", document_type="resident_id"):
    with svc.rt.uow() as uow:
        check = checks.identity_claim_received(
            uow, svc.rt.services["registries"], candidate_id="cand-1", name=name,
            document_type=document_type, document_number=number,
            as_of="2026-11-01T00:00:00+00:00", config=svc.rt.services["review_config"])
        uow.commit()
        return check.status, check.reason, dict(check.claim)


def test_a_degree_found_in_the_registry_passes_and_is_announced(svc):
    assert degree(svc)[0] == "passed"
    [event] = svc.emitted("verification.degree.verified")
    assert event["outcome"] == "passed" and event["degree_level"] == "学士"
    assert event["degree_type"] == "工学" and event["awarded_date"] == "2012-06-30"
    kinds = {c["kind"]: c for c in svc.my_checks()}
    assert kinds["degree"]["kind_label"] == "学位" and kinds["degree"]["status"] == "passed"


def test_degrees_before_september_2008_go_to_manual_check(svc, rv):
    status, reason = degree(svc, awarded_date="2008-07-01", certificate_number="无")
    assert status == "manual_check" and reason == "2008 年 9 月以前授予的学位需人工核验"
    [item] = rv.queue(headers=rv.reviewer("adm", scope={}, roles=("exam_admin",)))
    assert item["kind"] == "degree" and item["kind_label"] == "学位"


def test_degree_mismatch_and_unknown_number_fail(svc):
    assert degree(svc, name="王晓明")[1].startswith("姓名与学位网记录不一致")
    assert degree(svc, name="王晓明", certificate_number="9999")[1].startswith("学位网未查到")


def test_identity_match_and_the_full_number_is_not_kept(svc):
    status, reason, claim = identity(svc)
    assert status == "passed" and "公安部门" in reason
    assert "document_number" not in claim and claim["document_number_masked"] == "5001**********2311"
    [event] = svc.emitted("verification.identity.verified")
    assert event == {**event, "outcome": "passed", "document_type": "resident_id"}
    assert "500103199003072311" not in str(event)


def test_identity_mismatch_unknown_and_other_documents(svc):
    assert identity(svc, name="王晓明")[:2] == ("failed",
                                              "姓名与身份证号码不匹配，请核对后修改或上传身份证扫描件")


def test_a_passport_needs_a_manual_check(svc):
    assert identity(svc, number="E12345678", document_type="passport")[0] == "manual_check"


def test_identity_outage_waits_and_retries(svc):
    svc.set_outage(False)
    svc.rt.services["registry_switches"].set("public_security", True, "ops1")
    status, reason, claim = identity(svc)
    assert status == "checking" and "公安部门身份核查服务暂时无法连接" in reason
    assert claim["document_number"] == "500103199003072311"  # kept only while it must ask
    svc.rt.services["registry_switches"].set("public_security", False, "ops1")
    from datetime import timedelta

    from services.common import clock
    clock.shift(timedelta(minutes=5))
    assert svc.run_retry_job()["decided"] == 1
    assert [c["status"] for c in svc.my_checks() if c["kind"] == "identity"] == ["passed"]

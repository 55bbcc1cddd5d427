"""The review item's rules: one holder, one decision, the second reviewer, the trail."""
from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import Conflict, Forbidden, Invalid
from services.verification.domain.proofs import ProofRejected, safe_filename, sniff
from services.verification.domain.review import ReviewItem, compose_reason, queue_for, visible_to

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def item() -> ReviewItem:
    return ReviewItem(check_id="c1", candidate_id="cand-1", kind="education",
                      cause="manual_check", province="50", review_point=None,
                      province_source="document", deadline=T0 + timedelta(days=2), now=T0)


def test_claim_decide_and_the_trail():
    i = item()
    i.claim("a", T0)
    with pytest.raises(Conflict) as e:
        i.claim("b", T0)
    assert e.value.code == "already_claimed"
    with pytest.raises(Forbidden):
        i.decide("b", "passed", "proof_consistent", None, T0, second_reviewer=False)
    assert i.decide("a", "failed", "not_genuine", "  ", T0, second_reviewer=False)
    assert i.reason == "经核实，证书信息不真实" and i.deadline is None
    with pytest.raises(Conflict) as e:
        i.decide("a", "passed", "proof_consistent", None, T0, second_reviewer=False)
    assert e.value.code == "already_decided" and e.value.details["current"]["outcome"] == "failed"
    assert [t["action"] for t in i.trail] == ["opened", "claimed", "decided"]


def test_a_rejection_with_second_reviewer_waits_for_someone_else():
    i = item()
    i.claim("a", T0)
    assert not i.decide("a", "failed", "not_genuine", None, T0, second_reviewer=True)
    assert i.status == "awaiting_second" and i.outcome is None
    with pytest.raises(Conflict):
        i.claim("a", T0)
    i.claim("b", T0)
    assert i.decide("b", "failed", "not_genuine", "同意", T0, second_reviewer=True)
    assert i.trail[-1]["action"] == "rejection_confirmed" and i.decided_by == "b"


def test_a_pass_needs_no_second_reviewer():
    i = item()
    i.claim("a", T0)
    assert i.decide("a", "passed", "proof_consistent", None, T0, second_reviewer=True)


def test_overdue_only_once_and_never_while_waiting_for_the_candidate():
    i = item()
    assert not i.mark_overdue(T0)
    assert i.mark_overdue(T0 + timedelta(days=3))
    assert not i.mark_overdue(T0 + timedelta(days=4))
    j = item()
    j.claim("a", T0)
    j.request_proof("a", "need_certificate", None, T0)
    assert j.deadline is None and not j.mark_overdue(T0 + timedelta(days=30))
    j.proof_added("p1", T0 + timedelta(days=40), T0 + timedelta(days=31), "cand-1")
    assert j.status == "waiting" and j.deadline == T0 + timedelta(days=40)


def test_reason_templates_belong_to_their_outcome():
    assert compose_reason("need_certificate", "正反面", outcome="proof").endswith("。正反面")
    with pytest.raises(Invalid):
        compose_reason("need_certificate", None, outcome="failed")
    with pytest.raises(Invalid):
        compose_reason("no_such", None, outcome="passed")


def test_filing_and_scope():
    assert queue_for(application_province="44", document_type="resident_id",
                     document_number_masked="5001****") == ("44", None, "application")
    assert queue_for(application_province=None, document_type="resident_id",
                     document_number_masked="5001****") == ("50", None, "document")
    assert queue_for(application_province=None, document_type="passport",
                     document_number_masked="E12****", default="50") == ("50", None, "default")
    assert visible_to({"province": "50"}, all_queues=False, province="50", review_point="p1")
    assert not visible_to({"province": "50", "review_point": "p2"}, all_queues=False,
                          province="50", review_point="p1")
    assert visible_to({"province": "50", "review_point": "p2"}, all_queues=False,
                      province="50", review_point=None)
    assert not visible_to({}, all_queues=False, province="50", review_point=None)
    assert visible_to({}, all_queues=False, province="", review_point=None)
    assert visible_to({}, all_queues=True, province="50", review_point=None)


def test_proofs_are_recognised_by_their_first_bytes():
    assert sniff(b"%PDF-1.7 ...") == "application/pdf"
    assert sniff(b"\xff\xd8\xff\xe0 ...") == "image/jpeg"
    for bad, code in ((b"", "proof_empty"), (b"\x89PNG\r\n", "proof_type_not_allowed"),
                      (b"%PDF-" + b"0" * (10 * 1024 * 1024), "proof_too_large")):
        with pytest.raises(ProofRejected) as e:
            sniff(bad)
        assert e.value.code == code
    assert safe_filename("C:\\x\\证书.exe", "application/pdf") == "证书.pdf"
    assert safe_filename(None, "image/jpeg") == "证明材料.jpg"

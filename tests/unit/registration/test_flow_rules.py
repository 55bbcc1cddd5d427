"""Rules of the seed-002 flow and after the exam, as plain Python."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.errors import Conflict, Invalid
from services.registration.domain import application as a
from services.registration.domain import notices, review, stats
from services.registration.domain import scores as sc
from services.registration.domain.catalog import check_exemptions
from tests.unit.registration.test_application import make

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def draft(**kw) -> a.Application:
    return make(draft=True, **kw)


def form(**kw) -> dict:
    base = dict(city="500105", review_point=None, level="02", specialty="01",
                subjects=["TJ201"], exempt_subjects=[], commitment_mode=False,
                fee_per_subject_fen=5000, amount_fen=5000)
    base.update(kw)
    return base


def test_a_draft_has_its_number_but_is_not_submitted_until_confirmed():
    app = draft()
    assert app.state == a.DRAFT and app.live_key and not app.events
    app.confirm(NOW, ["warn"])
    assert app.state == a.SUBMITTED and app.warnings == ["warn"]
    assert [e.type for e in app.events] == ["registration.application.submitted"]


def test_commitment_mode_needs_the_signed_letter_and_a_changed_choice_unsigns():
    app = draft(commitment_mode=True)
    with pytest.raises(Conflict) as exc:
        app.confirm(NOW, [])
    assert exc.value.code == "letter_not_signed"
    app.sign_letter(NOW)
    app.modify(NOW, **form(commitment_mode=False))
    assert app.letter_signed_at is None and not app.commitment_mode
    with pytest.raises(Conflict) as exc:
        app.sign_letter(NOW)
    assert exc.value.code == "not_commitment_mode"


@pytest.mark.parametrize("state", [a.SUBMITTED, a.UNDER_REVIEW, a.RETURNED, a.APPROVED])
def test_modifying_before_payment_goes_back_to_draft(state):
    app = make()
    app.state = state
    app.modify(NOW, **form(subjects=["TJ201", "TJ202"], amount_fen=10000))
    assert app.state == a.DRAFT and app.amount_fen == 10000 and app.history[-1]["state"] == a.DRAFT


@pytest.mark.parametrize("state,code", [(a.PAID, "edit_after_payment"),
                                        (a.ADMIT_CARD_ISSUED, "edit_after_payment"),
                                        (a.SCORES_PUBLISHED, "edit_after_payment"),
                                        (a.WITHDRAWN, "already_ended"),
                                        (a.CANCELLED, "already_ended")])
def test_modifying_after_payment_or_the_end_is_refused_with_the_reason(state, code):
    app = make()
    app.state = state
    with pytest.raises(Conflict) as exc:
        app.modify(NOW, **form())
    assert exc.value.code == code


def test_cancelling_a_paid_application_asks_for_a_refund():
    app = make()
    app.approve(NOW, payment_deadline=NOW, description="d")
    app.paid(NOW, order_number="O1", amount_fen=10000)
    app.events.clear()
    assert app.cancel(NOW, "人数不足") is True
    assert [e.type for e in app.events] == ["registration.application.cancelled",
                                            "registration.refund.requested"]
    assert app.events[1].data["order_number"] == "O1" and app.live_key is None
    assert app.refunded(NOW, order_number="O1", reason="考试取消") is True
    unpaid = make()
    assert unpaid.cancel(NOW, "人数不足") is False


@pytest.mark.parametrize("mode,commitment,verdict,expected", [
    ("automatic", False, review.APPROVE, review.APPROVE),
    ("automatic", False, review.RETURN, review.RETURN),
    ("online", False, review.APPROVE, review.WAIT),
    ("online", False, review.RETURN, review.WAIT),  # a person returns, with a reason
    ("online", True, review.APPROVE, review.APPROVE),  # commitment + passed check
    ("online", True, review.RETURN, review.WAIT),
    ("on_site", True, review.WAIT, review.WAIT),
])
def test_who_decides_by_review_mode(mode, commitment, verdict, expected):
    out = review.by_mode(review.Decision(verdict, "x"), mode, commitment)
    assert out.verdict == expected
    if mode == "on_site" and expected == review.WAIT:
        assert "现场审核" in out.note


def test_proofs_are_judged_by_content_and_size():
    assert notices.sniff(b"%PDF-1.7...") == "application/pdf"
    assert notices.sniff(b"\xff\xd8\xff\xdb") == "image/jpeg"
    assert notices.sniff(b"\x89PNG\r\n") is None and notices.sniff(b"GIF89a") is None
    assert notices.proof_problem(b"")[0] == "proof_empty"
    assert notices.proof_problem(b"%PDF-" + b"0" * notices.MAX_PROOF_BYTES)[0] == "proof_too_large"
    assert notices.proof_problem(b"%PDF-" + b"0" * (notices.MAX_PROOF_BYTES - 5)) is None


def test_major_warning_only_when_not_own_or_related():
    assert notices.major_warning("own", "统计学") is None
    assert notices.major_warning("related", "数学") is None
    assert "土木工程" in notices.major_warning("other", "土木工程")
    assert "无法判断" in notices.major_warning(None, None)


def test_exemptions_need_a_claimable_subject_and_a_basis():
    check_exemptions([{"code": "E1", "basis": "高级职称"}], subjects=["S1"], exemptable={"E1"})
    for claims, code in [([{"code": "S1", "basis": "x"}], "exemption_unknown"),
                         ([{"code": "E1", "basis": " "}], "exemption_basis_required"),
                         ([{"code": "E1", "basis": "x"}, {"code": "E1", "basis": "y"}],
                          "exemption_conflict")]:
        with pytest.raises(Invalid) as exc:
            check_exemptions(claims, subjects=["S1"], exemptable={"E1", "S1"} if code ==
                             "exemption_conflict" else {"E1"})
        assert exc.value.code == code, claims


subjects = st.sets(st.sampled_from(["A", "B", "C", "D"]))


@given(subjects, subjects, subjects, subjects)
def test_qualified_exactly_when_every_required_subject_is_covered(required, now, carried, exempt):
    ok = sc.qualifies(required, now, carried, exempt)
    assert ok == (bool(required) and all(s in now or s in carried or s in exempt
                                         for s in required))


@given(st.dictionaries(st.sampled_from(list(a.TRANSITIONS)), st.integers(0, 1000)))
def test_funnel_never_grows_down_the_stages(counts):
    stages = stats.funnel(counts)
    ns = [n for _, _, n in stages]
    assert ns == sorted(ns, reverse=True)
    assert ns[0] == sum(v for k, v in counts.items() if k not in a.ENDED)


@given(st.lists(st.integers(0, 10**6), max_size=30), st.integers(1, 800))
def test_bars_are_whole_pixels_within_the_width(values, width):
    out = stats.bars([(str(i), n) for i, n in enumerate(values)], width)
    assert all(isinstance(b["w"], int) and 0 <= b["w"] <= width for b in out)
    if values and max(values):
        assert max(b["w"] for b in out) == width


@given(st.lists(st.integers(0, 1000), max_size=200))
def test_histogram_counts_every_score_once(tenths):
    hist = stats.histogram(tenths, 100)
    assert sum(n for _, n in hist) == len(tenths) and len(hist) == 10
    assert hist[0][0] == "0–10" and hist[-1][0] == "90–100"
    assert stats.histogram([1000], 100)[-1][1] == 1  # full marks fall in the last bucket


def test_fee_in_yuan_from_a_form_is_read_without_floats():
    from services.registration.web.ops import _fen
    assert _fen("50") == 5000 and _fen("45.5") == 4550 and _fen("0.05") == 5
    for bad in ("", "4.555", "-1", "1e3", "五十"):
        with pytest.raises(Invalid):
            _fen(bad)


def test_the_draft_status_names_what_is_left_to_do():
    def step(**kw):
        return review.next_step(a.DRAFT, now=NOW, payment=None, admit_card=None, exam_date=None,
                                review_reason=None, qualified=False, **kw)
    assert step().action == "confirm" and "核对信息后确认提交" in step().sentence
    both = step(needs_letter=True, needs_proofs=True).sentence
    assert "签署告知承诺书、上传证明材料后确认提交" in both
    assert "上传证明材料" not in step(needs_letter=True).sentence

"""Pure rules: status list bits, proofs by content, masking, PINs, mailing states, seed 004."""
from datetime import UTC, datetime, timedelta

import pytest

from services.certificates.domain import changes, mailing, sharing, status_list
from services.common.errors import Conflict, DomainError, Invalid
from services.common.masking import mask_phone


def test_bitstring_round_trip_uses_the_most_significant_bit_first():
    encoded = status_list.encode([0, 9, 131071])
    assert encoded.startswith("u")
    bits = status_list.decode(encoded)
    assert len(bits) == 16384 and bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01
    assert [status_list.bit(bits, i) for i in (0, 1, 9, 131071)] == [True, False, True, True]
    with pytest.raises(ValueError):
        status_list.bit(bits, 131072)


def test_status_of_checks_the_list_the_credential_names():
    url = "https://x/api/certificates/status/1"
    listing = status_list.build(url, {"id": "i"}, [5], datetime(2026, 1, 1, tzinfo=UTC))
    entry = {"statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": url}
    assert status_list.status_of({"credentialStatus": entry}, listing)[0] == "revoked"
    assert status_list.status_of({"credentialStatus": entry | {"statusListIndex": "6"}}, listing)[0] == "ok"
    other = entry | {"statusListCredential": url[:-1] + "2"}
    assert status_list.status_of({"credentialStatus": other}, listing)[0] == "status_mismatch"
    assert status_list.status_of({}, listing)[0] == "malformed"
    broken = listing | {"credentialSubject": listing["credentialSubject"] | {"encodedList": "zzz"}}
    assert status_list.status_of({"credentialStatus": entry}, broken)[0] == "malformed"


@pytest.mark.parametrize("data,kind", [
    (b"%PDF-1.7\n...\n%%EOF\n", "application/pdf"), (b"\xff\xd8\xff\xe0....\xff\xd9", "image/jpeg"),
    (b"%PDF-1.7 truncated", None), (b"\x89PNG\r\n\x1a\n", None), (b"MZ", None), (b"", None)])
def test_proofs_are_recognised_by_content(data, kind):
    assert changes.proof_kind(data) == kind


def test_document_numbers_are_masked_and_checked():
    assert changes.mask_document("44010619900101123x") == "440106**********3X"
    assert changes.mask_document("E12345678") == "E1*****78"
    with pytest.raises(Invalid):
        changes.mask_document("123")


def test_the_same_officer_cannot_approve_their_own_request():
    with pytest.raises(Conflict) as exc:
        changes.second_officer("o-1", "o-1")
    assert exc.value.code == "same_officer"
    changes.second_officer("o-1", "o-2")


@pytest.mark.parametrize("pin", ["12345", "123456", "aaaaaa", "ab cd12", "１２３４５６７", "x" * 13])
def test_weak_or_malformed_pins_are_refused(pin):
    with pytest.raises(Invalid):
        sharing.check_pin(pin)


def test_unusable_links_say_why():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = now + timedelta(days=1)
    for kw, code in ((dict(revoked_at=now, expires_at=later, locked_at=None), "link_revoked"),
                     (dict(revoked_at=None, expires_at=now, locked_at=None), "link_expired"),
                     (dict(revoked_at=None, expires_at=later, locked_at=now), "link_locked")):
        with pytest.raises(DomainError) as exc:
            sharing.usable(now=now, **kw)
        assert exc.value.code == code
    sharing.usable(revoked_at=None, expires_at=later, locked_at=None, now=now)


def test_mailing_states_move_forward_only_and_shipping_needs_tracking():
    assert mailing.advance("requested", "printed", None) is None
    assert mailing.advance("printed", "shipped", " sf1234567890 ") == "SF1234567890"
    for current, new in (("requested", "shipped"), ("delivered", "printed"), ("shipped", "cancelled")):
        with pytest.raises(Conflict):
            mailing.advance(current, new, "SF1234567890")
    with pytest.raises(Invalid):
        mailing.advance("printed", "shipped", "x")
    assert mask_phone(mailing.check_phone("+86 138-0013-8000")) == "138****8000"


def test_seed_004_replacement_rules():
    with pytest.raises(Conflict) as exc:
        mailing.replacement_allowed("JJS", frozenset(), had_delivery=True, sitting_year=2020)
    assert exc.value.code == "replacement_not_offered"
    with pytest.raises(Conflict):
        mailing.replacement_allowed("JJS", frozenset({"JJS"}), had_delivery=False,
                                    sitting_year=2020)
    mailing.replacement_allowed("jjs", frozenset({"JJS"}), had_delivery=True, sitting_year=2020)

"""The full document number must not leak through a log line or an error text."""
from services.verification.domain.registries import CandidateDocument


def test_a_document_prints_without_its_number():
    doc = CandidateDocument("resident_id", "500103199003072311", "王小明")
    assert "500103199003072311" not in repr(doc) and "500103199003072311" not in f"{doc}"
    assert "王小明" in repr(doc)

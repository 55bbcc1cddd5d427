"""Uploads are judged by their bytes, whatever the name says."""
from hypothesis import given
from hypothesis import strategies as st

from services.common.uploads import JPEG, PDF, document_type, whole_document_type


def test_documents_are_recognised_by_their_signature():
    assert document_type(b"%PDF-1.7\n1 0 obj\n") == PDF
    assert document_type(b"\xff\xd8\xff\xe0JFIF") == JPEG
    for data in (b"", b"MZ\x90\x00 an exe", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"<html>%PDF-</html>"):
        assert document_type(data) is None


def test_whole_documents_need_their_end_marker_too():
    assert whole_document_type(b"%PDF-1.7\n1 0 obj\n%%EOF\n") == PDF
    assert whole_document_type(b"\xff\xd8\xff\xe0JFIF...\xff\xd9\r\n") == JPEG
    assert whole_document_type(b"%PDF-1.7 cut off") is None
    assert whole_document_type(b"\xff\xd8\xff no end") is None


@given(st.binary(max_size=512))
def test_random_bytes_are_only_taken_for_what_their_signature_says(data):
    kind = document_type(data)
    assert kind in (None, PDF, JPEG)
    if kind is None:
        assert whole_document_type(data) is None
    assert (kind == PDF) == data.startswith(b"%PDF-")

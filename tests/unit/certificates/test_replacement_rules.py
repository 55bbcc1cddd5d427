"""Seed 004 replacement (补发): who may ask, the three materials by content and size, review."""
import pytest
from cryptography.exceptions import InvalidTag

from services.certificates.domain import mailing, replacement
from services.common.errors import Conflict, Invalid
from services.common.field_cipher import FieldCipher

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def good(**over):
    files = {"application_form": [("申请表.pdf", PDF)],
             "id_document": [("正面.jpg", JPEG), ("反面.jpg", JPEG)],
             "photo": [("照片.jpg", JPEG)]}
    return files | over


def code_of(files) -> str:
    with pytest.raises(Invalid) as exc:
        replacement.check_materials(files)
    return exc.value.code


def test_replacement_scope_is_2002_on_and_only_where_paper_is_still_issued():
    paper = frozenset({"JJS"})
    mailing.replacement_allowed("JJS", paper, had_delivery=True, sitting_year=2002)
    with pytest.raises(Conflict) as exc:
        mailing.replacement_allowed("JJS", paper, had_delivery=True, sitting_year=2001)
    assert exc.value.code == "replacement_out_of_scope" and "2002" in exc.value.message
    with pytest.raises(Conflict) as exc:  # e-certificate in force wins over every other reason
        mailing.replacement_allowed("JJS", frozenset(), had_delivery=False, sitting_year=1999)
    assert exc.value.code == "replacement_not_offered"


def test_materials_are_checked_by_content_count_and_size():
    checked = replacement.check_materials(good())
    assert [(m.kind, m.position, m.content_type) for m in checked] == [
        ("application_form", 0, "application/pdf"), ("id_document", 0, "image/jpeg"),
        ("id_document", 1, "image/jpeg"), ("photo", 0, "image/jpeg")]
    assert replacement.check_materials(good(id_document=[("双面.pdf", PDF)]))  # one file, both sides
    for kind in ("application_form", "id_document", "photo"):
        assert code_of(good(**{kind: []})) == "material_missing"
        assert code_of(good(**{kind: [("empty.pdf", b"")]})) == "material_missing"
    assert code_of(good(photo=[("照片.jpg", PDF)])) == "bad_material_type"  # photo: JPEG only
    assert code_of(good(photo=[("照片.jpg", PNG)])) == "bad_material_type"
    assert code_of(good(application_form=[("申请表.pdf", b"MZ\x90\x00 a renamed exe")])) \
        == "bad_material_type"
    assert code_of(good(id_document=[("正面.jpg", JPEG[:-2])])) == "bad_material_type"  # truncated
    assert code_of(good(id_document=[("a.jpg", JPEG)] * 3)) == "too_many_files"
    big_pdf = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF\n"
    assert code_of(good(application_form=[("申请表.pdf", big_pdf)])) == "material_too_large"
    big_photo = JPEG[:-2] + b"\x00" * (2 * 1024 * 1024) + b"\xff\xd9"
    assert code_of(good(photo=[("照片.jpg", big_photo)])) == "material_too_large"


def test_id_document_type_is_resident_id_or_social_security_card():
    assert replacement.check_id_document_type("social_security_card") == "social_security_card"
    with pytest.raises(Invalid):
        replacement.check_id_document_type("passport")


def test_review_approves_into_the_print_queue_or_rejects_with_a_reason():
    assert mailing.review("materials_review", True, None) == ("requested", None)
    assert mailing.review("materials_review", False, "  照片不是白底 ") == ("rejected", "照片不是白底")
    with pytest.raises(Invalid) as exc:
        mailing.review("materials_review", False, " ")
    assert exc.value.code == "reason_required"
    with pytest.raises(Conflict) as exc:
        mailing.review("requested", True, None)
    assert exc.value.code == "already_reviewed"
    # Officers' print-queue moves never take a replacement out of review.
    with pytest.raises(Conflict):
        mailing.advance("materials_review", "printed", None)
    assert "materials_review" in mailing.ACTIVE and "rejected" not in mailing.ACTIVE


def test_files_are_encrypted_bound_to_their_row():
    cipher = FieldCipher(*FieldCipher.parse("k1:" + "A" * 43 + "="))
    stored = cipher.encrypt_bytes(JPEG, b"row-1")
    assert JPEG not in stored and stored.startswith(b"k1:")
    assert cipher.decrypt_bytes(stored, b"row-1") == JPEG
    with pytest.raises(InvalidTag):  # moved to another row: the tag does not verify
        cipher.decrypt_bytes(stored, b"row-2")

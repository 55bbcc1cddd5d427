"""The materials a replacement (补发) of a paper certificate needs — seed 004, 广州 FAQ 十四:
① the holder-signed 《补发（更换）申请表》 scan, ② the resident ID card or social security card,
front and back, ③ a recent 1-inch colour photo on white. Each is recognised by its content (a
whole PDF or JPEG; the photo a JPEG), never by its name or declared type."""
from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import Invalid
from services.common.uploads import JPEG, whole_document_type

APPLICATION_FORM, ID_DOCUMENT, PHOTO = "application_form", "id_document", "photo"
MATERIALS = {APPLICATION_FORM: "《补发（更换）申请表》签名扫描件",
             ID_DOCUMENT: "身份证件（正反面）扫描件",
             PHOTO: "近期 1 寸彩色白底证件照"}
ID_DOCUMENT_TYPES = {"resident_id": "居民身份证", "social_security_card": "社会保障卡"}
MB = 1024 * 1024
LIMITS = {APPLICATION_FORM: 10 * MB, ID_DOCUMENT: 10 * MB, PHOTO: 2 * MB}
COUNTS = {APPLICATION_FORM: (1, 1), ID_DOCUMENT: (1, 2), PHOTO: (1, 1)}  # front+back: 1 or 2


@dataclass(frozen=True)
class Material:
    kind: str
    position: int
    filename: str
    content_type: str
    data: bytes


def check_id_document_type(value: str | None) -> str:
    if value not in ID_DOCUMENT_TYPES:
        raise Invalid("请选择证件类型（居民身份证或社会保障卡）", code="bad_id_document_type")
    return value


def check_materials(files: dict[str, list[tuple[str, bytes]]]) -> list[Material]:
    """Every material present, of the right type and size; else Invalid naming the first wrong."""
    out = []
    for kind, label in MATERIALS.items():
        given = [(n, d) for n, d in files.get(kind, []) if d]
        low, high = COUNTS[kind]
        if len(given) < low:
            raise Invalid(f"请上传{label}", code="material_missing")
        if len(given) > high:
            raise Invalid(f"{label}最多上传 {high} 个文件", code="too_many_files")
        for position, (name, data) in enumerate(given):
            name = (name or kind)[-100:]
            if len(data) > LIMITS[kind]:
                raise Invalid(f"{label}“{name}”超过 {LIMITS[kind] // MB} MB",
                              code="material_too_large")
            content_type = whole_document_type(data)
            if content_type is None or (kind == PHOTO and content_type != JPEG):
                wanted = " JPEG 图片" if kind == PHOTO else " PDF 或 JPEG 文件"
                raise Invalid(f"{label}“{name}”不是{wanted}", code="bad_material_type")
            out.append(Material(kind, position, name, content_type, data))
    return out

"""Identity documents and their format checks (GB 11643 for the resident identity card)."""
from __future__ import annotations

import re
from datetime import date

from services.common import masking
from services.common.errors import Invalid

# Screens show numbers masked the same way in every service.
mask, mask_phone = masking.mask_number, masking.mask_phone

DOCUMENT_TYPES = {
    "resident_id": "居民身份证",
    "hk_macao_permit": "港澳居民来往内地通行证",
    "taiwan_permit": "台湾居民来往大陆通行证",
    "hmt_residence_permit": "港澳台居民居住证",
    "foreign_passport": "外国护照",
}
# Province-level codes of GB/T 2260 (first two digits of the administrative division code).
PROVINCE_CODES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44,
                  45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65}
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def normalise(document_type: str, number: str) -> str:
    """Canonical form used for uniqueness: trimmed, upper case ('x' and 'X' are one person)."""
    return re.sub(r"\s+", "", number or "").upper()


def resident_id_birth_date(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def validate(document_type: str, number: str, today: date) -> str:
    """Return the normalised number or raise Invalid with a message a candidate understands."""
    if document_type not in DOCUMENT_TYPES:
        raise Invalid("请选择证件类型", code="document_type_unknown", field="document_type")
    n = normalise(document_type, number)
    if document_type == "resident_id":
        if re.fullmatch(r"\d{15}", n):
            raise Invalid("15 位身份证号码已停止使用，请使用 18 位居民身份证号码",
                          code="document_number_15_digits", field="document_number")
        if not re.fullmatch(r"\d{17}[\dX]", n):
            raise Invalid("居民身份证号码应为 18 位，最后一位可以是数字或 X",
                          code="document_number_format", field="document_number")
        if int(n[:2]) not in PROVINCE_CODES:
            raise Invalid("身份证号码前两位不是有效的省级行政区代码", code="document_number_region",
                          field="document_number")
        try:
            born = resident_id_birth_date(n)
        except ValueError:
            raise Invalid("身份证号码中的出生日期无效", code="document_number_birth_date",
                          field="document_number") from None
        if born > today or born.year < 1900:
            raise Invalid("身份证号码中的出生日期无效", code="document_number_birth_date",
                          field="document_number")
        if check_digit(n[:17]) != n[17]:
            raise Invalid("身份证号码校验位不正确，请核对后重新输入", code="document_number_checksum",
                          field="document_number")
        return n
    patterns = {
        "hk_macao_permit": (r"[HM]\d{8}(\d{2})?", "港澳居民来往内地通行证号码应为 H 或 M 加 8 位或 10 位数字"),
        "taiwan_permit": (r"\d{8}", "台湾居民来往大陆通行证号码应为 8 位数字"),
        "hmt_residence_permit": (r"8[123]0000\d{11}[\dX]",
                                 "港澳台居民居住证号码应为 18 位，以 810000、820000 或 830000 开头"),
        "foreign_passport": (r"[A-Z0-9]{5,17}", "护照号码应为 5 至 17 位字母或数字"),
    }
    pattern, message = patterns[document_type]
    if not re.fullmatch(pattern, n):
        raise Invalid(message, code="document_number_format", field="document_number")
    if document_type == "hmt_residence_permit" and check_digit(n[:17]) != n[17]:
        raise Invalid("居住证号码校验位不正确", code="document_number_checksum",
                      field="document_number")
    return n


def check_validity(valid_until: date | None, long_term: bool, today: date) -> None:
    """Seed 000: the document's validity period; an expired document cannot be used."""
    if long_term:
        return
    if valid_until is None:
        raise Invalid("请填写证件有效期截止日期，或选择“长期”", code="document_validity_missing",
                      field="document_valid_until")
    if valid_until < today:
        raise Invalid("证件已过有效期，请使用有效证件注册", code="document_expired",
                      field="document_valid_until")

"""National ID numbers (GB 11643) and mobile numbers: normalising, checking, masking.

Everything that reads a person's identifiers from input goes through here, so a page,
the API and the roster import accept and reject exactly the same values.
"""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_SHAPE = re.compile(r"^1[3-9]\d{9}$")


def to_half_width(value: str) -> str:
    """Full-width digits, letters and spaces (typed in a Chinese IME) to ASCII."""
    return unicodedata.normalize("NFKC", value)


def normalise_id_number(raw: object) -> str:
    """Trim, fold full-width characters, drop inner spaces, upper-case the X."""
    text = to_half_width(str(raw or ""))
    return re.sub(r"\s+", "", text).upper()


def normalise_mobile(raw: object) -> str:
    text = to_half_width(str(raw or ""))
    text = re.sub(r"[\s-]+", "", text)
    if text.startswith("+86"):
        text = text[3:]
    return text


def id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def id_number_error(value: str) -> str | None:
    """The reason an already-normalised ID number is wrong, in Chinese, or None."""
    if len(value) != 18:
        return f"身份证号应为18位，当前为{len(value)}位。"
    if not _ID_SHAPE.match(value):
        return "身份证号前17位应为数字，最后一位为数字或X。"
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号第7-14位不是有效的出生日期。"
    if birth.year < 1900 or birth > datetime.date.today():
        return "身份证号第7-14位不是有效的出生日期。"
    if id_check_char(value[:17]) != value[17]:
        return "身份证号校验位不正确，请核对后重新输入。"
    return None


def mobile_error(value: str) -> str | None:
    if not _MOBILE_SHAPE.match(value):
        return "手机号应为以1开头的11位数字。"
    return None


def validate_id_number(value: str) -> None:
    error = id_number_error(value)
    if error:
        raise ValidationError(error, code="invalid_id_number")


def validate_mobile(value: str) -> None:
    error = mobile_error(value)
    if error:
        raise ValidationError(error, code="invalid_mobile")


def mask_id_number(value: str | None) -> str:
    """411002********123X: region and last four only (PIPL)."""
    if not value:
        return ""
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_mobile(value: str | None) -> str:
    if not value:
        return ""
    return f"{value[:3]}****{value[-4:]}"


def mask_name(value: str) -> str:
    """王*浩 for public pages: first and last character kept."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def looks_like_id_number(value: str) -> bool:
    return len(value) == 18 and bool(_ID_SHAPE.match(value))


def looks_like_mobile(value: str) -> bool:
    return bool(_MOBILE_SHAPE.match(value))

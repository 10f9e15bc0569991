"""Numbers from a URL's query string, read safely: ASCII digits only (str.isdigit() also takes '²', which int()
refuses), and within the range the database column holds — PostgreSQL refuses to compare a smallint column with
65248 or a bigint with twenty digits, and a refused query would be a server error instead of an answer."""

import re

YEAR_MIN, YEAR_MAX = 2000, 2100
ID_MAX = 2**63 - 1  # BigAutoField


def bounded_int(value, *, low: int, high: int) -> int | None:
    text = str(value if value is not None else "").strip()
    if not re.fullmatch(r"[0-9]{1,19}", text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def year_param(value) -> int | None:
    """A 年度 from the URL, or None when absent, not a number, or outside 2000–2100."""
    return bounded_int(value, low=YEAR_MIN, high=YEAR_MAX)


def id_param(value) -> int | None:
    return bounded_int(value, low=1, high=ID_MAX)

"""Reading hand-made Excel workbooks safely, and writing exports that are safe to open.

Shared by every import and export of the project (rosters, attendance, quiz results).
Uploaded workbooks are read by common.workbook_reader (what a file says about itself is not trusted).
"""

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# Reading lives in common.workbook_reader; these names stay importable from here for every import.
from .downloads import XLSX_CONTENT_TYPE
from .workbook_reader import FormulaWithoutValue, SheetRows, WorkbookRefused, check_upload, read_sheet

__all__ = [
    "XLSX_CONTENT_TYPE",
    "FormulaWithoutValue",
    "SheetRows",
    "WorkbookRefused",
    "build_workbook",
    "check_upload",
    "read_sheet",
    "safe_cell",
]


_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value that Excel or WPS will show as text, never run as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def build_workbook(
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]],
    *,
    text_columns: Iterable[str] = (),
) -> bytes:
    """An .xlsx with one sheet per (title, headers, rows); every string cell neutralised.

    Columns named in text_columns are formatted as text (e.g. ID numbers), so a
    person who edits the file does not turn them into numbers.
    """
    workbook = Workbook(write_only=True)
    text_columns = set(text_columns)
    for title, headers, rows in sheets:
        worksheet: Worksheet = workbook.create_sheet(title=title[:31])
        worksheet.append([safe_cell(h) for h in headers])
        text_idx = {i for i, header in enumerate(headers) if header in text_columns}
        for i, header in enumerate(headers):
            dimension = worksheet.column_dimensions[get_column_letter(i + 1)]
            dimension.width = 22 if i in text_idx else max(10, min(40, len(str(header)) * 2 + 4))
            if i in text_idx:
                dimension.number_format = "@"
        for row in rows:
            cells = [safe_cell(value) for value in row]
            for i in text_idx:
                if i < len(cells):
                    cell = WriteOnlyCell(worksheet, value=None if cells[i] is None else str(cells[i]))
                    cell.number_format = "@"
                    cells[i] = cell
            worksheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

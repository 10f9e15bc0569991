"""Reading hand-made Excel workbooks safely, and writing exports that are safe to open.

Shared by every import and export of the project (rosters, attendance, quiz results).
openpyxl parses XML through defusedxml when it is installed (it is, in requirements.txt).
"""

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


class WorkbookRefused(Exception):
    """The file cannot be read at all; the message says why, in Chinese."""


@dataclass
class SheetRows:
    """A sheet's rows as values, merged areas filled from their top-left cell."""

    title: str
    rows: list[tuple]  # row i is Excel row i + 1


def check_upload(data: bytes, *, filename: str = "") -> None:
    """Refuse a file before parsing: type, size, uncompressed size (zip bombs), row count."""
    max_bytes = settings.ROSTER_MAX_BYTES
    if filename and not filename.lower().endswith(".xlsx"):
        raise WorkbookRefused("只支持 .xlsx 文件：请在 Excel 或 WPS 中“另存为”Excel 工作簿（*.xlsx）后再上传。")
    if len(data) > max_bytes:
        raise WorkbookRefused(
            f"文件过大（{len(data) / 1048576:.1f} MB），上限为 {max_bytes / 1048576:.0f} MB。请拆分后分批导入。"
        )
    if not data.startswith(b"PK"):
        raise WorkbookRefused(
            "文件不是有效的 .xlsx 工作簿（可能是 .xls、.csv 或改了扩展名的文件），请另存为 .xlsx 后再上传。"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise WorkbookRefused("文件已损坏，无法作为 .xlsx 打开。") from error
    if total > settings.ROSTER_MAX_UNCOMPRESSED_BYTES:
        raise WorkbookRefused(
            f"文件解压后过大（{total / 1048576:.0f} MB，上限 {settings.ROSTER_MAX_UNCOMPRESSED_BYTES / 1048576:.0f} MB），"
            "可能不是正常的名单文件，已拒绝。"
        )


def read_sheet(data: bytes, *, sheet: str | None = None, max_rows: int | None = None) -> SheetRows:
    """All rows of the first (or the named) sheet as values, in read-only mode."""
    max_rows = max_rows or settings.ROSTER_MAX_ROWS
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        raise WorkbookRefused("无法读取该 .xlsx 文件，请用 Excel 或 WPS 打开后重新保存再上传。") from error
    try:
        if sheet:
            if sheet not in workbook.sheetnames:
                raise WorkbookRefused(f"工作簿中没有名为“{sheet}”的工作表；现有：{'、'.join(workbook.sheetnames)}。")
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        declared = worksheet.max_row or 0
        if declared > max_rows + 50:
            raise WorkbookRefused(f"工作表有 {declared} 行，超过上限 {max_rows} 行，请拆分后分批导入。")
        rows = []
        for values in worksheet.iter_rows(values_only=True):
            rows.append(values)
            if len(rows) > max_rows + 50:
                raise WorkbookRefused(f"工作表超过上限 {max_rows} 行，请拆分后分批导入。")
        merges = _merged_ranges(workbook, worksheet)
        title = worksheet.title
    finally:
        workbook.close()
    _fill_merged(rows, merges)
    return SheetRows(title=title, rows=rows)


def _merged_ranges(workbook, worksheet) -> list[tuple[int, int, int, int]]:
    # Read-only worksheets do not expose merged cells; they sit at the end of the sheet XML.
    with workbook._archive.open(worksheet._worksheet_path) as stream:
        xml = stream.read()
    return [range_boundaries(ref.decode()) for ref in _MERGE_RE.findall(xml)]


def _fill_merged(rows: list[tuple], merges: list[tuple[int, int, int, int]]) -> None:
    for min_col, min_row, max_col, max_row in merges:
        if min_row > len(rows):
            continue
        top_left = rows[min_row - 1][min_col - 1] if min_col - 1 < len(rows[min_row - 1]) else None
        for r in range(min_row, min(max_row, len(rows)) + 1):
            row = list(rows[r - 1])
            if len(row) < max_col:
                row.extend([None] * (max_col - len(row)))
            for c in range(min_col, max_col + 1):
                if (r, c) != (min_row, min_col):
                    row[c - 1] = top_left
            rows[r - 1] = tuple(row)


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

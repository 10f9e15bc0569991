"""Reading an uploaded .xlsx as a person sees it in Excel or WPS, in memory bounded by the cells present.

openpyxl stays the reader: it reads the workbook (sheet list and states, styles, the 1904 date system)
and parses every cell's value (shared, inline and rich strings, numbers, dates). What this module adds
is not trusting what a file says about itself:

- the package: an OLE container is an encrypted workbook (Excel's 用密码进行加密) or an old .xls and is
  refused as such (so are .ods, .xlsb and Numbers packages renamed to .xlsx); part names are matched
  case-insensitively, as the packaging standard (OPC) says; a Strict Open XML package is read through a
  stream that translates its namespaces and relationship types to the transitional ones as openpyxl
  reads each part (nothing is copied);
- the sheet: the first *visible* worksheet unless one is named; chart sheets and hidden sheets are
  named as such in the choices;
- the cells: the sheet XML is read to its end, never as far as its declared <dimension>; cells and rows
  without a value (formatting only) are dropped from the bytes before parsing; only the columns up to
  the header's last recognised one are kept once the header rows have been read; merges are applied
  only within the kept columns and the rows read; rows hidden by the author or a filter are reported;
  a formula saved without its result is a FormulaWithoutValue, never a blank;
- speed: the sheet is parsed by the standard library's C parser (a DOCTYPE is refused, as defusedxml
  would) and the shared strings are collected by a parser target, not an element per string.
"""

import io
import logging
import re
import traceback
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree.ElementTree import XMLParser, iterparse

from django.conf import settings
from openpyxl.chartsheet import Chartsheet
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import FORMULA_TAG, ROW_TAG, VALUE_TAG, WorkSheetParser, _cast_number
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

logger = logging.getLogger(__name__)

MAX_EXCEL_ROW = 1_048_576
MAX_EXCEL_COLUMN = 16_384
HEADER_SEARCH_ROWS = 30

_MERGE_CELL_TAG = f"{{{SHEET_MAIN_NS}}}mergeCell"
# Children of <worksheet> other than sheetData: cleared as soon as read so they never pile up.
_TOP_LEVEL_TAGS = frozenset(
    f"{{{SHEET_MAIN_NS}}}{name}"
    for name in [
        "sheetPr",
        "dimension",
        "sheetViews",
        "sheetFormatPr",
        "cols",
        "sheetData",
        "sheetCalcPr",
        "sheetProtection",
        "protectedRanges",
        "scenarios",
        "autoFilter",
        "sortState",
        "dataConsolidate",
        "customSheetViews",
        "mergeCells",
        "phoneticPr",
        "conditionalFormatting",
        "dataValidations",
        "hyperlinks",
        "printOptions",
        "pageMargins",
        "pageSetup",
        "headerFooter",
        "rowBreaks",
        "colBreaks",
        "customProperties",
        "cellWatches",
        "ignoredErrors",
        "smartTags",
        "drawing",
        "legacyDrawing",
        "legacyDrawingHF",
        "drawingHF",
        "picture",
        "oleObjects",
        "controls",
        "webPublishItems",
        "tableParts",
        "extLst",
    ]
)

REFUSED_NOT_XLSX = "文件不是有效的 .xlsx 工作簿（可能是 .xls、.csv 或改了扩展名的文件），请另存为 .xlsx 后再上传。"
REFUSED_ENCRYPTED = (
    "该工作簿设置了打开密码（已加密），系统无法读取。请先去掉密码：Excel 中“文件 → 信息 → 保护工作簿 → "
    "用密码进行加密”，清空密码后保存；WPS 中“文件 → 文档加密 → 密码加密”，清除打开密码后保存。然后重新上传。"
)
REFUSED_XLS = (
    "这是旧版 Excel 97-2003 工作簿（.xls），系统只读取 .xlsx。请在 Excel 或 WPS 中打开，"
    "“另存为”Excel 工作簿（*.xlsx）后再上传。"
)


class WorkbookRefused(Exception):
    """The file cannot be read at all; the message says why, in Chinese."""


class FormulaWithoutValue:
    """A formula cell saved without its result (libraries write them so): Excel shows a value, the file has none."""

    __slots__ = ("coordinate",)

    def __init__(self, coordinate: str):
        self.coordinate = coordinate

    def __str__(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"FormulaWithoutValue({self.coordinate})"

    def __eq__(self, other) -> bool:
        return isinstance(other, FormulaWithoutValue) and other.coordinate == self.coordinate

    def __hash__(self) -> int:
        return hash(self.coordinate)


@dataclass
class SheetRows:
    """A sheet's rows as values, merged areas filled from their top-left cell."""

    title: str
    rows: list[tuple]  # row i is Excel row i + 1, each cut at the kept width and after its last value
    hidden_rows: frozenset[int] = field(default_factory=frozenset)  # Excel rows holding a value but hidden
    width: int = 0  # columns kept


# ---------------------------------------------------------------------------------------------- the package

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE_SECTORS = 0xFFFFFFFA  # this and above: free, end of chain, FAT / DIFAT sectors


def ole_stream_names(data: bytes) -> set[str]:
    """The names in a Compound File (OLE2) directory: enough to tell an encrypted workbook from a .xls.

    Follows the header's DIFAT (and its chain), the FAT and the directory chain; raises ValueError on
    anything inconsistent. Stream contents are never read.
    """
    if not data.startswith(OLE_MAGIC) or len(data) < 512:
        raise ValueError("not a compound file")
    sector_size = 1 << int.from_bytes(data[30:32], "little")
    if sector_size not in (512, 4096):
        raise ValueError("sector size")
    sector_count = len(data) // sector_size

    def sector(number: int) -> bytes:
        if number >= sector_count:
            raise ValueError("sector out of range")
        start = (number + 1) * sector_size
        return data[start : start + sector_size]

    def words(chunk: bytes) -> list[int]:
        return [int.from_bytes(chunk[i : i + 4], "little") for i in range(0, len(chunk), 4)]

    fat_sectors = [s for s in words(data[76:512]) if s < _FREE_SECTORS]
    difat_sector, guard = int.from_bytes(data[68:72], "little"), 0
    while difat_sector < _FREE_SECTORS:
        guard += 1
        if guard > sector_count:
            raise ValueError("DIFAT loop")
        entries = words(sector(difat_sector))
        fat_sectors.extend(s for s in entries[:-1] if s < _FREE_SECTORS)
        difat_sector = entries[-1]
    fat: list[int] = []
    for number in fat_sectors:
        fat.extend(words(sector(number)))

    names: set[str] = set()
    directory, guard = int.from_bytes(data[48:52], "little"), 0
    while directory < _FREE_SECTORS:
        guard += 1
        if guard > sector_count or directory >= len(fat):
            raise ValueError("directory chain")
        chunk = sector(directory)
        for offset in range(0, sector_size, 128):
            entry = chunk[offset : offset + 128]
            length = int.from_bytes(entry[64:66], "little")
            if entry[66] in (1, 2, 5) and 2 <= length <= 64:  # storage, stream, root
                names.add(entry[: length - 2].decode("utf-16-le", errors="replace"))
        directory = fat[directory]
    return names


def check_ole(data: bytes) -> None:
    """Refuse an OLE container with the message that fits what it holds."""
    try:
        names = {name.lower() for name in ole_stream_names(data)}
    except ValueError:
        names = set()
    if {"encryptioninfo", "encryptedpackage"} & names:
        raise WorkbookRefused(REFUSED_ENCRYPTED)
    if {"workbook", "book"} & names:
        raise WorkbookRefused(REFUSED_XLS)
    raise WorkbookRefused(REFUSED_NOT_XLSX)


# Strict Open XML (ISO 29500 Strict) names its namespaces and relationship types under purl.oclc.org;
# openpyxl knows only the transitional ones. The two differ by name only for what a roster needs.
_STRICT_RE = re.compile(rb"http://purl\.oclc\.org/ooxml/(spreadsheetml|drawingml|officeDocument)/(\w+)(?:/(\w+))?")
_KEBAB = {b"extendedProperties": b"extended-properties", b"customProperties": b"custom-properties"}


def _transitional(match: re.Match) -> bytes:
    family, name, rel_type = match.groups()
    if family == b"officeDocument" and name == b"relationships":
        uri = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        return uri + b"/" + _KEBAB.get(rel_type, rel_type) if rel_type else uri
    uri = b"http://schemas.openxmlformats.org/" + family + b"/2006/" + _KEBAB.get(name, name)
    return uri + b"/" + rel_type if rel_type else uri


def strict_to_transitional(xml: bytes) -> bytes:
    return _STRICT_RE.sub(_transitional, xml)


# Cells without a value (<c r="B7" s="3"/>) and rows left empty are formatting only: WPS for Mac writes a
# million of them. Dropped from the bytes before the XML parser sees them (only those with an r attribute:
# without it, the position of the next cell or row depends on them).
_EMPTY_CELL_RE = re.compile(rb'<(?:\w+:)?c\s[^<>]*?\br="[A-Z]{1,3}[0-9]{1,7}"[^<>]*/>')
_EMPTY_ROW_RE = re.compile(rb'<(?:\w+:)?row\s[^<>]*?\br="[0-9]{1,7}"[^<>]*?(?:/>|>\s*</(?:\w+:)?row>)')


def drop_formatting_only(xml: bytes) -> bytes:
    """Also the sheet's guard against DTD tricks: the sheet is parsed by the standard library's C parser
    (defusedxml's pure-Python one, which openpyxl uses, takes twice as long), so a DOCTYPE is refused here."""
    if b"<!DOCTYPE" in xml:
        raise WorkbookRefused("工作表中含有 DTD 声明，不是 Excel 或 WPS 保存的正常文件，已拒绝。")
    return _EMPTY_ROW_RE.sub(b"", _EMPTY_CELL_RE.sub(b"", xml))


class _Rewritten(io.RawIOBase):
    """A part's bytes through a rewrite, chunk by chunk; each chunk is cut before its last '<', so that the
    rewrite only ever sees whole tags (text cannot hold a raw '<')."""

    def __init__(self, raw, rewrite):
        self._raw = raw
        self._rewrite = rewrite
        self._pending = b""
        self._out = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._out and not self._eof:
            chunk = self._raw.read(1 << 18)
            data = self._pending + chunk
            if not chunk:
                self._eof = True
                self._out, self._pending = self._rewrite(data), b""
                break
            cut = data.rfind(b"<")
            if cut <= 0:
                self._pending = data
                continue
            self._out, self._pending = self._rewrite(data[:cut]), data[cut:]
        count = min(len(buffer), len(self._out))
        buffer[:count] = self._out[:count]
        self._out = self._out[count:]
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


class _PartNames(list):
    """The package's part names; `in` ignores case, as part names do (OPC, ECMA-376 part 2 §6.2.2.3)."""

    def __init__(self, names):
        super().__init__(names)
        self._lower = {name.lower() for name in names}

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and name.lower() in self._lower


class _Package(zipfile.ZipFile):
    """The uploaded package as openpyxl should see it: part names without case, Strict read as transitional."""

    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data))
        self._by_lower = {info.filename.lower(): info for info in self.infolist()}
        self.strict = False
        rels = self._by_lower.get("_rels/.rels")
        self.strict = bool(rels) and b"purl.oclc.org/ooxml/" in super().read(rels)

    def getinfo(self, name):
        info = self._by_lower.get(name.lower()) if isinstance(name, str) else None
        return info or super().getinfo(name)

    def namelist(self):
        return _PartNames(super().namelist())

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        if self.strict and mode == "r":
            return io.BufferedReader(_Rewritten(stream, strict_to_transitional))
        return stream

    def open_sheet(self, name: str, rewrite: "SheetRewrite"):
        """A worksheet part through rewrite (formatting-only cells dropped, columns cut, Strict translated)."""
        rewrite.strict = self.strict
        return io.BufferedReader(_Rewritten(super().open(name), rewrite), 1 << 16)


def _letters_pattern(width: int) -> bytes:
    """A regex matching the column letters of columns 1..width (width ≤ 702, i.e. at most two letters)."""
    if width < 26:
        return b"[A-" + bytes([64 + width]) + b"]"
    parts = [b"[A-Z]"]
    full, rest = divmod(width - 26, 26)
    if full:
        parts.append(b"[A-" + bytes([64 + full]) + b"][A-Z]")
    if rest:
        parts.append(bytes([65 + full]) + b"[A-" + bytes([64 + rest]) + b"]")
    return b"|".join(parts)


class SheetRewrite:
    """What a sheet's bytes go through before the XML parser sees them.

    Formatting-only cells and rows are dropped; Strict namespaces translated; and once the kept width is
    known (after the header rows), every cell right of it is dropped too — a regex on whole elements, so
    that neither the parser nor Python spends anything on them (a cell not matched, e.g. split between
    two chunks or with r not first, is simply parsed and cut as before).
    """

    def __init__(self):
        self.strict = False
        self._beyond = None

    def keep_columns(self, width: int) -> None:
        if 0 < width <= MAX_KEPT_COLUMNS:
            self._beyond = re.compile(
                rb'<(?:\w+:)?c\s+r="(?!(?:' + _letters_pattern(width) + rb")[0-9])[A-Z]{1,3}[0-9]+\"[^<>]*?"
                rb"(?:/>|>.*?</(?:\w+:)?c>)",
                re.DOTALL,
            )

    def __call__(self, xml: bytes) -> bytes:
        if self.strict:
            xml = strict_to_transitional(xml)
        xml = drop_formatting_only(xml)
        return self._beyond.sub(b"", xml) if self._beyond is not None else xml


class _StringTable:
    """Parser target collecting the shared strings as openpyxl's read_string_table does (a string's text and
    its rich-text runs, phonetic runs left out, x005F_ removed), without building an element per string:
    a 10 MB file of 1.45 million strings took openpyxl 15 s and 350 MB, and takes this ~2 s."""

    _SI, _T, _PHONETIC = (f"{{{SHEET_MAIN_NS}}}{name}" for name in ("si", "t", "rPh"))

    def __init__(self):
        self.strings: list[str] = []
        self._parts: list[str] = []
        self._in_text = False
        self._phonetic = 0

    def start(self, tag, _attributes):
        if tag == self._T:
            self._in_text = not self._phonetic
        elif tag == self._SI:
            self._parts = []
        elif tag == self._PHONETIC:
            self._phonetic += 1

    def end(self, tag):
        if tag == self._T:
            self._in_text = False
        elif tag == self._SI:
            self.strings.append("".join(self._parts).replace("x005F_", ""))
        elif tag == self._PHONETIC:
            self._phonetic -= 1

    def data(self, text):
        if self._in_text:
            self._parts.append(text)

    def close(self) -> list[str]:
        return self.strings


def read_shared_strings(source) -> list[str]:
    parser = XMLParser(target=_StringTable())
    tail = b""
    while chunk := source.read(1 << 16):
        if b"<!DOCTYPE" in tail + chunk[:16] or b"<!DOCTYPE" in chunk:
            raise WorkbookRefused("工作簿中含有 DTD 声明，不是 Excel 或 WPS 保存的正常文件，已拒绝。")
        parser.feed(chunk)
        tail = chunk[-16:]
    return parser.close()


class _SheetOnDemand(ReadOnlyWorksheet):
    """openpyxl's read-only sheet without its size: it reads up to the <dimension> to learn it, and a sheet
    without one (Google Sheets, other systems' exports) to its very end — every sheet, when the workbook is
    opened. The size is never used here."""

    def _get_size(self):
        pass


class _Reader(ExcelReader):
    """openpyxl's reader over our _Package instead of a plain ZipFile, with a leaner shared-string reader and
    sheets that are not read until one is chosen."""

    def read_worksheets(self):
        # ExcelReader.read_worksheets' read-only branch, with _SheetOnDemand.
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            worksheet = _SheetOnDemand(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)

    def read_strings(self):
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = read_shared_strings(source)

    def __init__(self, package: _Package):
        self.archive = package
        self.valid_files = package.namelist()
        self.read_only = True
        self.keep_vba = False
        self.data_only = True
        self.keep_links = False
        self.rich_text = False
        self.shared_strings = []


# Other spreadsheets in a zip, renamed to .xlsx: recognised by a part only they have.
_OTHER_PACKAGES = {
    "xl/workbook.bin": "这是 Excel 二进制工作簿（.xlsb），系统只读取 .xlsx。",
    "content.xml": "这是 OpenDocument 表格（.ods，LibreOffice/WPS 可保存此格式），系统只读取 .xlsx。",
    "index/document.iwa": "这是 Numbers 表格，系统只读取 .xlsx。",
}


def open_workbook(data: bytes):
    """The workbook in openpyxl's read-only mode (worksheets are read on demand, not here)."""
    package = _Package(data)
    if "xl/workbook.xml" not in package._by_lower:
        for part, message in _OTHER_PACKAGES.items():
            if part in package._by_lower:
                raise WorkbookRefused(f"{message}请在原软件中“另存为”或“导出”为 Excel 工作簿（*.xlsx）后再上传。")
    reader = _Reader(package)
    reader.read()
    return reader.wb


# ---------------------------------------------------------------------------------------------- the sheet


def _sheet_label(name: str, sheet) -> str:
    if isinstance(sheet, Chartsheet):
        return f"{name}（图表，不能导入）"
    if sheet.sheet_state != "visible":
        return f"{name}（隐藏）"
    return name


def sheet_choices(workbook) -> str:
    """The workbook's sheets for a message: 名单、下拉选项（隐藏）、图表1（图表，不能导入）."""
    return "、".join(_sheet_label(name, workbook[name]) for name in workbook.sheetnames)


def choose_worksheet(workbook, name: str | None):
    """The named sheet, or the first visible worksheet (the one a person sees first among the tabs)."""
    if name:
        if name not in workbook.sheetnames:
            raise WorkbookRefused(f"工作簿中没有名为“{name}”的工作表；现有：{sheet_choices(workbook)}。")
        sheet = workbook[name]
        if isinstance(sheet, Chartsheet):
            raise WorkbookRefused(
                f"“{name}”是图表工作表，没有可读取的单元格。请选择名单所在的工作表；现有：{sheet_choices(workbook)}。"
            )
        return sheet
    worksheets = workbook.worksheets
    if not worksheets:
        raise WorkbookRefused(
            "工作簿中没有可读取的工作表"
            + (f"（只有：{sheet_choices(workbook)}）" if workbook.sheetnames else "")
            + "。请在 Excel 或 WPS 中把名单放在普通工作表里，另存为 .xlsx 后再上传。"
        )
    visible = [sheet for sheet in worksheets if sheet.sheet_state == "visible"]
    return (visible or worksheets)[0]


class _CellParser(WorkSheetParser):
    """openpyxl's cell parser, telling a formula without a stored result from an empty cell."""

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        if cell["value"] is None and element.find(VALUE_TAG) is None and element.find(FORMULA_TAG) is not None:
            cell["value"] = FormulaWithoutValue(f"{get_column_letter(cell['column'])}{cell['row']}")
        return cell


class _PlainCells:
    """The two kinds of cell that make up almost every roster, read without openpyxl's general parser (a
    third of the time per cell): a shared string (t="s") and a number without a date style, each one <v>
    and an r attribute. Anything else answers (None, None) and goes to WorkSheetParser.parse_cell, whose
    values these match (tests/courses/test_roster_producers.py reads every kind through both)."""

    def __init__(self, parser: WorkSheetParser):
        self._parser = parser
        self._strings = parser.shared_strings
        self._dates = {str(style) for style in parser.date_formats}
        self._columns: dict[str, int] = {}

    def __call__(self, cell) -> tuple:
        reference = cell.get("r")
        if reference is None or len(cell) != 1:
            return None, None
        child = cell[0]
        if child.tag != VALUE_TAG:
            return None, None
        kind = cell.get("t")
        text = child.text
        if kind == "s" and text:
            value = self._strings[int(text)]
        elif kind in (None, "n") and text and cell.get("s") not in self._dates:
            value = _cast_number(text)
        else:
            return None, None
        letters = reference.rstrip("0123456789")
        column = self._columns.get(letters)
        if column is None:
            column = self._columns[letters] = column_index_from_string(letters)
        self._parser.col_counter = column
        return value, column


def _in_words(count: int) -> str:
    return f"{count // 10000} 万" if count >= 10000 and count % 10000 == 0 else f"{count} "


def _row_number(attribute: str | None, previous: int) -> int:
    if attribute is None:
        return previous + 1
    try:
        number = int(attribute)
    except ValueError:
        number = int(float(attribute))
    if not 1 <= number <= MAX_EXCEL_ROW:
        raise WorkbookRefused(f"工作表中有行号为 {attribute} 的行，超出 Excel 的范围，文件可能已损坏。")
    return number


MAX_KEPT_COLUMNS = 256  # A to IV, Excel 2003's width: a table wider than that is not a hand-made list


def _last_value_width(rows: list[tuple]) -> int:
    """The default: up to the last value of the first rows, at most MAX_KEPT_COLUMNS."""
    return min(max((len(row) for row in rows), default=0), MAX_KEPT_COLUMNS)


def read_rows(
    workbook,
    worksheet,
    *,
    max_rows: int,
    width_from: Callable[[list[tuple]], int] = _last_value_width,
    header_rows: int = HEADER_SEARCH_ROWS,
) -> SheetRows:
    """The worksheet's values, read to the end of its XML.

    width_from sees the first header_rows rows and returns how many columns to keep (it may refuse
    the file, e.g. when there is no header: then the rest is never read). Rows holding a value are
    counted; more than max_rows + 50 is refused.
    """
    parser = _CellParser(
        None,
        worksheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    parse_cell = parser.parse_cell
    plain = _PlainCells(parser)
    rows: list[tuple] = []
    hidden: set[int] = set()
    merges: list[str] = []
    width: int | None = None
    limit = MAX_EXCEL_COLUMN
    counted = cells = 0
    number = 0
    max_cells = settings.ROSTER_MAX_CELLS  # bounds the time of the largest file whatever its shape
    rewrite = SheetRewrite()
    with workbook._archive.open_sheet(worksheet._worksheet_path, rewrite) as source:
        for _event, element in iterparse(source):
            tag = element.tag
            if tag == ROW_TAG:
                number = _row_number(element.get("r"), number)
                if width is None and number > header_rows:
                    width = limit = max(0, min(width_from(rows), MAX_EXCEL_COLUMN))
                    rows = [row[:width] for row in rows]
                    rewrite.keep_columns(width)
                parser.row_counter, parser.col_counter = number, 0
                values: list = []
                for cell in element:
                    if not len(cell):  # no <v>, <f> or <is>: formatting only
                        if cell.get("r") is None:
                            parser.col_counter += 1
                        continue
                    value, column = plain(cell)
                    if column is None:  # anything but a plain shared string or number: openpyxl's parser
                        parsed = parse_cell(cell)
                        value, column = parsed["value"], parsed["column"]
                    if value is None or column > limit:
                        continue
                    if column > len(values):
                        values.extend([None] * (column - 1 - len(values)))
                        values.append(value)
                    else:
                        values[column - 1] = value
                if values:
                    counted += 1
                    cells += len(values)
                    if cells > max_cells:
                        raise WorkbookRefused(
                            f"工作表“{worksheet.title}”的数据超过 {_in_words(max_cells)}个单元格（读到第 {number} 行），"
                            "请删去不需要的列，或拆分后分批导入。"
                        )
                    if counted > max_rows + 50:
                        raise WorkbookRefused(
                            f"工作表“{worksheet.title}”超过上限 {max_rows} 行（读到第 {number} 行），请拆分后分批导入。"
                        )
                    if element.get("hidden") in ("1", "true"):
                        hidden.add(number)
                    if number > len(rows):
                        rows.extend([()] * (number - 1 - len(rows)))
                        rows.append(tuple(values))
                    else:  # rows out of order: trust the row number
                        rows[number - 1] = tuple(values)
                element.clear()
            elif tag == _MERGE_CELL_TAG:
                merges.append(element.get("ref") or "")
                element.clear()
            elif tag in _TOP_LEVEL_TAGS:
                element.clear()
    if width is None:
        width = max(0, min(width_from(rows), MAX_EXCEL_COLUMN))
        rows = [row[:width] for row in rows]
    _fill_merged(rows, merges, width, worksheet.title)
    return SheetRows(
        title=worksheet.title,
        rows=rows,
        hidden_rows=frozenset(n for n in hidden if n <= len(rows) and any(v is not None for v in rows[n - 1])),
        width=width,
    )


def _fill_merged(rows: list[tuple], merges: list[str], width: int, title: str) -> None:
    """Fill each merge from its top-left value, only within the kept columns and the rows read."""
    budget = width * len(rows)  # merges do not overlap, so no more cells than the kept area
    for ref in merges:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (TypeError, ValueError):
            continue
        if min_col is None or min_row is None or min_row > len(rows) or min_col > width:
            continue
        max_col, max_row = min(max_col or width, width), min(max_row or len(rows), len(rows))
        top = rows[min_row - 1]
        top_left = top[min_col - 1] if min_col - 1 < len(top) else None
        budget -= (max_col - min_col + 1) * (max_row - min_row + 1)
        if budget < 0:
            raise WorkbookRefused(
                f"工作表“{title}”的合并单元格互相重叠，文件可能已损坏。请在 Excel 或 WPS 中另存后再上传。"
            )
        for r in range(min_row, max_row + 1):
            row = list(rows[r - 1])
            if len(row) < max_col:
                row.extend([None] * (max_col - len(row)))
            for c in range(min_col, max_col + 1):
                if (r, c) != (min_row, min_col):
                    row[c - 1] = top_left
            rows[r - 1] = tuple(row)


# ---------------------------------------------------------------------------------------------- the file


def check_upload(data: bytes, *, filename: str = "") -> None:
    """Refuse a file before parsing: type, size, encryption, uncompressed size (zip bombs)."""
    max_bytes = settings.ROSTER_MAX_BYTES
    if filename and not filename.lower().endswith(".xlsx"):
        raise WorkbookRefused("只支持 .xlsx 文件：请在 Excel 或 WPS 中“另存为”Excel 工作簿（*.xlsx）后再上传。")
    if data.startswith(OLE_MAGIC):  # before the size: "it has a password" is the more useful answer
        check_ole(data)
    if len(data) > max_bytes:
        raise WorkbookRefused(
            f"文件过大（{len(data) / 1048576:.1f} MB），上限为 {max_bytes / 1048576:.0f} MB。请拆分后分批导入。"
        )
    if not data.startswith(b"PK"):
        raise WorkbookRefused(REFUSED_NOT_XLSX)
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


def refusal_for_unexpected(error: BaseException, *, what: str = "文件") -> WorkbookRefused:
    """A refusal with a reference the administrator can find in the log; the log holds no cell value.

    Only the exception's type and the stack are logged (its message could quote a cell, e.g. an ID number).
    """
    reference = uuid.uuid4().hex[:8]
    logger.error(
        "workbook read failed [ref %s]: %s\n%s",
        reference,
        type(error).__name__,
        "".join(traceback.format_tb(error.__traceback__)),
    )
    return WorkbookRefused(
        f"读取{what}时出错，无法导入（错误编号 {reference}）。请用 Excel 或 WPS 打开后“另存为”Excel 工作簿（*.xlsx）"
        "再上传；如仍不行，请把文件和错误编号发给系统管理员。"
    )


def read_sheet(
    data: bytes,
    *,
    sheet: str | None = None,
    max_rows: int | None = None,
    width_from: Callable[[list[tuple]], int] = _last_value_width,
) -> SheetRows:
    """All rows of the first visible (or the named) sheet as values; see read_rows."""
    max_rows = max_rows or settings.ROSTER_MAX_ROWS
    try:
        workbook = open_workbook(data)
    except WorkbookRefused:
        raise
    except Exception as error:
        raise refusal_for_unexpected(error) from error
    try:
        worksheet = choose_worksheet(workbook, sheet)

        def width_naming_the_sheet(rows: list[tuple]) -> int:
            # No header on the sheet read: say which one it was and which others there are.
            try:
                return width_from(rows)
            except WorkbookRefused as refused:
                if len(workbook.sheetnames) < 2:
                    raise
                raise WorkbookRefused(
                    f"{refused}（读取的是工作表“{worksheet.title}”；工作簿中的工作表：{sheet_choices(workbook)}。"
                    "如名单在其他工作表，请填写工作表名称。）"
                ) from refused

        return read_rows(workbook, worksheet, max_rows=max_rows, width_from=width_naming_the_sheet)
    except WorkbookRefused:
        raise
    except Exception as error:
        raise refusal_for_unexpected(error) from error
    finally:
        workbook.close()

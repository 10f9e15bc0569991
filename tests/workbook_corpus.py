"""Small workbooks written part by part, each reproducing one producer's habit (built at test time).

openpyxl writes tidy files; the files organisers upload come from Excel (also as Strict Open XML),
WPS, LibreOffice, Gnumeric, Google Sheets, Numbers, Tencent Docs and other systems' export buttons.
`package()` writes the XML parts into a zip the way those producers do: a declared <dimension> that
is too small, too large or reaches XFD, inline strings, namespace prefixes, hidden sheets, formulas
without a stored result, capitalised part names, chart sheets, Strict namespaces.
`compound_file()` writes an OLE2 container (what Excel writes for 用密码进行加密, and old .xls).

Checked while writing it: olefile reads these containers' directories as written, and the reader's
ole_stream_names reads the container msoffcrypto-tool 6.1 writes when encrypting a workbook (mini
streams, the \x06DataSpaces storages) — neither tool is a dependency of the project.
"""

import io
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_RELS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


@dataclass(frozen=True)
class Formula:
    """A formula cell; cached=None writes no <v> (as libraries write them)."""

    text: str
    cached: str | None = None


@dataclass
class Sheet:
    name: str
    rows: list[list] = field(default_factory=list)  # from Excel row `first_row`; None = no cell
    first_row: int = 1
    state: str = "visible"  # visible / hidden / veryHidden
    dimension: str | None = "auto"  # the declared <dimension ref>; "auto" = the true one; None = none
    hidden_rows: tuple[int, ...] = ()
    merges: tuple[str, ...] = ()
    extra_cells: tuple[tuple[str, str], ...] = ()  # (coordinate, text) written after the rows, e.g. ("XFD7", "x")
    styled_empty_rows_to: int = 0  # WPS for Mac: formatted empty rows down to this row
    styled_empty_cells: int = 1  # … each with this many formatted empty cells
    chart: bool = False  # a chart sheet (no cells)


def _cell(ref: str, value, strings: str, table: list[str], p: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        cached = "" if value.cached is None else f"<{p}v>{escape(value.cached)}</{p}v>"
        return f'<{p}c r="{ref}" t="str"><{p}f>{escape(value.text)}</{p}f>{cached}</{p}c>'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<{p}c r="{ref}"><{p}v>{value}</{p}v></{p}c>'
    text = escape(str(value))
    if strings == "inline":
        return f'<{p}c r="{ref}" t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'
    table.append(str(value))
    return f'<{p}c r="{ref}" t="s"><{p}v>{len(table) - 1}</{p}v></{p}c>'


def _shared_string(text: str, strings: str, p: str) -> str:
    if strings != "rich" or len(text) < 2:
        return f"<{p}si><{p}t>{escape(text)}</{p}t></{p}si>"
    # Excel's rich text: runs with their own formatting, and a phonetic guide that is not part of the text.
    return (
        f'<{p}si><{p}r><{p}rPr><{p}b/><{p}sz val="11"/></{p}rPr><{p}t>{escape(text[0])}</{p}t></{p}r>'
        f'<{p}r><{p}t xml:space="preserve">{escape(text[1:])}</{p}t></{p}r>'
        f'<{p}rPh sb="0" eb="1"><{p}t>ピン</{p}t></{p}rPh><{p}phoneticPr fontId="1"/></{p}si>'
    )


def _true_dimension(sheet: Sheet) -> str:
    last_row = sheet.first_row + len(sheet.rows) - 1
    last_col = max((len(row) for row in sheet.rows), default=1)
    return f"A1:{get_column_letter(last_col)}{max(last_row, 1)}"


def _worksheet_xml(sheet: Sheet, strings: str, table: list[str], p: str, main: str) -> str:
    ns = f'xmlns:{p[:-1]}="{main}"' if p else f'xmlns="{main}"'
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {ns}>']
    dimension = _true_dimension(sheet) if sheet.dimension == "auto" else sheet.dimension
    if dimension:
        parts.append(f'<{p}dimension ref="{dimension}"/>')
    parts.append(f"<{p}sheetData>")
    extra: dict[int, list[tuple[str, str]]] = {}
    for ref, text in sheet.extra_cells:
        number = int("".join(ch for ch in ref if ch.isdigit()))
        extra.setdefault(number, []).append((ref, text))
    last = sheet.first_row + len(sheet.rows) - 1
    for number in range(1, max(last, max(extra, default=0)) + 1):
        index = number - sheet.first_row
        values = sheet.rows[index] if 0 <= index < len(sheet.rows) else []
        cells = "".join(
            _cell(f"{get_column_letter(col)}{number}", value, strings, table, p)
            for col, value in enumerate(values, start=1)
        )
        cells += "".join(_cell(ref, text, strings, table, p) for ref, text in extra.get(number, []))
        if not cells and number not in sheet.hidden_rows:
            continue
        hidden = ' hidden="1"' if number in sheet.hidden_rows else ""
        parts.append(f'<{p}row r="{number}"{hidden}>{cells}</{p}row>')
    letters = [get_column_letter(c) for c in range(1, sheet.styled_empty_cells + 1)]
    for number in range(max(last, max(extra, default=0)) + 1, sheet.styled_empty_rows_to + 1):
        cells = "".join(f'<{p}c r="{letter}{number}" s="1"/>' for letter in letters)
        parts.append(f'<{p}row r="{number}" s="1" customFormat="1">{cells}</{p}row>')
    parts.append(f"</{p}sheetData>")
    if sheet.merges:
        parts.append(f'<{p}mergeCells count="{len(sheet.merges)}">')
        parts.extend(f'<{p}mergeCell ref="{ref}"/>' for ref in sheet.merges)
        parts.append(f"</{p}mergeCells>")
    parts.append(f"</{p}worksheet>")
    return "".join(parts)


def _chartsheet_xml(main: str, rels: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<chartsheet xmlns="{main}" xmlns:r="{rels}">'
        '<sheetPr/><sheetViews><sheetView workbookViewId="0"/></sheetViews></chartsheet>'
    )


def package(
    sheets: list[Sheet],
    *,
    strings: str = "shared",  # shared / inline / rich (shared, as runs with a phonetic guide)
    prefix: str = "",  # e.g. "x": every element of the sheets written as <x:c>
    strict: bool = False,
    shared_strings_part: str = "sharedStrings.xml",  # the name in the zip; the references say sharedStrings.xml
    date1904: bool = False,
) -> bytes:
    """An .xlsx package with these sheets, written part by part."""
    main, rels = (STRICT_MAIN, STRICT_RELS) if strict else (MAIN, RELS)
    rel_type = f"{rels}/" if strict else f"{RELS}/"
    p = f"{prefix}:" if prefix else ""
    table: list[str] = []
    parts: dict[str, str] = {}
    overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>']
    workbook_rels, sheet_entries = [], []
    for index, sheet in enumerate(sheets, start=1):
        rid = f"rId{index}"
        if sheet.chart:
            path = f"chartsheets/sheet{index}.xml"
            parts[f"xl/{path}"] = _chartsheet_xml(main, rels)
            parts[f"xl/chartsheets/_rels/sheet{index}.xml.rels"] = f'<Relationships xmlns="{PKG_RELS}"/>'
            overrides.append(f'<Override PartName="/xl/{path}" ContentType="{CT}.chartsheet+xml"/>')
            workbook_rels.append(f'<Relationship Id="{rid}" Type="{rel_type}chartsheet" Target="{path}"/>')
        else:
            path = f"worksheets/sheet{index}.xml"
            parts[f"xl/{path}"] = _worksheet_xml(sheet, strings, table, p, main)
            overrides.append(f'<Override PartName="/xl/{path}" ContentType="{CT}.worksheet+xml"/>')
            workbook_rels.append(f'<Relationship Id="{rid}" Type="{rel_type}worksheet" Target="{path}"/>')
        state = f' state="{sheet.state}"' if sheet.state != "visible" else ""
        sheet_entries.append(f'<sheet name="{escape(sheet.name)}" sheetId="{index}"{state} r:id="{rid}"/>')
    if table:
        items = "".join(_shared_string(text, strings, p) for text in table)
        ns = f'xmlns:{prefix}="{main}"' if prefix else f'xmlns="{main}"'
        parts[f"xl/{shared_strings_part}"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<{p}sst {ns} count="{len(table)}" uniqueCount="{len(table)}">{items}</{p}sst>'
        )
        overrides.append(f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/>')
        workbook_rels.append(
            f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel_type}sharedStrings" Target="sharedStrings.xml"/>'
        )
    conformance = ' conformance="strict"' if strict else ""
    properties = ' date1904="1"' if date1904 else ""
    parts["xl/workbook.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{main}" xmlns:r="{rels}"{conformance}>'
        f"<workbookPr{properties}/><sheets>{''.join(sheet_entries)}</sheets></workbook>"
    )
    parts["xl/_rels/workbook.xml.rels"] = f'<Relationships xmlns="{PKG_RELS}">{"".join(workbook_rels)}</Relationships>'
    parts["_rels/.rels"] = (
        f'<Relationships xmlns="{PKG_RELS}"><Relationship Id="rId1" Type="{rel_type}officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{"".join(overrides)}</Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("[Content_Types].xml", *[n for n in parts if n != "[Content_Types].xml"]):
            archive.writestr(name, parts[name])
    return buffer.getvalue()


def zip_of(parts: dict[str, bytes]) -> bytes:
    """Any zip package, e.g. an .ods or an .xlsb renamed to .xlsx."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------ OLE2 containers

_END, _FREE, _FAT_SECTOR = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A Compound File (MS-CFB, version 3, 512-byte sectors) holding these streams under the root.

    Each stream is padded to 4,096 bytes so that none lives in the mini stream; the directory is one
    sector (up to three streams). Enough for a reader that looks at the directory, as ours does.
    """
    assert len(streams) <= 3
    sector = 512
    bodies = [data.ljust(max(4096, -(-len(data) // sector) * sector), b"\0") for data in streams.values()]
    fat = [_FAT_SECTOR, _END]  # sector 0: the FAT, sector 1: the directory
    starts = []
    for body in bodies:
        starts.append(len(fat))
        count = len(body) // sector
        fat.extend(range(len(fat) + 1, len(fat) + count))
        fat.append(_END)
    assert len(fat) <= 128
    fat += [_FREE] * (128 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int = _FREE, right: int = _FREE) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\0")
            + len(encoded).to_bytes(2, "little")
            + bytes([kind, 1])  # type, colour black
            + _FREE.to_bytes(4, "little")
            + right.to_bytes(4, "little")
            + child.to_bytes(4, "little")
            + b"\0" * 16  # CLSID
            + b"\0" * 4  # state bits
            + b"\0" * 16  # times
            + start.to_bytes(4, "little")
            + size.to_bytes(8, "little")
        )

    names = list(streams)
    entries = [entry("Root Entry", 5, _END, 0, child=1 if names else _FREE)]
    for index, name in enumerate(names):
        right = index + 2 if index + 1 < len(names) else _FREE
        entries.append(entry(name, 2, starts[index], len(bodies[index]), right=right))
    unused = b"\0" * 68 + _FREE.to_bytes(4, "little") * 3 + b"\0" * 48
    directory = b"".join(entries) + unused * (4 - len(entries))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + (0x3E).to_bytes(2, "little")
        + (3).to_bytes(2, "little")
        + b"\xfe\xff"
        + (9).to_bytes(2, "little")
        + (6).to_bytes(2, "little")
        + b"\0" * 6
        + (0).to_bytes(4, "little")  # directory sectors (0 in version 3)
        + (1).to_bytes(4, "little")  # FAT sectors
        + (1).to_bytes(4, "little")  # first directory sector
        + (0).to_bytes(4, "little")
        + (4096).to_bytes(4, "little")
        + _END.to_bytes(4, "little")  # mini FAT
        + (0).to_bytes(4, "little")
        + _END.to_bytes(4, "little")  # DIFAT chain
        + (0).to_bytes(4, "little")
        + (0).to_bytes(4, "little")  # DIFAT[0] = sector 0
        + _FREE.to_bytes(4, "little") * 108
    )
    assert len(header) == 512
    fat_sector = b"".join(n.to_bytes(4, "little") for n in fat)
    return header + fat_sector + directory + b"".join(bodies)


def encrypted_workbook() -> bytes:
    """What Excel and WPS write for a workbook with an opening password (ECMA-376 agile encryption)."""
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + b'<?xml version="1.0"?><encryption/>'
    return compound_file({"EncryptionInfo": info, "EncryptedPackage": b"\x10\x00\x00\x00" + b"\x5a" * 4096})


def legacy_xls() -> bytes:
    """An Excel 97-2003 workbook's container: one stream named Workbook."""
    return compound_file({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + b"\0" * 100})

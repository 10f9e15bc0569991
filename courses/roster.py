"""Roster import: one path for the organiser page, the admin, the API and the command.

read → analyse (normalise, validate, compare with the database) → preview, and
commit = the same analysis inside one transaction followed by bulk writes. A file
with any error row is never written; a failure midway leaves nothing behind.
"""

import logging
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from openpyxl.utils import get_column_letter

from accounts.identity import (
    id_number_error,
    mask_id_number,
    mask_mobile,
    mobile_error,
    normalise_id_number,
    normalise_mobile,
)
from accounts.models import District, Role, User
from accounts.services import teachers_bulk_create, teachers_bulk_update
from common.bulk import gc_paused, id_chunks, insert_rows
from common.excel import FormulaWithoutValue, WorkbookRefused, build_workbook, check_upload, read_sheet
from common.workbook_reader import MAX_KEPT_COLUMNS, refusal_for_unexpected

from .models import Enrolment, EnrolmentSource, EnrolmentStatus, Programme
from .selectors import programme_can_manage, programme_ended_refusal
from .signals import enrolments_bulk_created

audit = logging.getLogger("courses.audit")

FIELDS = ("name", "id_number", "mobile", "school", "district", "subject", "title")
CANONICAL_HEADERS = {
    "name": "姓名",
    "id_number": "身份证号",
    "mobile": "手机号",
    "school": "学校/单位",
    "district": "区县",
    "subject": "学科",
    "title": "职称",
}
HEADER_ALIASES = {
    "name": ("姓名", "教师姓名", "学员姓名", "名字"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证", "证件号"),
    "mobile": ("手机", "手机号", "手机号码", "联系电话", "联系方式", "电话", "移动电话"),
    "school": ("学校", "单位", "工作单位", "学校/单位", "学校名称", "所在学校", "单位名称", "学校(单位)", "所在单位"),
    "district": ("区县", "所属区县", "县区", "县(市、区)", "县(市,区)", "区(县)", "县市区", "所在区县"),
    "subject": ("学科", "任教学科"),
    "title": ("职称", "专业技术职称"),
}
_ALIAS_LOOKUP = {alias: key for key, aliases in HEADER_ALIASES.items() for alias in aliases}
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E\+?\d+$", re.IGNORECASE)
_DISTRICTS = [value for value, _label in District.choices]
HEADER_SEARCH_ROWS = 30
EXAMPLE_PREFIX = "示例"


class RosterHasErrors(Exception):
    def __init__(self, report: "RosterReport"):
        super().__init__(f"名单有 {len(report.errors)} 处错误，未导入任何数据。")
        self.report = report


@dataclass
class RosterRow:
    row: int
    raw: tuple
    values: dict
    action: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)
    teacher_pk: int | None = None
    changes: dict = field(default_factory=dict)
    enrolment_pk: int | None = None
    # Details the file gives differently from an existing teacher's record, never written: {key: message}.
    differences: dict = field(default_factory=dict)


@dataclass
class RosterReport:
    sheet: str
    header_row: int
    headers: list[str]
    columns: dict[str, int]
    rows: list[RosterRow]
    committed: bool = False
    notices: list[str] = field(default_factory=list)  # what the organiser should know though nothing is wrong

    @property
    def errors(self) -> list[dict]:
        return [
            {"row": row.row, "column": column, "message": message}
            for row in self.rows
            for column, message in row.errors
        ]

    @property
    def differences(self) -> list[dict]:
        return [
            {"row": row.row, "column": self.column_header(key), "message": message}
            for row in self.rows
            if not row.errors
            for key, message in row.differences.items()
        ]

    @property
    def error_rows(self) -> list[RosterRow]:
        return [row for row in self.rows if row.errors]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.errors)

    def as_dict(self) -> dict:
        return {
            "new": self.count("new"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "errors": self.errors,
            "differences": self.differences,
            "notices": self.notices,
        }

    def column_header(self, key: str) -> str:
        index = self.columns.get(key)
        return self.headers[index] if index is not None else CANONICAL_HEADERS[key]


def _header_key(cell) -> str | None:
    if cell is None:
        return None
    text = unicodedata.normalize("NFKC", str(cell))
    text = re.sub(r"\s+", "", text).replace("*", "").replace("＊", "")
    if text in _ALIAS_LOOKUP:
        return _ALIAS_LOOKUP[text]
    stripped = re.sub(r"\([^)]*\)$", "", text)  # 身份证号(必填)
    return _ALIAS_LOOKUP.get(stripped)


def _find_header(rows: list[tuple]) -> tuple[int, dict[str, int]]:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = _header_key(cell)
            if key and key not in columns:
                columns[key] = col
        if "name" in columns and "id_number" in columns:
            return index, columns
    raise WorkbookRefused(
        f"在前 {HEADER_SEARCH_ROWS} 行中找不到表头：表头行至少要有“姓名”和“身份证号”两列（也可写作“教师姓名”“身份证号码”“证件号码”）。"
    )


def _header_width(rows: list[tuple]) -> int:
    """Columns kept by the reader: up to the header's last recognised column (A to IV at most, so that
    memory stays bounded by rows × 256 however far right a header cell was typed)."""
    index, columns = _find_header(rows)
    last = max(columns.values())
    if last >= MAX_KEPT_COLUMNS:
        raise WorkbookRefused(
            f"表头（第 {index + 1} 行）的“{_text(rows[index][last])}”在 {get_column_letter(last + 1)} 列，"
            f"名单的各列应在前 {MAX_KEPT_COLUMNS} 列（A–IV 列）之内。请把该列移到左侧后再上传。"
        )
    return last + 1


def _text(value) -> str:
    if value is None or isinstance(value, FormulaWithoutValue):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isascii():  # NFKC leaves ASCII as it is; most cells of a roster are ASCII digits
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())  # every run of whitespace (Unicode too) to one space, trimmed


def _blank(row: tuple) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)


def _formulas_without_value(raw: tuple, columns: dict[str, int]) -> dict[str, str]:
    return {
        key: raw[index].coordinate
        for key, index in sorted(columns.items(), key=lambda item: item[1])
        if index < len(raw) and isinstance(raw[index], FormulaWithoutValue)
    }


def _parse_row(number: int, raw: tuple, columns: dict[str, int], header_text) -> RosterRow | None:
    def cell(key):
        index = columns.get(key)
        return raw[index] if index is not None and index < len(raw) else None

    errors: list[tuple[str, str]] = []
    name = _text(cell("name")).replace(" ", "")
    if name.startswith(EXAMPLE_PREFIX):
        return None
    # A formula saved without its result: what Excel shows there is unknown, so it is an error, never a blank.
    unknown = _formulas_without_value(raw, columns) if FormulaWithoutValue in map(type, raw) else {}
    errors.extend(
        (header_text(key), f"{coordinate} 单元格的公式没有计算结果，请在 Excel/WPS 中打开并保存后再上传。")
        for key, coordinate in unknown.items()
    )
    if "name" not in unknown:
        if not name:
            errors.append((header_text("name"), "姓名不能为空。"))
        elif len(name) > 50:
            errors.append((header_text("name"), "姓名过长（最多50个字符）。"))

    raw_id = cell("id_number")
    id_number = ""
    if "id_number" in unknown:
        pass  # reported above as a formula without its result, not as an empty cell
    elif isinstance(raw_id, int | float) or _SCIENTIFIC.match(_text(raw_id)):
        errors.append(
            (
                header_text("id_number"),
                "身份证号被 Excel 存成了数字，后几位已丢失（Excel 只保留15位有效数字）。"
                "请把该列设置为“文本”格式后重新录入完整的18位号码。",
            )
        )
    else:
        id_number = normalise_id_number(raw_id)
        if not id_number:
            errors.append((header_text("id_number"), "身份证号不能为空。"))
        else:
            problem = id_number_error(id_number)
            if problem:
                errors.append((header_text("id_number"), problem))

    mobile = normalise_mobile(_text(cell("mobile")))
    if mobile:
        problem = mobile_error(mobile)
        if problem:
            errors.append((header_text("mobile"), problem))

    district = _text(cell("district"))
    if district and district not in _DISTRICTS:
        matches = [choice for choice in _DISTRICTS if choice.startswith(district)]
        if len(matches) == 1:
            district = matches[0]
        else:
            errors.append((header_text("district"), f"区县“{district}”不在许昌市区县列表中：{'、'.join(_DISTRICTS)}。"))

    values = {
        "name": name,
        "id_number": id_number,
        "mobile": mobile,
        "school": _text(cell("school"))[:100],
        "district": district,
        "subject": _text(cell("subject"))[:30],
        "title": _text(cell("title"))[:30],
    }
    return RosterRow(row=number, raw=raw, values=values, errors=errors)


def parse_roster(data: bytes, *, filename: str = "", sheet: str | None = None) -> RosterReport:
    """Read and validate a file on its own, without the database.

    Never raises anything but WorkbookRefused: an unexpected failure is logged with a reference and
    refused with that reference, so no edge answers 500 for a file.
    """
    try:
        return _parse_roster(data, filename=filename, sheet=sheet)
    except WorkbookRefused:
        raise
    except Exception as error:
        raise refusal_for_unexpected(error, what="名单") from error


HIDDEN_ROWS_SHOWN = 20


def _hidden_rows_notice(numbers: list[int], sheet: str) -> str:
    listed = "、".join(str(n) for n in numbers[:HIDDEN_ROWS_SHOWN])
    more = f"等 {len(numbers)} 行" if len(numbers) > HIDDEN_ROWS_SHOWN else "行"
    return (
        f"工作表“{sheet}”的第 {listed} {more}在 Excel 中被隐藏（隐藏行或筛选），已一并导入。"
        "如这些行不应导入，请在文件中删除后重新上传。"
    )


SUMMARY_WORDS = ("合计", "小计", "总计", "共计", "总人数")
NOTE_STARTS = ("注：", "注:", "注 ", "备注", "说明", "填表说明", "制表", "审核人", "填表人", "联系人")


def _summary_or_note(raw: tuple, columns: dict[str, int]) -> str:
    """A 合计/小计 row or a footnote under the list, told apart from a teacher's row: its first text
    cell is a total's word or begins like a note, and the ID column holds no ID number."""
    texts = [_text(value).replace(" ", "").replace("\u3000", "") for value in raw if _text(value).strip()]
    if not texts:
        return ""
    index = columns.get("id_number")
    id_cell = raw[index] if index is not None and index < len(raw) else None
    if isinstance(id_cell, str) and sum(ch.isdigit() for ch in id_cell) >= 15:
        return ""
    first = texts[0]
    if any(first.startswith(word) for word in SUMMARY_WORDS):
        return "合计/小计行"
    if any(first.startswith(word.strip()) for word in NOTE_STARTS):
        return "说明行"
    return ""


def _skipped_notice(skipped: list[tuple[int, str]]) -> str:
    listed = "、".join(f"第{row}行（{kind}）" for row, kind in skipped[:HIDDEN_ROWS_SHOWN])
    more = f"等 {len(skipped)} 行" if len(skipped) > HIDDEN_ROWS_SHOWN else ""
    return f"{listed}{more}不是教师信息，已跳过，不会导入。"


def _parse_roster(data: bytes, *, filename: str, sheet: str | None) -> RosterReport:
    if not data:
        raise WorkbookRefused("上传的文件是空的（0 字节），里面没有名单。请选择填好教师信息的 .xlsx 文件重新上传。")
    check_upload(data, filename=filename)
    sheet_rows = read_sheet(data, sheet=sheet, width_from=_header_width)
    header_index, columns = _find_header(sheet_rows.rows)
    headers = [_text(cell) for cell in sheet_rows.rows[header_index]]
    report = RosterReport(
        sheet=sheet_rows.title, header_row=header_index + 1, headers=headers, columns=columns, rows=[]
    )
    header_text = report.column_header
    seen_ids: dict[str, int] = {}
    seen_mobiles: dict[str, int] = {}
    skipped: list[tuple[int, str]] = []
    for offset, raw in enumerate(sheet_rows.rows[header_index + 1 :], start=header_index + 2):
        if _blank(raw):
            continue
        kind = _summary_or_note(raw, columns)
        if kind:
            skipped.append((offset, kind))
            continue
        row = _parse_row(offset, raw, columns, header_text)
        if row is None:
            continue
        number, mobile = row.values["id_number"], row.values["mobile"]
        if number and not row.errors:
            if number in seen_ids:
                row.errors.append(
                    (
                        header_text("id_number"),
                        f"第{seen_ids[number]}行与第{row.row}行的身份证号重复，请删除重复的一行。",
                    )
                )
            else:
                seen_ids[number] = row.row
        if mobile and not row.errors:
            if mobile in seen_mobiles:
                row.errors.append(
                    (
                        header_text("mobile"),
                        f"第{seen_mobiles[mobile]}行与第{row.row}行的手机号相同，一个手机号只能对应一位教师。",
                    )
                )
            else:
                seen_mobiles[mobile] = row.row
        report.rows.append(row)
    if not report.rows:
        raise WorkbookRefused(
            f"工作表“{report.sheet}”第 {report.header_row} 行是表头，但表头下面没有教师数据"
            f"（以“{EXAMPLE_PREFIX}”开头的行不会导入）。请从第 {report.header_row + 1} 行起逐行填写教师信息后再上传。"
        )
    if skipped:
        report.notices.append(_skipped_notice(skipped))
    hidden = [row.row for row in report.rows if row.row in sheet_rows.hidden_rows]
    if hidden:
        report.notices.append(_hidden_rows_notice(hidden, report.sheet))
    return report


# A teacher's identity and contact details belong to the teacher: the mobile is what first sign-in
# checks, so an organiser who could rewrite it could claim the account. A roster never changes these
# on an existing teacher; it shows the difference and says who can change it.
PROTECTED_FIELDS = ("name", "mobile", "school", "district")
UPDATABLE_FIELDS = ("subject", "title")
DIFFERENCE_ADVICE = "本次导入不会修改：请教师本人登录后在“我的信息”中更新，或请教育局系统管理员更正。"


def _shown(key: str, value: str) -> str:
    if not value:
        return "空"
    return mask_mobile(value) if key == "mobile" else value


def _compare_with_database(report: RosterReport, programme: Programme, *, actor: User) -> None:
    """Classify each valid row as new / updated / unchanged, or add the conflict as an error.

    For a teacher already in the system only 学科 and 职称 can be updated; a different 姓名, 手机号,
    学校 or 区县 is kept in row.differences (shown in the preview, never written).
    """
    valid = [row for row in report.rows if not row.errors]
    detail_fields = PROTECTED_FIELDS + UPDATABLE_FIELDS
    existing: dict[str, dict] = {}
    for chunk in id_chunks([row.values["id_number"] for row in valid]):
        for record in User.objects.filter(id_number__any_of=chunk).values("pk", "id_number", "role", *detail_fields):
            existing[record["id_number"]] = record
    mobile_owner: dict[str, str] = {}
    for chunk in id_chunks([row.values["mobile"] for row in valid if row.values["mobile"]]):
        mobile_owner.update(User.objects.filter(mobile__any_of=chunk).values_list("mobile", "id_number"))
    enrolments: dict[int, tuple[int, str]] = {}
    for chunk in id_chunks([record["pk"] for record in existing.values()]):
        for pk, teacher_id, status in Enrolment.objects.filter(
            programme=programme, teacher_id__any_of=chunk
        ).values_list("pk", "teacher_id", "status"):
            enrolments[teacher_id] = (pk, status)

    ended = programme_ended_refusal(user=actor, programme=programme)
    active = Enrolment.objects.filter(programme=programme, status=EnrolmentStatus.ENROLLED).count()
    remaining = None if programme.capacity is None else programme.capacity - active
    places_left = remaining
    for row in valid:
        values = row.values
        record = existing.get(values["id_number"])
        owner = mobile_owner.get(values["mobile"]) if values["mobile"] else None
        if owner and owner != values["id_number"]:
            row.errors.append(
                (
                    report.column_header("mobile"),
                    f"手机号 {values['mobile']} 已被另一位教师（{mask_id_number(owner)}）使用，请核对。",
                )
            )
            continue
        if record and record["role"] != Role.TEACHER:
            row.errors.append(
                (report.column_header("id_number"), "该身份证号属于组织者或教育局账号，不能作为学员导入。")
            )
            continue
        if record:
            row.teacher_pk = record["pk"]
            row.changes = {
                key: values[key] for key in UPDATABLE_FIELDS if values[key] and values[key] != (record[key] or "")
            }
            # What the system holds is not shown: an ID number alone must not reveal another unit's
            # teacher's name, school or mobile to the importing organiser.
            row.differences = {
                key: f"与系统中该教师的记录不同（名单中为：{_shown(key, values[key])}）。{DIFFERENCE_ADVICE}"
                for key in PROTECTED_FIELDS
                if values[key] and values[key] != (record[key] or "")
            }
        enrolment = enrolments.get(record["pk"]) if record else None
        if enrolment and enrolment[1] == EnrolmentStatus.ENROLLED:
            row.action = "updated" if row.changes else "unchanged"
            continue
        if ended:
            row.errors.append(("", ended))
            continue
        row.enrolment_pk = enrolment[0] if enrolment else None
        if remaining is not None:
            if remaining <= 0:
                row.errors.append(
                    (
                        report.column_header("name"),
                        f"超出项目名额：名额 {programme.capacity} 人，导入前还剩 {max(places_left, 0)} 个名额，"
                        f"已由本名单前面的新学员用完；第{row.row}行及以后的新学员无法报名。",
                    )
                )
                continue
            remaining -= 1
        row.action = "new"


def roster_preview(
    *, actor: User, programme: Programme, data: bytes, filename: str = "", sheet: str | None = None
) -> RosterReport:
    """What importing this file would do; writes nothing."""
    if not programme_can_manage(user=actor, programme=programme):
        raise PermissionDenied("您无权为该培训项目导入名单。")
    with gc_paused():
        report = parse_roster(data, filename=filename, sheet=sheet)
        _compare_with_database(report, programme, actor=actor)
    return report


@transaction.atomic
def roster_commit(
    *,
    actor: User,
    programme: Programme,
    data: bytes,
    filename: str = "",
    sheet: str | None = None,
    progress=None,
    valid_rows_only: bool = False,
) -> RosterReport:
    """Import the whole file or nothing: the analysis is repeated under a lock on the programme.

    valid_rows_only is the organiser's explicit choice on the preview (“先导入无误的 N 行”): the rows
    without errors are written, the error rows are not, and the report says how many were left out.

    progress, if given, is called with a short Chinese line at each stage (the command prints them).
    """
    if not programme_can_manage(user=actor, programme=programme):
        raise PermissionDenied("您无权为该培训项目导入名单。")
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    try:
        with gc_paused():
            report = parse_roster(data, filename=filename, sheet=sheet)
            _compare_with_database(report, programme, actor=actor)
            if report.errors and not valid_rows_only:
                raise RosterHasErrors(report)
            if progress:
                progress(f"已读取并检查 {len(report.rows)} 行，正在写入…")
            with transaction.atomic():
                _apply(report, programme)
    except IntegrityError as error:
        raise WorkbookRefused(
            "导入时数据被其他操作同时修改（如同一教师被另一份名单导入），本次未导入任何数据，请重新导入。"
        ) from error
    report.committed = True
    audit.info(
        "roster import into programme %s by user %s: %s new enrolments, %s updated",
        programme.pk, actor.pk, report.count("new"), report.count("updated"),
    )  # fmt: skip
    return report


def _apply(report: RosterReport, programme: Programme) -> None:
    creates = [row for row in report.rows if row.action == "new" and row.teacher_pk is None]
    if creates:
        created = teachers_bulk_create(
            records=[{**row.values, "mobile": row.values["mobile"] or None} for row in creates]
        )
        for row in creates:
            row.teacher_pk = created[row.values["id_number"]]
    changed = [row for row in report.rows if row.changes]
    if changed:
        current = {u.pk: u for u in User.objects.filter(pk__in=[row.teacher_pk for row in changed])}
        for row in changed:
            for key, value in row.changes.items():
                setattr(current[row.teacher_pk], key, value)
        teachers_bulk_update(teachers=list(current.values()))
    new_rows = [row for row in report.rows if row.action == "new"]
    reactivate = [row.enrolment_pk for row in new_rows if row.enrolment_pk]
    if reactivate:
        Enrolment.objects.filter(pk__in=reactivate).update(
            status=EnrolmentStatus.ENROLLED, source=EnrolmentSource.IMPORT
        )
    insert_rows(
        Enrolment,
        [
            {"programme_id": programme.pk, "teacher_id": row.teacher_pk, "source": EnrolmentSource.IMPORT}
            for row in new_rows
            if not row.enrolment_pk
        ],
    )
    enrolments_bulk_created.send(
        sender=Enrolment,
        programme_id=programme.pk,
        teacher_ids=[row.teacher_pk for row in new_rows if not row.enrolment_pk],
        reactivated_ids=reactivate,
        changed_teacher_ids=[row.teacher_pk for row in changed],
        created_teacher_ids=[row.teacher_pk for row in creates],
    )


def _as_typed(value, is_id: bool):
    """A cell as the organiser typed it. An ID number Excel stored as a number has lost its last digits:
    it goes back as Excel showed it (4.11002E+17) and marked — never as 18 digits that look like an ID."""
    if value is None:
        return None
    if is_id and isinstance(value, int | float) and not isinstance(value, bool):
        shown = format(value, ".6G").replace("E+", "E+")
        return f"{shown}【Excel 存成了数字，原号码已丢失，请重新录入】"
    return _text(value)


def error_rows_workbook(report: RosterReport) -> bytes:
    """The rows with errors as they were in the file, plus a reason column, to fix and re-import."""
    headers = [h or f"第{i + 1}列" for i, h in enumerate(report.headers)] + ["错误原因", "原行号"]
    width = len(report.headers)
    id_index = report.columns.get("id_number")
    rows = []
    for row in report.error_rows:
        cells = list(row.raw[:width]) + [None] * (width - len(row.raw[:width]))
        cells = [_as_typed(value, index == id_index) for index, value in enumerate(cells)]
        reasons = "；".join(f"{column}：{message}" if column else message for column, message in row.errors)
        rows.append(cells + [reasons, row.row])
    id_header = report.column_header("id_number")
    return build_workbook([("错误行", headers, rows)], text_columns=[id_header])


def template_workbook() -> bytes:
    """The roster template: a title row, a notes row, the headers, an example row; ID column as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名单"
    headers = [CANONICAL_HEADERS[key] for key in FIELDS]
    sheet.append(["培训学员名单（导入模板）"])
    sheet.append(
        [
            "说明：从第4行起每行一位教师；姓名、身份证号必填；身份证号列已设为文本格式，请勿改为数字；"
            "手机号用于首次登录；区县填写：" + "、".join(_DISTRICTS) + "。以“示例”开头的行不会导入，可删除。"
        ]
    )
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 60
    sheet.append(headers)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    sheet.append(
        ["示例张三", "11010519491231002X", "13900000000", "许昌市第一中学", "魏都区", "道德与法治", "一级教师"]
    )
    for index, key in enumerate(FIELDS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 22 if key in ("id_number", "school") else 14
        if key in ("id_number", "mobile"):
            for row in range(4, 2004):
                sheet[f"{letter}{row}"].number_format = "@"
    import io

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

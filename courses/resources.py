"""The roster import in the Django admin: django-import-export's screens, courses.roster's rules.

The admin keeps import-export's own upload → preview → confirm pages, but nothing of its
per-row model logic: the format hands over the uploaded bytes untouched, the resource passes
them to roster_preview (the preview, a dry run) or roster_commit (the confirm), and turns the
RosterReport into an import-export Result that the standard templates know how to show. So the
admin, the organiser page, the API and the import_roster command accept and refuse the same rows.
"""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from import_export.fields import Field
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.resources import Resource
from import_export.results import RowResult

from accounts.identity import mask_id_number
from accounts.models import User
from common.excel import XLSX_CONTENT_TYPE, WorkbookRefused

from .models import Programme
from .roster import CANONICAL_HEADERS, FIELDS, RosterHasErrors, RosterReport, RosterRow, roster_commit, roster_preview
from .selectors import programme_can_manage, programmes_visible_to
from .xlsx_admin import PREVIEW_ROWS, FileError, RawXLSX, ReportResult, UploadStorage

# The preview page lists at most this many rows of each kind; the counts cover the whole file.
ROW_HEADER = "行号"
NOTE_HEADER = "说明"


def may_import_rosters(user: User) -> bool:
    """Who may open the admin import at all: organisers and superusers, never the bureau."""
    return user.is_active and (user.is_superuser or user.is_organiser)


def programmes_for_roster_import(*, user: User) -> QuerySet[Programme]:
    """The programmes this user may import a roster into (the same rule as the organiser page)."""
    managed = [p.pk for p in programmes_visible_to(user=user) if programme_can_manage(user=user, programme=p)]
    return Programme.objects.filter(pk__in=managed).order_by("-start_date", "code")


def summary_message(summary: dict) -> str:
    if summary["new"] or summary["updated"]:
        return f"导入完成：新增 {summary['new']} 人，更新 {summary['updated']} 人，未变 {summary['unchanged']} 人。"
    return f"名单中的 {summary['unchanged']} 人均已在项目中且信息未变，没有写入任何内容。"


# ---- The file: kept as bytes, read by courses.roster only.


class RosterXLSX(RawXLSX):
    """Excel workbook (.xlsx), import only."""


class RosterUploadStorage(UploadStorage):
    """Uploads waiting for the confirm step, in the default storage next to the organiser page's."""

    folder = "roster-uploads/admin"
    noun = "名单"


# ---- The forms: the programme is chosen on the upload form and carried to the confirm form.


class RosterImportForm(ImportForm):
    programme = forms.ModelChoiceField(
        label="培训项目",
        queryset=Programme.objects.none(),
        empty_label="请选择要导入名单的培训项目",
        help_text="只能选择本单位的培训项目。",
    )
    sheet = forms.CharField(label="工作表名称", required=False, max_length=31, help_text="可不填，默认第一个工作表。")
    field_order = ["resource", "programme", "import_file", "sheet", "format"]

    def __init__(self, formats, resources, *, user: User, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.fields["programme"].queryset = programmes_for_roster_import(user=user)
        self.fields["import_file"].label = "名单文件（.xlsx）"
        self.fields["import_file"].widget.attrs["accept"] = f".xlsx,{XLSX_CONTENT_TYPE}"


class RosterConfirmImportForm(ConfirmImportForm):
    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), widget=forms.HiddenInput())
    sheet = forms.CharField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes_for_roster_import(user=user)


# ---- The resource: courses.roster does the work, the Result only reports it.


class RosterResult(ReportResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme: Programme | None = None


_IMPORT_TYPES = {
    "new": RowResult.IMPORT_TYPE_NEW,
    "updated": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
}


class RosterResource(Resource):
    """Import a roster (.xlsx) into one programme through courses.roster."""

    @classmethod
    def get_display_name(cls) -> str:
        return "培训学员名单"

    def get_user_visible_fields(self):
        return [Field(column_name=CANONICAL_HEADERS[key]) for key in FIELDS]

    def get_diff_headers(self):
        return [ROW_HEADER, *(CANONICAL_HEADERS[key] for key in FIELDS), NOTE_HEADER]

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        *,
        user: User,
        programme: Programme,
        file_name: str | None = None,
        sheet: str | None = None,
        **kwargs,
    ) -> RosterResult:
        """roster_preview when dry_run, roster_commit otherwise (all rows or none, in its own transaction)."""
        result = RosterResult()
        result.programme = programme
        result.diff_headers = self.get_diff_headers()
        call = roster_preview if dry_run else roster_commit
        try:
            report = call(actor=user, programme=programme, data=dataset.raw, filename=file_name or "", sheet=sheet)
        except RosterHasErrors as refused:
            if raise_errors:
                raise
            report = refused.report
        except WorkbookRefused as error:
            if raise_errors:
                raise
            result.append_base_error(FileError(error))
            return result
        self._fill(result, report)
        return result

    def _fill(self, result: RosterResult, report: RosterReport) -> None:
        result.report = report
        result.diff_headers = [
            ROW_HEADER,
            *(report.column_header(key) for key in FIELDS if key in report.columns),
            NOTE_HEADER,
        ]
        result.total_rows = len(report.rows)
        shown = {"valid": 0, "invalid": 0}
        for row in report.rows:
            row_result = RowResult()
            values = self._row_values(report, row)
            if row.errors:
                row_result.import_type = RowResult.IMPORT_TYPE_INVALID
                row_result.validation_error = _validation_error(row)
            else:
                row_result.import_type = _IMPORT_TYPES[row.action]
                row_result.diff = [values[header] for header in result.diff_headers]
            row_result.row_values = values
            row_result.object_id = row.teacher_pk
            row_result.object_repr = f"{row.values['name']}（{mask_id_number(row.values['id_number'])}）"
            result.increment_row_result_total(row_result)
            kind = "invalid" if row.errors else "valid"
            shown[kind] += 1
            if shown[kind] > PREVIEW_ROWS:
                continue
            result.append_row_result(row_result)
            if row.errors:
                result.append_invalid_row(row.row, values, row_result.validation_error)

    @staticmethod
    def _row_values(report: RosterReport, row: RosterRow) -> dict:
        """What the preview shows of a row, by column header; the ID number is always masked."""
        values = {ROW_HEADER: row.row, NOTE_HEADER: _note(report, row)}
        for key in FIELDS:
            if key not in report.columns:
                continue
            value = row.values[key]
            if not value and row.errors:  # show what the file holds, e.g. an ID stored as a number
                index = report.columns[key]
                cell = row.raw[index] if index < len(row.raw) else None
                value = "" if cell is None else str(cell).strip()
            values[report.column_header(key)] = mask_id_number(value) if key == "id_number" else value
        return values


def _validation_error(row: RosterRow) -> ValidationError:
    by_column: dict[str, list[str]] = {}
    for column, message in row.errors:
        by_column.setdefault(column or NON_FIELD_ERRORS, []).append(message)
    return ValidationError(by_column)


def _note(report: RosterReport, row: RosterRow) -> str:
    if row.errors:
        return "有错误，不能导入"
    note = _action_note(report, row)
    if row.differences:
        differing = "、".join(report.column_header(key) for key in row.differences)
        note += f"；{differing}与系统记录不同，不会修改（由教师本人登录后更新，或由教育局系统管理员更正）"
    return note


def _action_note(report: RosterReport, row: RosterRow) -> str:
    changed = "、".join(report.column_header(key) for key in row.changes)
    if row.action == "unchanged":
        return "已在项目中，信息未变"
    if row.action == "updated":
        return f"已在项目中，更新：{changed}"
    if row.teacher_pk is None:
        return "新教师：建立账号并报名"
    note = "恢复已取消的报名" if row.enrolment_pk else "已有账号：报名"
    return f"{note}；更新：{changed}" if changed else note

"""Back office: the shared question bank (the bureau's bank manager and the superuser edit, organisers
and the bureau read) and quizzes per programme.

The bank's .xlsx import and export use django-import-export's admin pages the way the roster import
does (courses/resources.py): the format hands over the uploaded bytes untouched, the resource passes
them to exams.question_io (questions_preview for the dry run, questions_commit on confirm) and turns
the QuestionReport into an import-export Result. So the admin and `manage.py import_questions`
accept and refuse the same rows.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.urls import path
from django.utils import timezone
from import_export.admin import ExportActionMixin, ImportMixin
from import_export.fields import Field
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm
from import_export.resources import Resource
from import_export.results import RowResult

from accounts.admin import RoleAccessMixin, is_back_office
from common.downloads import attachment
from common.excel import XLSX_CONTENT_TYPE, WorkbookRefused
from courses.admin import ProgrammeScopedAdmin
from courses.xlsx_admin import (
    PREVIEW_ROWS,
    FileError,
    RawDataset,
    RawXLSX,
    ReportResult,
    UploadStorage,
    refused_on_confirm,
)

from .models import Law, Option, Question, QuestionKind, Quiz
from .question_io import (
    ANSWER,
    ARTICLE,
    CODE,
    DIFFICULTY,
    DIFFICULTY_LABELS,
    EXPLANATION,
    KIND,
    LAW,
    REVISION,
    STEM,
    QuestionImportHasErrors,
    QuestionReport,
    QuestionRow,
    may_manage_question_bank,
    questions_commit,
    questions_preview,
    questions_workbook,
    template_headers,
    template_workbook,
)
from .services import QUESTION_FIELDS, question_code_next, question_problems, question_revise


class OptionInlineFormSet(forms.BaseInlineFormSet):
    """The same rules as the import: one correct for single choice, at least two for multiple, 正确/错误 for true/false."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        options = [
            (form.cleaned_data.get("text", ""), form.cleaned_data.get("is_correct", False))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        problems = question_problems(
            law=self.instance.law_id,
            kind=self.instance.kind,
            options=options,
            stem=self.instance.stem,
            explanation=self.instance.explanation,
        )
        if problems:
            raise forms.ValidationError(problems)


class OptionInline(admin.TabularInline):
    model = Option
    formset = OptionInlineFormSet
    extra = 4
    fields = ["position", "text", "is_correct"]

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return may_manage_question_bank(request.user)

    def has_change_permission(self, request, obj=None):
        return may_manage_question_bank(request.user)

    def has_delete_permission(self, request, obj=None):
        return may_manage_question_bank(request.user)


# ---- The question bank as .xlsx: the file kept as bytes, read and written by exams.question_io only.

ROW_HEADER = "行号"
NOTE_HEADER = "说明"
_IMPORT_TYPES = {
    "new": RowResult.IMPORT_TYPE_NEW,
    "updated": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
}
_TEXT_KEYS = (CODE, KIND, LAW, REVISION, ARTICLE, DIFFICULTY, STEM)


def question_summary_message(summary: dict) -> str:
    updated = summary.get("update", summary.get("updated", 0))
    if summary["new"] or updated:
        return (
            f"题库导入完成：新增 {summary['new']} 题，修改 {updated} 题，"
            f"已在题库中（未变）{summary.get('skip', summary.get('unchanged', 0))} 题。"
        )
    return f"文件中的 {summary.get('skip', summary.get('unchanged', 0))} 道题均已在题库中，没有写入任何内容。"


class QuestionXLSX(RawXLSX):
    """Excel workbook (.xlsx)."""

    exportable = True


class QuestionUploadStorage(UploadStorage):
    """Uploads waiting for the confirm step, in the default storage."""

    folder = "question-uploads/admin"
    noun = "题库文件"


class QuestionImportForm(ImportForm):
    sheet = forms.CharField(label="工作表名称", required=False, max_length=31, help_text="可不填，默认第一个工作表。")
    field_order = ["resource", "import_file", "sheet", "format"]

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.fields["import_file"].label = "题库文件（.xlsx）"
        self.fields["import_file"].widget.attrs["accept"] = f".xlsx,{XLSX_CONTENT_TYPE}"


class QuestionConfirmImportForm(ConfirmImportForm):
    sheet = forms.CharField(required=False, widget=forms.HiddenInput())


class QuestionResult(ReportResult):
    @property
    def differing_count(self) -> int:
        return sum(1 for row in self.report.rows if row.differs and not row.errors) if self.report else 0


class QuestionResource(Resource):
    """Import into and export the question bank (.xlsx) through exams.question_io."""

    @classmethod
    def get_display_name(cls) -> str:
        return "题库试题"

    def get_user_visible_fields(self):
        return [Field(column_name=header) for header in template_headers()]

    def get_diff_headers(self):
        return [ROW_HEADER, *template_headers(), NOTE_HEADER]

    def export(self, queryset=None, **kwargs):
        return RawDataset(questions_workbook(queryset))

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        *,
        user,
        file_name: str | None = None,
        sheet: str | None = None,
        **kwargs,
    ) -> QuestionResult:
        """questions_preview when dry_run, questions_commit otherwise (all rows or none, in its own transaction)."""
        result = QuestionResult()
        result.diff_headers = self.get_diff_headers()
        call = questions_preview if dry_run else questions_commit
        try:
            report = call(data=dataset.raw, filename=file_name or "", sheet=sheet, actor=user)
        except QuestionImportHasErrors as refused:
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

    def _fill(self, result: QuestionResult, report: QuestionReport) -> None:
        result.report = report
        keys = [key for key in _TEXT_KEYS if key in report.columns]
        result.diff_headers = [
            ROW_HEADER,
            *(report.column_header(key) for key in keys),
            *(report.column_header(letter) for letter in sorted(report.option_columns)),
            *(report.column_header(key) for key in (ANSWER, EXPLANATION)),
            NOTE_HEADER,
        ]
        result.total_rows = len(report.rows)
        shown = {"valid": 0, "invalid": 0}
        for row in report.rows:
            row_result = RowResult()
            values = _row_values(report, row)
            if row.errors:
                row_result.import_type = RowResult.IMPORT_TYPE_INVALID
                row_result.validation_error = _validation_error(row)
            else:
                row_result.import_type = _IMPORT_TYPES[row.action]
                row_result.diff = [values.get(header, "") for header in result.diff_headers]
            row_result.row_values = values
            row_result.object_id = row.question_pk
            row_result.object_repr = f"[{row.values[LAW]}] {row.values[STEM][:40]}"
            result.increment_row_result_total(row_result)
            kind = "invalid" if row.errors else "valid"
            shown[kind] += 1
            if shown[kind] > PREVIEW_ROWS:
                continue
            result.append_row_result(row_result)
            if row.errors:
                result.append_invalid_row(row.row, values, row_result.validation_error)


def _row_values(report: QuestionReport, row: QuestionRow) -> dict:
    """What the preview shows of a row, by the file's headers: the normalised values, or the cell as typed."""
    values = {ROW_HEADER: row.row, NOTE_HEADER: _note(row)}
    parsed = dict(zip(row.letters, row.options, strict=True))  # a true/false row's empty A/B read as 正确/错误
    answer = row.values[ANSWER]
    if not row.errors:
        answer = "".join(letter for letter, (_text, correct) in parsed.items() if correct)
        if row.values[KIND] == QuestionKind.TRUEFALSE:
            answer = f"{answer}（{''.join(text for text, correct in parsed.values() if correct)}）"
    shown = {
        KIND: QuestionKind(row.values[KIND]).label if row.values[KIND] in QuestionKind.values else None,
        DIFFICULTY: DIFFICULTY_LABELS.get(row.values[DIFFICULTY]),
        ANSWER: answer,
    }
    for key in (*_TEXT_KEYS, ANSWER, EXPLANATION):
        index = report.columns.get(key)
        if index is None:
            continue
        value = shown.get(key, row.values.get(key))
        if value in (None, ""):
            cell = row.raw[index] if index < len(row.raw) else None
            value = "" if cell is None else str(cell).strip()
        values[report.column_header(key)] = value
    for letter, index in report.option_columns.items():
        cell = row.raw[index] if index < len(row.raw) else None
        text = parsed[letter][0] if letter in parsed and not row.errors else cell
        values[report.column_header(letter)] = "" if text is None else str(text).strip()
    return values


def _validation_error(row: QuestionRow) -> ValidationError:
    by_column: dict[str, list[str]] = {}
    for column, message in row.errors:
        by_column.setdefault(column or NON_FIELD_ERRORS, []).append(message)
    return ValidationError(by_column)


def _note(row: QuestionRow) -> str:
    if row.errors:
        return "有错误，不能导入"
    if row.action == "new":
        return "新题：加入题库"
    if row.action == "updated":
        return f"按编号修改：{'、'.join(row.differs)}与题库不同，导入后以文件为准（已有作答的试题保存为新版本）"
    state = "已在题库中（已停用）" if row.bank_inactive else "已在题库中"
    if row.differs:
        return f"{state}，但{'、'.join(row.differs)}与文件不同；导入不修改已有试题，如需修改请在后台编辑该题"
    return f"{state}，未变"


class QuestionImportExportMixin(ImportMixin, ExportActionMixin):
    """The bank's import (organisers and superusers) and export (the whole back office, the bureau too)."""

    resource_classes = [QuestionResource]
    import_form_class = QuestionImportForm
    confirm_form_class = QuestionConfirmImportForm
    import_template_name = "admin/exams/question/question_import.html"
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    tmp_storage_class = QuestionUploadStorage
    skip_import_confirm = False
    skip_admin_log = True  # rows carry no saved instances to log
    export_form_class = ExportForm
    skip_export_form = True  # one format, one layout: the button downloads at once (respecting the filters)
    skip_export_form_from_action = True
    show_change_form_export = False  # import-export's change-form button would save the form first

    def get_import_formats(self):
        return [QuestionXLSX]

    def get_export_formats(self):
        return [QuestionXLSX]

    def has_import_permission(self, request):
        return may_manage_question_bank(request.user)

    def has_export_permission(self, request):
        return is_back_office(request.user)

    def get_export_filename(self, request, queryset, file_format):
        return f"question-bank-{timezone.localdate():%Y%m%d}.xlsx"

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["sheet"] = import_form.cleaned_data["sheet"]
        return initial

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.pop("form")
        kwargs.pop("request", None)
        return {**kwargs, "sheet": form.cleaned_data.get("sheet") or None}

    def get_urls(self):
        app_label, model_name = self.get_model_info()
        return [
            path(
                "import-template/",
                self.admin_site.admin_view(self.import_template_view),
                name=f"{app_label}_{model_name}_import_template",
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        return attachment(template_workbook(), filename="题库导入模板.xlsx")

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        # A refused file is never confirmed: do not keep it waiting in storage.
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        upload = form.cleaned_data.get("import_file") if form is not None and hasattr(form, "cleaned_data") else None
        name = getattr(upload, "tmp_storage_name", None)
        if name and not context.get("confirm_form"):
            self.get_tmp_storage_class()(name=name, **self.get_tmp_storage_class_kwargs()).remove()
        return response

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The bank changed between preview and confirm: questions_commit wrote nothing; say why.
            return self._refused_on_confirm(result, request)
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        messages.success(request, question_summary_message(result.summary))

    def _refused_on_confirm(self, result, request):
        form = self.get_import_form_class(request)(self.get_import_formats(), self.get_import_resource_classes(request))
        messages.error(request, "确认导入时题库文件未通过检查，未导入任何试题。请按下列原因修改后重新上传。")
        return refused_on_confirm(self, request, result=result, form=form, title="导入题库")


@admin.register(Law)
class LawAdmin(RoleAccessMixin, admin.ModelAdmin):
    """The laws the bank draws on: adding one is a row here (or in the bank's fixture), not a code change."""

    list_display = ["name", "title", "revision", "effective_on", "code", "position"]
    search_fields = ["name", "title"]

    # The laws belong to the bank every unit shares: its keeper changes them, like the questions.
    def has_add_permission(self, request, obj=None):
        return may_manage_question_bank(request.user)

    def has_change_permission(self, request, obj=None):
        return may_manage_question_bank(request.user)

    def has_delete_permission(self, request, obj=None):
        return may_manage_question_bank(request.user)


@admin.register(Question)
class QuestionAdmin(RoleAccessMixin, QuestionImportExportMixin, admin.ModelAdmin):
    """An edit saved here goes through exams.services.question_revise, so a question teachers were given
    becomes a new version instead of changing what their attempts show."""

    list_display = ["code", "version", "stem", "law", "revision", "article", "kind", "difficulty", "is_active"]
    list_filter = ["is_current", "law", "kind", "difficulty", "is_active"]
    search_fields = ["code", "stem", "article"]
    readonly_fields = ["code", "version", "is_current"]
    inlines = [OptionInline]

    def has_add_permission(self, request, obj=None):
        return may_manage_question_bank(request.user)

    def has_change_permission(self, request, obj=None):
        return may_manage_question_bank(request.user)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("law")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.code = obj.code or question_code_next(law=obj.law_id)
            super().save_model(request, obj, form, change)
        # An edit is written in save_related, with its options, by question_revise.

    def save_related(self, request, form, formsets, change):
        if not change:
            return super().save_related(request, form, formsets, change)
        options = [
            (inline.cleaned_data["text"], inline.cleaned_data.get("is_correct", False))
            for formset in formsets
            for inline in sorted(
                (f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")),
                key=lambda f: f.cleaned_data.get("position") or 0,
            )
        ]
        for formset in formsets:  # not saved: question_revise writes the options; the change message reads these
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        data = form.cleaned_data
        original = Question.objects.get(pk=form.instance.pk)
        revised = question_revise(
            question=original,
            options=options,
            is_active=data.get("is_active", original.is_active),
            **{name: data[name].name if name == "law" else data[name] for name in QUESTION_FIELDS if name in data},
        )
        if revised.pk != original.pk:
            messages.info(
                request,
                f"该题已有教师作答，修改已保存为 {revised.code} 的第{revised.version}版；以前的作答仍显示原题。",
            )


class QuizForm(forms.ModelForm):
    """The quiz's law choice is a list of the laws in the bank (exams.Law), ticked rather than typed."""

    laws = forms.MultipleChoiceField(
        label="限定法律", required=False, widget=forms.CheckboxSelectMultiple, help_text="不选表示全部法律。"
    )

    class Meta:
        model = Quiz
        fields = [
            "programme", "title", "single_count", "multiple_count", "truefalse_count", "laws", "draw_rules",
            "avoid_seen", "time_limit_minutes", "pass_mark", "max_attempts", "score_policy", "opens_at", "closes_at",
            "shuffle_questions", "shuffle_options", "review_policy", "multiple_rule",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["laws"].choices = [(law.name, law.title) for law in Law.objects.all()]

    def _post_clean(self):
        # The superuser's admin asks the bank what quiz_create and quiz_update ask (one rule, in services).
        super()._post_clean()
        if not self.errors:
            from .services import _check_bank

            try:
                _check_bank(self.instance)
            except ValidationError as error:
                self._update_errors(error)


@admin.register(Quiz)
class QuizAdmin(ProgrammeScopedAdmin):
    form = QuizForm
    list_display = ["title", "programme", "opens_at", "closes_at", "max_attempts", "pass_mark", "avoid_seen"]
    list_filter = ["programme__year"]

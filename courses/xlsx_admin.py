"""Pieces for running our own .xlsx imports inside django-import-export's admin screens.

The admin keeps import-export's upload → preview → confirm pages; these pieces make it hand
the uploaded bytes, untouched, to this project's own readers (courses.roster, exams.question_io)
and keep the upload between the two steps in the default storage. Used by the roster import
(courses/resources.py) and the question bank (exams/admin.py).
"""

import re
import uuid

import tablib
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.template.response import TemplateResponse
from import_export.formats.base_formats import XLSX
from import_export.results import Error, Result
from import_export.tmp_storages import BaseStorage

from common.excel import XLSX_CONTENT_TYPE


class RawDataset(tablib.Dataset):
    """The uploaded workbook as it arrived; tablib never parses it (title rows, merged cells and
    numbers-for-text are the project's readers' business)."""

    def __init__(self, data: bytes):
        super().__init__()
        self.raw = data

    def __bool__(self) -> bool:
        return bool(self.raw)


class RawXLSX(XLSX):
    """Excel workbook (.xlsx): bytes in, and (where exporting is allowed) bytes out."""

    CONTENT_TYPE = XLSX_CONTENT_TYPE
    exportable = False

    def create_dataset(self, in_stream):
        return RawDataset(bytes(in_stream))

    def export_data(self, dataset, **kwargs):
        return dataset.raw

    def can_import(self) -> bool:
        return True

    def can_export(self) -> bool:
        return self.exportable


class UploadStorage(BaseStorage):
    """An upload waiting for the confirm step, in the default storage (shared by all app servers)."""

    folder = "uploads/admin"
    noun = "文件"

    def _path(self) -> str:
        if not re.fullmatch(r"[0-9a-f]{32}", self.name or ""):
            raise Http404(f"上传记录无效，请重新上传{self.noun}。")
        return f"{self.folder}/{self.name}.xlsx"

    def save(self, data: bytes) -> None:
        self.name = self.name or uuid.uuid4().hex
        default_storage.save(self._path(), ContentFile(data))

    def read(self) -> bytes:
        path = self._path()
        if not default_storage.exists(path):
            raise Http404(f"上传的文件已失效或已导入，请重新上传{self.noun}。")
        with default_storage.open(path, "rb") as handle:
            return handle.read()

    def remove(self) -> None:
        default_storage.delete(self._path())


def refused_on_confirm(model_admin, request, *, result, form, title: str) -> TemplateResponse:
    """The import page again, status 400, when the confirm step found the file no longer acceptable."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "opts": model_admin.model._meta,
        "media": model_admin.media + form.media,
        "result": result,
        "fields_list": [
            (resource.get_display_name(), [field.column_name for field in resource.get_user_visible_fields()])
            for resource in (cls() for cls in model_admin.get_import_resource_classes(request))
        ],
        "import_error_display": model_admin.import_error_display,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, [model_admin.import_template_name], context, status=400)


PREVIEW_ROWS = 500  # the preview lists at most this many rows of each kind; the counts cover the whole file


class FileError(Error):
    """A file refused as a whole (not .xlsx, no header row…): the message, no traceback."""

    traceback = ""


class ReportResult(Result):
    """import-export's Result around one of our reports (anything with rows, error_rows and as_dict())."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = None
        self.shown_rows = PREVIEW_ROWS

    @property
    def summary(self) -> dict | None:
        return self.report.as_dict() if self.report else None

    @property
    def error_row_count(self) -> int:
        return len(self.report.error_rows) if self.report else 0

    @property
    def truncated(self) -> bool:
        return bool(self.report) and (
            self.error_row_count > PREVIEW_ROWS or len(self.report.rows) - self.error_row_count > PREVIEW_ROWS
        )

"""The one way a generated file (an .xlsx export, a PDF) is handed to the browser."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(
    data: bytes, *, filename: str, content_type: str = XLSX_CONTENT_TYPE, inline: bool = False
) -> HttpResponse:
    """A download of `data` named `filename` (inline: shown by the browser, e.g. a PDF to print). The
    header is Django's own (as FileResponse writes it: filename*=UTF-8'' for Chinese names); the body is
    in memory, as every generated file here is small."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=not inline, filename=filename)
    return response

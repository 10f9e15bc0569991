"""The certificate PDF: A4 landscape, Chinese text in the standard Adobe CJK font, and a verification QR.

STSong-Light is one of the CJK fonts every PDF reader provides (Adobe-GB1), so nothing
is embedded: a certificate is a few kilobytes, and its text extracts as Unicode.
"""

import io
import re
import unicodedata

import qrcode
from django.conf import settings
from django.urls import reverse
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from common.dates import date_cn
from training_site.site import site_url

from .models import Certificate

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
RED = HexColor("#b71c1c")
INK = HexColor("#222222")


def verification_url(certificate: Certificate, *, site: str | None = None) -> str:
    """The public verification page, at `site` (a request's or a job's address, see site_url)."""
    return (site or site_url()) + reverse("certificates:verify_code", args=[certificate.verification_code])


_date = date_cn


NO_LINE_START = "，。、；：！？）》」』”’"


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Break Chinese text by width; closing punctuation never starts a line."""
    lines, line = [], ""
    for char in text:
        if pdfmetrics.stringWidth(line + char, FONT, size) > width and char not in NO_LINE_START:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line] if line else lines


def draw_certificate(pdf: canvas.Canvas, certificate: Certificate, *, site: str | None = None) -> None:
    width, height = landscape(A4)
    pdf.setTitle(f"{certificate.programme_title} 结业证书 {certificate.serial}")
    pdf.setAuthor(settings.TRAINING_BUREAU_NAME)
    pdf.setStrokeColor(RED)
    pdf.setLineWidth(6)
    pdf.rect(24, 24, width - 48, height - 48)
    pdf.setLineWidth(1.2)
    pdf.rect(36, 36, width - 72, height - 72)

    pdf.setFillColor(RED)
    pdf.setFont(FONT, 40)
    pdf.drawCentredString(width / 2, height - 120, "结 业 证 书")
    pdf.setFillColor(INK)
    pdf.setFont(FONT, 13)
    # A re-issued certificate says which version it is, as the verification page does.
    version = f"（第{certificate.version}版）" if certificate.version > 1 else ""
    pdf.drawRightString(width - 70, height - 70, f"编号：{certificate.serial}{version}")

    dates = _date(certificate.start_date)
    if certificate.end_date != certificate.start_date:
        dates += f"至{_date(certificate.end_date)}"
    hours = f"{certificate.credit_hours.normalize():f}"
    body = (
        f"{certificate.trainee_name} 同志：于{dates}参加{certificate.unit_name}组织的"
        f"“{certificate.programme_title}”（{certificate.level_display}），"
        f"完成培训 {hours} 学时，经考核合格，特发此证。"
    )
    pdf.setFont(FONT, 22)
    y = height - 200
    for line in _wrap(body, width - 220, 22):
        pdf.drawString(110, y, line)
        y -= 40

    from .selectors import certificate_style_for

    style = certificate_style_for(unit_id=certificate.programme.unit_id)
    if style.seal_png:
        # The red seal over the issuer's name, as on the bureau's paper certificates.
        from reportlab.lib.utils import ImageReader

        pdf.drawImage(
            ImageReader(io.BytesIO(bytes(style.seal_png))), width - 250, 100, 120, 120, mask="auto",
            preserveAspectRatio=True,
        )  # fmt: skip
    pdf.setFont(FONT, 18)
    pdf.drawRightString(width - 110, 150, style.issuer)
    if style.signatory:
        pdf.setFont(FONT, 13)
        pdf.drawRightString(width - 110, 172, style.signatory)
    pdf.setFont(FONT, 13)
    pdf.drawRightString(width - 110, 126, f"组织单位：{certificate.unit_name}")
    pdf.drawRightString(width - 110, 104, f"颁发日期：{_date(certificate.issued_at)}")

    draw_qr(pdf, verification_url(certificate, site=site), x=70, y=60, size=96)
    pdf.setFillColor(INK)
    pdf.setFont(FONT, 9)
    pdf.drawString(70, 50, "扫码验证证书真伪")


def draw_qr(pdf: canvas.Canvas, text: str, *, x: float, y: float, size: float) -> None:
    """The QR as one filled path, a rectangle per run of dark modules.

    reportlab's QR widget encodes twice and draws every module as its own shape, which
    made it 29 of a certificate's 30 ms (bench/certificates.py); this is about 4 ms.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    count = len(matrix)
    cell = size / count
    path = pdf.beginPath()
    for row_index, row in enumerate(matrix):
        column = 0
        while column < count:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < count and row[column]:
                column += 1
            path.rect(x + start * cell, y + size - (row_index + 1) * cell, (column - start) * cell, cell)
    pdf.setFillColor(HexColor("#000000"))
    pdf.drawPath(path, stroke=0, fill=1)


def certificate_pdf(certificate: Certificate, *, site: str | None = None) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=landscape(A4))
    draw_certificate(pdf, certificate, site=site)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


_UNSAFE_IN_NAME = re.compile(r"[^\w\u00b7·（）()-]+")


def safe_name_part(text: str, *, limit: int = 40) -> str:
    """A person's text made safe inside a file name (ZIP entries, downloads): letters, digits,
    CJK, and - _ · ( ) only, so no "../", slash, backslash, drive colon or control character
    can make an archive entry land outside its folder."""
    cleaned = _UNSAFE_IN_NAME.sub("_", unicodedata.normalize("NFKC", text or "")).strip("._")
    return cleaned[:limit] or "证书"


def certificate_filename(certificate: Certificate) -> str:
    name = safe_name_part(certificate.trainee_name)
    return f"{certificate.serial_year}-{certificate.serial_number:04d}-{name}.pdf"

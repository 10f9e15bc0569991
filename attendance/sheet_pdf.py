"""The printable sign-in sheet: the session's enrolled teachers (name, school, masked ID) with a signature
column, and for those with phones the QR (valid only inside the window) and the 6-digit code."""

import io

from django.utils import timezone
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from accounts.identity import mask_id_number

FONT = "STSong-Light"  # one of the standard CJK fonts every PDF reader has: nothing embedded
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _qr(url: str, size: float) -> Drawing:
    widget = QrCodeWidget(url)
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    return drawing


def sign_in_sheet_pdf(*, session, rows: list[dict], qr_url: str, code: str, window: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
        title=f"签到单 {session.title}",
    )  # fmt: skip
    title = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22)
    text = ParagraphStyle("text", fontName=FONT, fontSize=10, leading=14)
    start = timezone.localtime(session.starts_at)
    programme = session.programme
    qr = _qr(qr_url, 32 * mm)
    head = Table(
        [
            [
                [
                    Paragraph(f"{programme.title} · 签到单", title),
                    Paragraph(f"{session.title}　{start:%Y-%m-%d %H:%M}　{session.venue}", text),
                    Paragraph(f"有手机的学员可扫右侧二维码，或在签到页输入签到码 <b>{code}</b>（{window}）。", text),
                    Paragraph("没有手机的学员请在本表签名。", text),
                ],
                qr,
            ]
        ],
        colWidths=[140 * mm, 40 * mm],
    )
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    body = [["序号", "姓名", "学校/单位", "身份证号", "签名"]] + [
        [str(n), row["teacher"].name, row["teacher"].school, mask_id_number(row["teacher"].id_number), ""]
        for n, row in enumerate(rows, start=1)
    ]
    table = Table(body, colWidths=[12 * mm, 26 * mm, 62 * mm, 40 * mm, 40 * mm], repeatRows=1, rowHeights=9 * mm)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 10),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    document.build([head, Spacer(1, 6 * mm), Paragraph(f"应到 {len(rows)} 人", text), Spacer(1, 3 * mm), table])
    return buffer.getvalue()

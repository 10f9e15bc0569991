"""Build real .xlsx rosters in tests, shaped like the ones organisers actually send."""

import io

from openpyxl import Workbook


def roster_bytes(
    rows,
    *,
    headers=("姓名", "身份证号", "手机", "学校", "区县", "学科", "职称"),
    title_rows=(),
    merges=(),
    sheet_title="Sheet1",
    id_as_text=True,
):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    for title in title_rows:
        sheet.append(list(title) if isinstance(title, list | tuple) else [title])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for merge in merges:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

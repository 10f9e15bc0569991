"""The credit-hour ledger as .xlsx through the shared export pattern."""

from accounts.identity import mask_id_number
from common.excel import build_workbook
from courses.models import Level

from . import selectors


def ledger_workbook(*, user, year: int | None = None) -> bytes:
    levels = dict(Level.choices)
    rows = [
        [
            row["programme__year"],
            row["teacher__name"],
            mask_id_number(row["teacher__id_number"]),
            row["teacher__school"],
            row["teacher__district"],
            levels.get(row["level"], row["level"]),
            float(row["hours"]),
        ]
        for row in selectors.credit_ledger(user=user, year=year)
    ]
    return build_workbook(
        [("学时台账", ["年度", "姓名", "身份证号", "学校/单位", "区县", "培训级别", "学时"], rows)],
        text_columns=["身份证号"],
    )

"""The credit-hour ledger as .xlsx through the shared export pattern."""

from accounts.identity import mask_id_number
from courses.excel import build_workbook
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


def summary_workbook(*, data: dict) -> bytes:
    """The dashboard as .xlsx, one sheet per breakdown."""

    def rows(items, keys):
        return [
            [item.get(key) for key in keys]
            + [item["enrolments"], item["teachers"], item["completions"], item["completion_rate"], item["credit_hours"]]
            for item in items
        ]

    figures = ["报名人次", "教师人数", "结业人次", "结业率（%）", "学时"]
    overview = [
        ["年度", data["year"]],
        ["培训教师（人，去重）", data["distinct_teachers"]],
        ["报名（人次）", data["enrolments"]],
        ["结业（人次）", data["completions"]],
        ["结业率（%）", data["completion_rate"]],
        ["有效证书（张）", data["certificates"]],
        ["颁发学时", data["credit_hours"]],
        ["出勤率（%）", data["attendance_rate"]],
        ["测试通过率（%）", data["quiz_pass_rate"]],
    ]
    return build_workbook(
        [
            ("总览", ["指标", "数值"], overview),
            ("按级别", ["培训级别", *figures], rows(data["by_level"], ["level_display"])),
            (
                "按项目",
                ["项目编号", "项目名称", *figures],
                rows(data["by_programme"], ["programme__code", "programme__title"]),
            ),
            ("按区县", ["区县", *figures], rows(data["by_district"], ["teacher__district"])),
            (
                "按学校",
                ["区县", "学校/单位", *figures],
                rows(data["by_school"], ["teacher__district", "teacher__school"]),
            ),
            (
                "按月",
                ["月份", "报名（人次）", "颁发证书"],
                [[f"{t['month']}月", t["enrolments"], t["certificates"]] for t in data["trend"]],
            ),
        ]
    )

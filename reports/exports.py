"""The dashboard as .xlsx."""

from accounts.identity import mask_id_number
from common.excel import build_workbook

from .selectors import FollowUp


def follow_up_rows(facts) -> list[list]:
    """未结业学员: each enrolled teacher without a valid certificate, masked ID, and what is missing under the
    programme's current rule."""
    follow_up = FollowUp()
    return [
        [
            fact.district,
            fact.school,
            fact.teacher.name,
            mask_id_number(fact.teacher.id_number),
            fact.programme.code,
            fact.programme.title,
            follow_up.missing(fact),
        ]
        for fact in facts.iterator(chunk_size=2000)
    ]


def summary_workbook(*, data: dict, follow_up=None) -> bytes:
    """The dashboard as .xlsx, one sheet per breakdown, and the follow-up sheet when its facts are given."""

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
        + (
            [
                (
                    "未结业学员",
                    ["区县", "学校/单位", "姓名", "身份证号", "项目编号", "项目名称", "还差"],
                    follow_up_rows(follow_up),
                )
            ]
            if follow_up is not None
            else []
        ),
        text_columns=["身份证号"],
    )

"""Quiz results as .xlsx through the shared export pattern (masked IDs, neutralised cells)."""

from django.utils import timezone

from common.excel import build_workbook

from . import selectors
from .models import Quiz


def results_workbook(*, quiz: Quiz) -> bytes:
    rows = selectors.results_table(quiz=quiz)
    results = [
        [
            row["teacher"].name,
            row["teacher"].masked_id_number,
            row["teacher"].school,
            row["teacher"].district,
            row["attempts"],
            float(row["score"]) if row["score"] is not None else None,
            row["minutes"],
            "及格" if row["passed"] else ("不及格" if row["attempt"] else "未参加"),
            timezone.localtime(row["attempt"].submitted_at).strftime("%Y-%m-%d %H:%M") if row["attempt"] else "",
        ]
        for row in rows
    ]
    items = [
        [
            entry["code"],
            entry["stem"],
            entry["n"],
            entry["percent_correct"],
            entry["top_wrong"],
            entry["top_wrong_count"],
        ]
        for entry in selectors.item_analysis(quiz=quiz)
    ]
    return build_workbook(
        [
            (
                "成绩",
                ["姓名", "身份证号", "学校/单位", "区县", "作答次数", "计分成绩", "用时（分钟）", "结果", "交卷时间"],
                results,
            ),
            ("试题分析", ["编号", "题干", "作答人数", "答对率（%）", "最多人选的错误选项", "选择人数"], items),
        ],
        text_columns=["身份证号"],
    )

"""Attendance as .xlsx through the shared export pattern: masked IDs, neutralised cells."""

from accounts.identity import mask_id_number
from common.dates import datetime_text
from common.excel import build_workbook
from courses.models import Programme, Session

from . import selectors

_time = datetime_text


def session_workbook(*, session: Session) -> bytes:
    rows = selectors.session_report(session=session)
    headers = [
        "姓名",
        "身份证号",
        "学校/单位",
        "区县",
        "状态",
        "签到时间",
        "签退时间",
        "在场分钟",
        "方式",
        "手工标记时间",
        "标记人",
        "请假原因/标记说明",
        "可疑标记",
        "备注",
    ]
    body = []
    for row in rows:
        teacher, record = row["teacher"], row["record"]
        # The latest hand change (prefetched with who made it): its own time, apart from a check-in time.
        changes = sorted(record.changes.all(), key=lambda c: (c.changed_at, c.pk)) if record else []
        last = changes[-1] if changes else None
        body.append(
            [
                teacher.name,
                mask_id_number(teacher.id_number),
                teacher.school,
                teacher.district,
                row["status_display"],
                _time(record.checked_in_at) if record else "",
                _time(record.checked_out_at) if record else "",
                selectors.attended_minutes(record, session) if record else None,
                record.get_method_display() if record else "",
                _time(last.changed_at) if last else "",
                last.changed_by.name if last and last.changed_by else "",
                last.reason if last else "",
                record.flag if record else "",
                record.note if record else "",
            ]
        )
    return build_workbook([("考勤", headers, body)], text_columns=["身份证号"])


def programme_workbook(*, programme: Programme) -> bytes:
    total = programme.sessions.count()
    headers = ["姓名", "身份证号", "学校/单位", "区县", "应到课次", "出勤课次", "迟到", "请假", "出勤率"]
    body = [
        [
            t.name,
            mask_id_number(t.id_number),
            t.school,
            t.district,
            total,
            t.sessions_attended,
            t.sessions_late,
            t.sessions_excused,
            f"{(t.sessions_attended / total * 100) if total else 0:.0f}%",
        ]
        for t in selectors.programme_attendance(programme=programme).iterator(chunk_size=2000)
    ]
    return build_workbook([("考勤汇总", headers, body)], text_columns=["身份证号"])

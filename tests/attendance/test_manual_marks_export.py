"""A manual mark keeps its own time apart from a check-in time; the session export keeps leave reasons
and who marked what."""

import datetime
import io

import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from attendance.models import CheckIn
from attendance.services import attendance_mark
from courses.services import enrolment_create
from tests.factories import make_teacher


def test_a_manual_mark_is_no_check_in_time_and_the_export_says_who_and_why(client, organiser, programme):
    session = programme.sessions.get()
    present, excused = make_teacher(name="王永浩"), make_teacher(name="李芳")
    for teacher in (present, excused):
        enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    marked_at = timezone.localtime(session.starts_at) + datetime.timedelta(hours=3)
    with time_machine.travel(marked_at, tick=False):
        attendance_mark(actor=organiser, session=session, teacher=present, status="present")
        attendance_mark(
            actor=organiser, session=session, teacher=excused, status="excused", reason="因公外出（教研活动）"
        )
    assert CheckIn.objects.get(teacher=present).checked_in_at is None

    client.force_login(organiser)
    response = client.get(reverse("attendance:session_export", args=[session.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    by_name = {row[0]: dict(zip(headers, row, strict=False)) for row in rows[1:]}
    assert by_name["李芳"]["请假原因/标记说明"] == "因公外出（教研活动）"
    for name in ("王永浩", "李芳"):
        assert by_name[name]["标记人"] == organiser.name
        assert by_name[name]["手工标记时间"] == marked_at.strftime("%Y-%m-%d %H:%M")
        assert not by_name[name]["签到时间"]

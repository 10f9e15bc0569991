"""Manual marking with audit, reports, exports, the projector's data and the API."""

import io
import threading

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from attendance import tokens
from attendance.models import AttendanceChange, CheckIn
from attendance.services import checkin_record
from tests.attendance.conftest import at
from tests.factories import enrol_by_organiser, make_organiser, make_programme, make_teacher, make_unit, run_in_threads


def test_manual_marking_keeps_who_when_and_why(client, session, enrolled, organiser, frozen):
    frozen(at(10, 0))
    client.force_login(organiser)
    url = reverse("attendance:session", args=[session.pk])
    no_reason = client.post(url, {"teacher": enrolled.pk, "status": "excused", "reason": ""}, follow=True)
    assert "请填写原因" in no_reason.content.decode()
    assert not CheckIn.objects.exists()
    client.post(url, {"teacher": enrolled.pk, "status": "excused", "reason": "参加区教研活动"})
    frozen(at(10, 5))
    client.post(url, {"teacher": enrolled.pk, "status": "present", "reason": "补登记：投影故障"})
    record = CheckIn.objects.get()
    assert record.status == "present" and record.method == "manual"
    changes = list(
        AttendanceChange.objects.order_by("changed_at").values_list("from_status", "to_status", "reason", "changed_by")
    )
    assert changes == [
        ("", "excused", "参加区教研活动", organiser.pk),
        ("excused", "present", "补登记：投影故障", organiser.pk),
    ]
    page = client.get(url).content.decode()
    assert "补登记：投影故障" in page and organiser.name in page


def test_search_by_name_mobile_or_id_suffix(client, session, enrolled, organiser):
    client.force_login(organiser)
    url = reverse("attendance:session", args=[session.pk])
    for query in (enrolled.name, enrolled.mobile[-6:], enrolled.id_number[-4:]):
        assert enrolled.name in client.get(url, {"q": query}).content.decode()
    assert enrolled.name not in client.get(url, {"q": "不存在的人"}).content.decode()


def test_bureau_reads_but_cannot_mark_and_other_unit_cannot_see(client, session, enrolled, bureau, other_organiser):
    client.force_login(bureau)
    url = reverse("attendance:session", args=[session.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"teacher": enrolled.pk, "status": "present"}).status_code == 403
    assert client.get(reverse("attendance:projector", args=[session.pk])).status_code == 403
    client.force_login(other_organiser)
    assert client.get(url).status_code == 404
    assert client.get(reverse("attendance:live", args=[session.pk])).status_code == 404
    assert not CheckIn.objects.exists()


def test_teacher_cannot_open_projector_or_reports(client, session, enrolled):
    client.force_login(enrolled)
    assert client.get(reverse("attendance:projector", args=[session.pk])).status_code in (403, 404)
    assert client.get(reverse("attendance:session", args=[session.pk])).status_code in (403, 404)


def test_projector_live_data_has_a_fresh_qr_and_the_count(client, session, enrolled, organiser, frozen):
    frozen(at(8, 50))
    client.force_login(organiser)
    page = client.get(reverse("attendance:projector", args=[session.pk]))
    assert page.status_code == 200 and "data-checkin-url" in page.content.decode()
    live = client.get(reverse("attendance:live", args=[session.pk])).json()
    assert live["checked_in"] == 0 and live["enrolled"] == 1
    assert live["qr_svg"].startswith("<svg") or "<svg" in live["qr_svg"][:200]
    token = live["url"].rstrip("/").rsplit("/", 1)[-1]
    checkin_record(session=session, teacher=enrolled, scanned_at=at(8, 51))
    live = client.get(reverse("attendance:live", args=[session.pk])).json()
    assert live["checked_in"] == 1 and live["latest"] == [enrolled.name]
    assert tokens.read_token(token, moment=at(8, 50)).session_id == session.pk


def test_sheet_shows_the_code(client, session, organiser):
    client.force_login(organiser)
    page = client.get(reverse("attendance:sheet", args=[session.pk])).content.decode()
    assert tokens.session_code(session.pk) in page and "<svg" in page


def test_reports_and_exports_are_masked(client, session, lecture, enrolled, organiser):
    absent = make_teacher(name="缺席者")
    enrol_by_organiser(organiser=organiser, programme=lecture, teacher=absent)
    checkin_record(session=session, teacher=enrolled, scanned_at=at(9, 12))
    client.force_login(organiser)
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("attendance:session_export", args=[session.pk])).content)
    ).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["王永浩"][4] == "迟到" and rows["缺席者"][4] == "缺勤"
    assert rows["王永浩"][1] == enrolled.masked_id_number
    summary = load_workbook(
        io.BytesIO(client.get(reverse("attendance:programme_export", args=[lecture.code])).content)
    ).active
    values = list(summary.iter_rows(min_row=2, values_only=True))
    assert all(enrolled.id_number not in str(row) for row in values)
    assert {row[0]: row[-1] for row in values} == {"王永浩": "100%", "缺席者": "0%"}
    page = client.get(reverse("attendance:programme", args=[lecture.code])).content.decode()
    assert "1/1" in page and "0/1" in page


def test_api_scan_report_and_mark(session, enrolled, organiser, bureau, frozen):
    frozen(at(8, 58))
    teacher_api = APIClient()
    teacher_api.force_authenticate(enrolled)
    token = tokens.make_token(session_id=session.pk, kind="in", moment=at(8, 58))
    first = teacher_api.post("/api/checkins/scan/", {"token": token}, format="json")
    assert first.status_code == 201 and first.json()["outcome"] == "checked_in"
    again = teacher_api.post("/api/checkins/scan/", {"token": token}, format="json")
    assert again.status_code == 200 and again.json()["outcome"] == "already"
    assert teacher_api.post("/api/checkins/scan/", {"token": token + "x"}, format="json").status_code == 400
    assert teacher_api.get("/api/checkins/").json()["count"] == 1
    assert teacher_api.get(f"/api/attendance/sessions/{session.pk}/").status_code == 403
    assert (
        teacher_api.post(
            "/api/checkins/mark/", {"session": session.pk, "teacher": enrolled.pk, "status": "absent"}, format="json"
        ).status_code
        == 403
    )

    organiser_api = APIClient()
    organiser_api.force_authenticate(organiser)
    report = organiser_api.get(f"/api/attendance/sessions/{session.pk}/").json()
    assert report["summary"]["present"] == 1
    assert report["rows"][0]["id_number"] == enrolled.masked_id_number
    marked = organiser_api.post(
        "/api/checkins/mark/", {"session": session.pk, "teacher": enrolled.pk, "status": "excused"}, format="json"
    )
    assert marked.status_code == 400 and "reason" in marked.json()
    programme_report = organiser_api.get(f"/api/attendance/programmes/{session.programme.code}/").json()
    assert programme_report[0]["sessions_attended"] == 1 and programme_report[0]["ratio"] == 1.0

    bureau_api = APIClient()
    bureau_api.force_authenticate(bureau)
    assert bureau_api.get(f"/api/attendance/sessions/{session.pk}/").status_code == 200
    assert (
        bureau_api.post(
            "/api/checkins/mark/", {"session": session.pk, "teacher": enrolled.pk, "status": "absent"}, format="json"
        ).status_code
        == 403
    )
    assert CheckIn.objects.get().status == "present"


def test_api_refusals_are_4xx(session, frozen):
    frozen(at(8, 58))
    stranger = make_teacher()
    api = APIClient()
    api.force_authenticate(stranger)
    token = tokens.make_token(session_id=session.pk, kind="in", moment=at(8, 58))
    response = api.post("/api/checkins/scan/", {"token": token}, format="json")
    assert response.status_code == 403 and "没有报名" in response.json()["detail"]
    frozen(at(12, 0))
    late_token = tokens.make_token(session_id=session.pk, kind="in", moment=at(12, 0))
    assert api.post("/api/checkins/scan/", {"token": late_token}, format="json").status_code == 403
    assert api.post("/api/checkins/scan/", {}, format="json").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_simultaneous_scans_leave_one_record(postgres_only):
    import datetime
    import zoneinfo

    organiser = make_organiser(make_unit())
    day = datetime.date.today()
    programme = make_programme(organiser=organiser, start_date=day, end_date=day)
    session = programme.sessions.get()
    teacher = make_teacher()
    enrol_by_organiser(organiser=organiser, programme=programme, teacher=teacher)
    moment = session.starts_at.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    barrier = threading.Barrier(10)
    outcomes = []

    def scan_once():
        try:
            barrier.wait()
            outcomes.append(checkin_record(session=session, teacher=teacher, scanned_at=moment).outcome)
        finally:
            connection.close()

    run_in_threads(scan_once, [()] * 10)
    assert CheckIn.objects.filter(session=session, teacher=teacher).count() == 1
    assert outcomes.count("checked_in") == 1 and outcomes.count("already") == 9

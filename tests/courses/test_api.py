"""The REST API: role scoping, field errors in 400s, the schema and docs."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from courses.models import Enrolment, Programme, Session
from courses.services import enrolment_create
from tests.factories import make_bureau, make_programme, make_teacher


@pytest.fixture
def api():
    def as_user(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return as_user


PROGRAMME = {
    "code": "fz2021-0914",
    "title": "法治政府建设专题培训讲座",
    "level": "municipal",
    "kind": "lecture",
    "start_date": "2021-09-14",
    "end_date": "2021-09-14",
    "credit_hours": "3.0",
}


def test_organiser_creates_programme_in_own_unit(api, organiser, other_unit):
    response = api(organiser).post("/api/programmes/", {**PROGRAMME, "unit": other_unit.name}, format="json")
    assert response.status_code == 201, response.json()
    created = Programme.objects.get(code="FZ2021-0914")
    assert created.unit == organiser.unit and created.year == 2021
    assert response.json()["level_display"] == "市级"


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"end_date": "2021-09-13"}, "end_date", "结束日期不能早于开始日期"),
        ({"credit_hours": "-1"}, "credit_hours", ""),
        ({"level": "world"}, "level", ""),
        ({"year": 2020}, "year", "年度应与开始日期的年份一致"),
    ],
)
def test_bad_programme_input_gives_400_with_field_errors(api, organiser, change, field, text):
    response = api(organiser).post("/api/programmes/", {**PROGRAMME, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert text in str(response.json()[field])
    assert not Programme.objects.exists()


def test_duplicate_programme_code_is_a_400(api, organiser):
    api(organiser).post("/api/programmes/", PROGRAMME, format="json")
    response = api(organiser).post("/api/programmes/", PROGRAMME, format="json")
    assert response.status_code == 400
    assert "已存在" in str(response.json()["code"])


def test_session_outside_programme_or_reversed_is_400(api, organiser, programme):
    day = programme.start_date
    body = {"programme": programme.code, "title": "第二讲", "venue": "会议室"}
    outside = {
        **body,
        "starts_at": f"{day + datetime.timedelta(days=40)}T09:00:00+08:00",
        "ends_at": f"{day + datetime.timedelta(days=40)}T11:00:00+08:00",
    }
    response = api(organiser).post("/api/sessions/", outside, format="json")
    assert response.status_code == 400 and "课次时间必须在项目日期" in str(response.json())
    reversed_times = {**body, "starts_at": f"{day}T11:00:00+08:00", "ends_at": f"{day}T09:00:00+08:00"}
    response = api(organiser).post("/api/sessions/", reversed_times, format="json")
    assert response.status_code == 400 and "结束时间必须晚于开始时间" in str(response.json())
    assert programme.sessions.count() == 1


def test_organiser_cannot_see_or_change_another_units_programme(api, other_organiser, programme):
    client = api(other_organiser)
    assert client.get("/api/programmes/").json()["count"] == 0
    assert client.get(f"/api/programmes/{programme.code}/").status_code == 404
    assert client.patch(f"/api/programmes/{programme.code}/", {"title": "改"}, format="json").status_code == 404
    session = programme.sessions.get()
    assert client.patch(f"/api/sessions/{session.pk}/", {"title": "改"}, format="json").status_code == 404
    assert (
        client.post(
            "/api/sessions/",
            {
                "programme": programme.code,
                "title": "x",
                "starts_at": session.starts_at.isoformat(),
                "ends_at": session.ends_at.isoformat(),
            },
            format="json",
        ).status_code
        == 403
    )
    programme.refresh_from_db()
    assert programme.title == "法治政府建设专题培训讲座"


def test_bureau_reads_all_and_writes_nothing(api, bureau, programme, teacher):
    enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")
    client = api(bureau)
    assert client.get("/api/programmes/").json()["count"] == 1
    assert client.get("/api/enrolments/").json()["count"] == 1
    assert client.post("/api/programmes/", PROGRAMME, format="json").status_code == 403
    assert client.patch(f"/api/programmes/{programme.code}/", {"title": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/programmes/{programme.code}/").status_code == 403
    assert (
        client.post(
            "/api/enrolments/",
            {"programme": programme.code, "teacher_id_number_input": make_teacher().id_number},
            format="json",
        ).status_code
        == 403
    )
    assert (
        client.post("/api/teachers/", {"name": "x", "id_number": "11010519491231002X"}, format="json").status_code
        == 403
    )
    enrolment = Enrolment.objects.get()
    assert client.post(f"/api/enrolments/{enrolment.pk}/cancel/").status_code == 403
    assert Enrolment.objects.get().status == "enrolled"


def test_teacher_sees_only_own_enrolments(api, teacher, other_teacher, programme):
    mine = enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")
    theirs = enrolment_create(actor=other_teacher, programme=programme, teacher=other_teacher, source="self")
    client = api(teacher)
    rows = client.get("/api/enrolments/").json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert client.get(f"/api/enrolments/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/enrolments/{theirs.pk}/cancel/").status_code == 404
    teachers = client.get("/api/teachers/").json()["results"]
    assert [row["id"] for row in teachers] == [teacher.pk]
    assert client.get(f"/api/teachers/{other_teacher.pk}/").status_code == 404


def test_teacher_self_enrols_and_cannot_create_programmes(api, teacher, programme):
    client = api(teacher)
    response = client.post("/api/enrolments/", {"programme": programme.code}, format="json")
    assert response.status_code == 201
    assert response.json()["source"] == "self"
    again = client.post("/api/enrolments/", {"programme": programme.code}, format="json")
    assert again.status_code == 400 and "无需重复报名" in str(again.json())
    assert client.post("/api/programmes/", PROGRAMME, format="json").status_code == 403


def test_enrolment_past_capacity_or_closed_is_400(api, organiser):
    full = make_programme(organiser=organiser, capacity=1)
    closed = make_programme(organiser=organiser, self_enrol_open=False)
    enrolment_create(actor=organiser, programme=full, teacher=make_teacher(), source="organiser")
    enrolment_create(actor=organiser, programme=closed, teacher=make_teacher(), source="organiser")
    teacher = make_teacher()
    response = api(teacher).post("/api/enrolments/", {"programme": full.code}, format="json")
    assert response.status_code == 400 and "名额已满" in str(response.json())
    # A closed programme is not visible to the teacher, but the error is still explicit.
    response = api(teacher).post("/api/enrolments/", {"programme": closed.code}, format="json")
    assert response.status_code == 400 and "未开放自主报名" in str(response.json())
    assert not Enrolment.objects.filter(teacher=teacher).exists()


def test_organiser_creates_teacher_with_masked_output_and_field_errors(api, organiser):
    client = api(organiser)
    body = {"name": "王永浩", "id_number": " 11010519491231002x ", "mobile": "13900001111", "district": "魏都区"}
    response = client.post("/api/teachers/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["id_number_masked"] == "110105********002X"
    assert "11010519491231002X" not in response.content.decode()
    bad = client.post(
        "/api/teachers/", {"name": "x", "id_number": "110105194912310021", "mobile": "123"}, format="json"
    )
    assert bad.status_code == 400
    assert "校验位" in str(bad.json()["id_number"]) and "11位" in str(bad.json()["mobile"])
    dup = client.post("/api/teachers/", {**body, "mobile": "13900002222"}, format="json")
    assert dup.status_code == 400 and "id_number" in dup.json()


def test_anonymous_api_is_refused(api, programme):
    assert api().get("/api/programmes/").status_code in (401, 403)


def test_schema_docs_and_health(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/programmes/", "/api/sessions/", "/api/enrolments/", "/api/teachers/"):
        assert path in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_programme_put_patch_and_delete(organiser):
    programme = make_programme(organiser=organiser, with_session=False, title="旧标题")
    api, url = _client_for(organiser), f"/api/programmes/{programme.code}/"
    body = {
        "code": programme.code, "title": "法治政府建设专题培训讲座", "level": "provincial", "kind": "lecture",
        "start_date": "2021-09-14", "end_date": "2021-09-14", "credit_hours": "3.0", "year": 2021,
    }  # fmt: skip
    response = api.put(url, body, format="json")
    assert response.status_code == 200, response.json()
    programme.refresh_from_db()
    assert (programme.title, programme.level, programme.year) == ("法治政府建设专题培训讲座", "provincial", 2021)

    response = api.put(url, {**body, "end_date": "2021-09-13"}, format="json")
    assert response.status_code == 400 and "end_date" in response.json()
    response = api.patch(url, {"credit_hours": "-1"}, format="json")
    assert response.status_code == 400 and "credit_hours" in response.json()
    programme.refresh_from_db()
    assert programme.credit_hours == 3 and programme.end_date == datetime.date(2021, 9, 14)

    assert api.delete(url).status_code == 204
    assert not Programme.objects.filter(pk=programme.pk).exists()


def test_session_create_put_patch_and_delete(organiser, other_organiser):
    programme = make_programme(organiser=organiser, with_session=False)
    api = _client_for(organiser)
    start = timezone.make_aware(datetime.datetime.combine(programme.start_date, datetime.time(9)))
    body = {
        "programme": programme.code, "title": "第一讲", "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=2)).isoformat(), "venue": "许昌市教育局三楼会议室",
    }  # fmt: skip
    response = api.post("/api/sessions/", body, format="json")
    assert response.status_code == 201, response.json()
    session = Session.objects.get(programme=programme)
    url = f"/api/sessions/{session.pk}/"

    response = api.put(url, {**body, "title": "第一讲：行政复议法"}, format="json")
    assert response.status_code == 200, response.json()
    response = api.patch(url, {"lecturer": "王永浩"}, format="json")
    assert response.status_code == 200
    session.refresh_from_db()
    assert (session.title, session.lecturer) == ("第一讲：行政复议法", "王永浩")

    backwards = (start - datetime.timedelta(hours=1)).isoformat()
    assert api.put(url, {**body, "ends_at": backwards}, format="json").status_code == 400
    assert api.patch(url, {"ends_at": backwards}, format="json").status_code == 400
    session.refresh_from_db()
    assert session.ends_at == start + datetime.timedelta(hours=2)

    assert _client_for(other_organiser).delete(url).status_code in (403, 404)  # another unit's: untouched
    assert api.delete(url).status_code == 204
    assert not Session.objects.filter(pk=session.pk).exists()


def test_organiser_cannot_change_an_enrolled_teachers_details_the_superuser_can(organiser):
    """Issue 14: an organiser who enrols a teacher must not rewrite the mobile first sign-in uses."""
    teacher = make_teacher(name="王永浩", school="许昌市第一中学", mobile="13911110000", password=None)
    programme = make_programme(organiser=organiser, with_session=False)
    enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")  # now visible
    url = f"/api/teachers/{teacher.pk}/"
    body = {
        "name": "王永浩", "id_number": teacher.id_number, "mobile": "13911112222", "school": "许昌高级中学",
        "district": "魏都区", "subject": "政治", "title": "一级教师",
    }  # fmt: skip
    refused = _client_for(organiser).put(url, body, format="json")
    assert refused.status_code == 403 and "系统管理员" in refused.json()["detail"]
    assert _client_for(organiser).patch(url, {"mobile": "13911112222"}, format="json").status_code == 403
    teacher.refresh_from_db()
    assert (teacher.school, teacher.mobile) == ("许昌市第一中学", "13911110000")

    api = _client_for(make_bureau(is_superuser=True, username="root"))
    response = api.put(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert teacher.id_number not in response.content.decode()  # comes back masked
    teacher.refresh_from_db()
    assert (teacher.school, teacher.mobile) == ("许昌高级中学", "13911112222")
    assert api.put(url, {**body, "mobile": "1391111"}, format="json").status_code == 400
    response = api.patch(url, {"mobile": "abc"}, format="json")
    assert response.status_code == 400 and "mobile" in response.json()
    assert User.objects.get(pk=teacher.pk).mobile == "13911112222"


def test_unknown_api_path_answers_json_404_and_pages_the_html_page(client, organiser):
    response = APIClient().get("/api/programmes/not.a.code/extra/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "页面不存在" in page.content.decode()


def test_organiser_cannot_enrol_a_teacher_by_id_into_an_ended_programme_and_enrolments_are_audited(organiser, caplog):
    """Attack 1's first step: POST /api/enrolments/ with any teacher's ID into a programme that ended in 2021."""
    ended = make_programme(
        organiser=organiser, with_session=False, start_date=datetime.date(2021, 9, 14),
        end_date=datetime.date(2021, 9, 14), self_enrol_open=False,
    )  # fmt: skip
    victim = make_teacher(name="王永浩")
    api = _client_for(organiser)
    response = api.post(
        "/api/enrolments/", {"programme": ended.code, "teacher_id_number_input": victim.id_number}, format="json"
    )
    assert response.status_code == 400 and "2021-09-14 结束" in response.json()["programme"][0]
    assert not Enrolment.objects.filter(teacher=victim).exists()

    running = make_programme(organiser=organiser, with_session=False)
    with caplog.at_level("INFO", logger="courses.audit"):
        response = api.post(
            "/api/enrolments/", {"programme": running.code, "teacher_id_number_input": victim.id_number}, format="json"
        )
    assert response.status_code == 201
    enrolment = Enrolment.objects.get(teacher=victim)
    assert (
        f"enrolment {enrolment.pk}: teacher {victim.pk} enrolled by ID number into programme {running.pk} "
        f"by user {organiser.pk}" in caplog.text
    )
    assert victim.id_number not in caplog.text

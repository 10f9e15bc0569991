"""The Django admin is the superuser's back office: organisers, the bureau and teachers neither open it nor
see a link to it; organisers' setup is done in the site's pages (tests/courses/test_programme_pages.py)."""

import pytest
from django.urls import reverse

from courses.models import Programme
from tests.factories import PASSWORD, make_bureau

REFUSAL = "后台仅供系统管理员使用；培训项目、名单、考勤、测试和证书请在本站的“培训项目”页面中办理。"


def _admin(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("role", ["organiser", "bureau", "teacher"])
def test_the_admin_does_not_open_and_is_not_linked_for_other_roles(client, role, request, programme):
    client.force_login(request.getfixturevalue(role))
    for url in (
        reverse("admin:index"),
        reverse("admin:courses_programme_changelist"),
        reverse("admin:courses_programme_change", args=[programme.pk]),
        reverse("admin:courses_programme_add"),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert REFUSAL in response.content.decode()
    response = client.post(reverse("admin:courses_programme_change", args=[programme.pk]), {"title": "改名"})
    assert response.status_code == 403
    programme.refresh_from_db()
    assert programme.title == "法治政府建设专题培训讲座"
    home = client.get(reverse("courses:manage_list" if role != "teacher" else "home"), follow=True)
    assert "/admin/" not in home.content.decode()


def test_organisers_pages_link_nowhere_into_the_admin(client, organiser, programme):
    client.force_login(organiser)
    for name in (
        "courses:manage_list",
        "courses:programme_create",
        "reports:dashboard",
    ):
        assert "/admin/" not in client.get(reverse(name)).content.decode(), name
    for name in (
        "courses:manage_detail",
        "courses:programme_edit",
        "courses:programme_copy",
        "courses:session_create",
        "courses:roster_upload",
        "attendance:programme",
        "exams:programme",
        "exams:quiz_create",
        "certificates:programme",
        "certificates:rule",
    ):
        page = client.get(reverse(name, args=[programme.code]))
        assert page.status_code == 200, name
        assert "/admin/" not in page.content.decode(), name


def test_the_superuser_keeps_the_admin(client, programme):
    root = make_bureau(is_superuser=True, username="root")
    _admin(client, root)
    assert client.get(reverse("admin:index")).status_code == 200
    page = client.get(reverse("admin:courses_programme_changelist")).content.decode()
    assert programme.code in page
    assert "/admin/" in client.get(reverse("courses:manage_list")).content.decode()  # the 后台 link is theirs


def test_anonymous_visitors_get_the_admins_sign_in(client, db):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Programme.objects.count() == 0


def test_the_superusers_admin_keeps_the_session_dates_rule(client, programme):
    root = make_bureau(is_superuser=True, username="root")
    _admin(client, root)
    url = reverse("admin:courses_programme_change", args=[programme.pk])
    session = programme.sessions.get()
    later = programme.end_date.replace(year=programme.end_date.year + 1)
    data = {
        "code": programme.code, "title": programme.title, "level": programme.level, "kind": programme.kind,
        "unit": programme.unit_id, "year": later.year, "start_date": later.isoformat(), "end_date": later.isoformat(),
        "credit_hours": "3", "sessions-TOTAL_FORMS": "1", "sessions-INITIAL_FORMS": "1",
        "sessions-MIN_NUM_FORMS": "0", "sessions-MAX_NUM_FORMS": "1000", "sessions-0-id": session.pk,
        "sessions-0-programme": programme.pk, "sessions-0-title": session.title,
        "sessions-0-starts_at_0": session.starts_at.astimezone().date().isoformat(),
        "sessions-0-starts_at_1": "09:00", "sessions-0-ends_at_0": session.starts_at.astimezone().date().isoformat(),
        "sessions-0-ends_at_1": "11:00",
    }  # fmt: skip
    response = client.post(url, data, follow=True)
    page = response.content.decode()
    assert "不在新的项目日期之内" in page or "课次时间必须在项目日期" in page
    programme.refresh_from_db()
    assert programme.start_date != later

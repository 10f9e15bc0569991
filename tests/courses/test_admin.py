"""The Django admin as the organisers' back office, scoped by role."""

from django.urls import reverse

from courses.models import Programme
from tests.factories import PASSWORD


def _admin(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_organiser_sees_only_own_units_programmes(client, organiser, other_organiser, programme):
    page = _admin(client, other_organiser).get(reverse("admin:courses_programme_changelist")).content.decode()
    assert programme.code not in page
    assert client.get(reverse("admin:courses_programme_change", args=[programme.pk])).status_code in (302, 404)


def test_organiser_creates_programme_which_lands_in_own_unit(client, organiser, other_unit):
    _admin(client, organiser)
    data = {
        "code": "fz2021-0914",
        "title": "法治政府建设专题培训讲座",
        "level": "municipal",
        "kind": "lecture",
        "year": "2021",
        "start_date": "2021-09-14",
        "end_date": "2021-09-14",
        "credit_hours": "3",
        "sessions-TOTAL_FORMS": "0",
        "sessions-INITIAL_FORMS": "0",
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "1000",
    }
    response = client.post(reverse("admin:courses_programme_add"), data)
    assert response.status_code == 302
    assert Programme.objects.get(code="FZ2021-0914").unit == organiser.unit


def test_end_before_start_is_refused_in_admin(client, organiser):
    _admin(client, organiser)
    data = {
        "code": "X1",
        "title": "t",
        "level": "municipal",
        "kind": "lecture",
        "year": "2021",
        "start_date": "2021-09-14",
        "end_date": "2021-09-13",
        "credit_hours": "3",
        "sessions-TOTAL_FORMS": "0",
        "sessions-INITIAL_FORMS": "0",
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "1000",
    }
    response = client.post(reverse("admin:courses_programme_add"), data)
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert not Programme.objects.exists()


def test_bureau_can_view_but_not_change_in_admin(client, bureau, programme):
    _admin(client, bureau)
    assert client.get(reverse("admin:courses_programme_changelist")).status_code == 200
    url = reverse("admin:courses_programme_change", args=[programme.pk])
    assert client.get(url).status_code == 200  # read-only view
    response = client.post(url, {"title": "改名"})
    assert response.status_code == 403
    programme.refresh_from_db()
    assert programme.title == "法治政府建设专题培训讲座"
    assert client.get(reverse("admin:courses_programme_add")).status_code == 403


def test_teacher_cannot_enter_admin(client, teacher):
    client.force_login(teacher)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302

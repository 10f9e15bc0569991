"""The session row and the signed-in user are read by fixed statements (accounts/sessions.py,
accounts.selectors.user_by_pk): the same values as the ORM's queries, and the same refusals."""

import datetime

import pytest
from django.contrib.sessions.models import Session as SessionRow
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_by_pk
from tests.factories import make_organiser, make_teacher

pytestmark = pytest.mark.django_db


def _values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_the_users_fixed_read_gives_what_the_orm_gives(django_assert_num_queries):
    teacher = make_teacher(school="许昌市第一中学", district="魏都区")
    organiser = make_organiser()
    User.objects.filter(pk=teacher.pk).update(last_login=timezone.now())
    for user in (teacher, organiser):
        with django_assert_num_queries(1):
            fixed = user_by_pk(user.pk)
        orm = User.objects.get(pk=user.pk)
        assert type(fixed) is User and _values(fixed) == _values(orm)
        assert fixed._state.adding is False and fixed._state.db == "default"
    assert user_by_pk(teacher.pk).last_login.utcoffset() is not None  # aware, as the ORM gives it
    assert user_by_pk(organiser.pk).unit == organiser.unit
    assert user_by_pk(organiser.pk + teacher.pk + 1000) is None


def test_the_session_rows_fixed_read_gives_what_the_orm_gives(client, django_assert_num_queries):
    from accounts.sessions import SessionStore

    teacher = make_teacher()
    client.force_login(teacher)
    key = client.cookies["sessionid"].value
    with django_assert_num_queries(1):
        fixed = SessionStore(key)._get_session_from_db()
    assert _values(fixed) == _values(SessionRow.objects.get(session_key=key))
    assert SessionStore(key).load()["_auth_user_id"] == str(teacher.pk)
    assert SessionStore("x" * 32)._get_session_from_db() is None


def test_a_signed_in_teacher_is_recognised_then_refused_when_the_session_expires(client):
    teacher = make_teacher()
    client.force_login(teacher)
    page = client.get(reverse("home"))
    assert page.status_code == 200 and teacher.name in page.content.decode()
    SessionRow.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_a_deactivated_teachers_open_session_no_longer_signs_them_in(client):
    teacher = make_teacher()
    client.force_login(teacher)
    User.objects.filter(pk=teacher.pk).update(is_active=False)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_a_changed_password_signs_out_the_other_sessions(client):
    """Django's session hash check still runs on the fixed read's user."""
    teacher = make_teacher()
    client.force_login(teacher)
    teacher.set_password("另一个密码Xc2026")
    teacher.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))

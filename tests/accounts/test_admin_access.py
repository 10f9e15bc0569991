"""Issue 14 through the admin's edges: people belong to the superuser's back office, the shared bank
to the bureau's bank manager; organisers and the bureau keep only what their role needs."""

import logging

from django.contrib.admin.models import LogEntry
from django.urls import reverse

from accounts.models import User
from courses.services import enrolment_create
from exams.models import Option, Question
from tests.exams.conftest import make_bank
from tests.factories import PASSWORD, make_bank_manager, make_bureau, make_programme, make_teacher


def _signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_organiser_cannot_set_an_enrolled_teachers_password_in_the_admin(client, organiser, programme):
    """Attack 1: the organiser enrols any teacher, then sets that teacher's password in the admin."""
    victim = make_teacher(name="王永浩")  # another unit's teacher, with a password of their own
    enrolment_create(actor=organiser, programme=programme, teacher=victim, source="organiser")
    _signed_in(client, organiser)
    url = f"/admin/accounts/user/{victim.pk}/password/"
    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": "Organiser-chose-1", "password2": "Organiser-chose-1"})
    assert response.status_code == 403
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD) and not victim.check_password("Organiser-chose-1")
    # Nor the change form, where the mobile first sign-in uses would be rewritten.
    change = reverse("admin:accounts_user_change", args=[victim.pk])
    assert client.get(change).status_code == 403
    assert client.post(change, {"name": victim.name, "mobile": "13899998888"}).status_code == 403
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert User.objects.get(pk=victim.pk).mobile == victim.mobile


def test_only_the_superuser_resets_to_first_sign_in_and_it_is_logged(client, organiser, programme, caplog):
    teacher = make_teacher()
    enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    changelist = reverse("admin:accounts_user_changelist")
    action = {"action": "reset_first_login", "_selected_action": [teacher.pk]}

    assert _signed_in(client, organiser).post(changelist, action).status_code == 403
    assert User.objects.get(pk=teacher.pk).has_usable_password()

    root = make_bureau(is_superuser=True, username="root")
    with caplog.at_level(logging.INFO, logger="accounts.audit"):
        done = _signed_in(client, root).post(changelist, action, follow=True)
    assert "已重置 1 位教师为首次登录状态" in done.content.decode()
    assert not User.objects.get(pk=teacher.pk).has_usable_password()
    assert LogEntry.objects.filter(object_id=str(teacher.pk), user=root, change_message="重置为首次登录").exists()
    assert f"account {teacher.pk} reset to first sign-in by user {root.pk}" in caplog.text
    assert teacher.id_number not in caplog.text


def test_bureau_opens_no_admin_page_at_all(client, organiser, programme, bureau):
    """Attack 3, closed at the door since issue 15: the bureau reads its reports in the site's pages."""
    teacher = make_teacher(name="王永浩", mobile="13912345678")
    enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    _signed_in(client, bureau)
    for url in (
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[teacher.pk]),
        reverse("admin:courses_enrolment_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        html = response.content.decode()
        assert teacher.id_number not in html and teacher.mobile not in html


def test_organiser_cannot_change_the_shared_banks_answer_keys(client, organiser):
    """Attack 6: every unit's quizzes draw from one bank; an organiser changing a key changes theirs."""
    make_bank()
    question = Question.objects.filter(kind="single").first()
    correct = question.options.get(is_correct=True)
    url = reverse("admin:exams_question_change", args=[question.pk])
    _signed_in(client, organiser)
    assert client.get(url).status_code == 403
    assert client.post(url, {"stem": question.stem}).status_code == 403
    assert client.get(reverse("admin:exams_question_add")).status_code == 403
    assert Option.objects.get(pk=correct.pk).is_correct

    _signed_in(client, make_bank_manager())
    page = client.get(url)
    assert page.status_code == 200 and 'name="options-0-is_correct"' in page.content.decode()


def test_superuser_lists_teachers_with_masked_ids_and_cannot_search_by_id(client, organiser):
    teacher = make_teacher()
    enrolment_create(
        actor=organiser, programme=make_programme(organiser=organiser), teacher=teacher, source="organiser"
    )
    _signed_in(client, make_bureau(is_superuser=True, username="root"))
    page = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert teacher.masked_id_number in page and teacher.id_number not in page
    found = client.get(reverse("admin:accounts_user_changelist"), {"q": teacher.id_number}).content.decode()
    assert teacher.masked_id_number not in found

"""我的信息: the teacher, not the organiser, keeps the mobile, school and district up to date."""

from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, make_teacher


def test_teacher_updates_own_mobile_school_and_district_with_the_password(client, db):
    teacher = make_teacher(name="王永浩", mobile="13900000002", school="许昌市第一中学", district="魏都区")
    taken = make_teacher(mobile="13911112222")
    client.force_login(teacher)
    page = client.get(reverse("accounts:own_details")).content.decode()
    assert "13900000002" in page and teacher.masked_id_number in page and teacher.id_number not in page
    change = {"mobile": "13955556666", "school": "许昌高级中学", "district": "建安区", "subject": "政治", "title": ""}

    wrong = client.post(reverse("accounts:own_details"), {**change, "password": "guess-2021"})
    assert wrong.status_code == 200 and "当前密码不正确" in wrong.content.decode()
    clash = client.post(reverse("accounts:own_details"), {**change, "mobile": taken.mobile, "password": PASSWORD})
    assert clash.status_code == 200 and "该手机号已被其他账号使用" in clash.content.decode()
    assert User.objects.get(pk=teacher.pk).mobile == "13900000002"

    done = client.post(reverse("accounts:own_details"), {**change, "password": PASSWORD}, follow=True)
    assert "个人信息已保存" in done.content.decode()
    teacher.refresh_from_db()
    assert (teacher.mobile, teacher.school, teacher.district, teacher.subject, teacher.name) == (
        "13955556666", "许昌高级中学", "建安区", "政治", "王永浩",
    )  # fmt: skip


def test_staff_have_no_own_details_page(client, organiser):
    client.force_login(organiser)
    assert client.get(reverse("accounts:own_details")).status_code == 403

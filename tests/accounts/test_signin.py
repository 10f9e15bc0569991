"""Sign-in by ID number and by mobile, first sign-in, forced password change."""

from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, make_teacher


def _login(client, identifier, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": identifier, "password": password})


def test_teacher_signs_in_with_id_number_including_lower_case_x(client, db):
    teacher = make_teacher(id_number="11010519491231002X")
    response = _login(client, "11010519491231002x")
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == teacher


def test_teacher_signs_in_with_mobile(client, teacher):
    response = _login(client, teacher.mobile)
    assert response.status_code == 302
    page = client.get(reverse("home"))
    assert page.context["user"] == teacher
    assert "我的培训" in page.content.decode()


def test_wrong_password_is_refused_in_chinese(client, teacher):
    response = _login(client, teacher.mobile, "wrong-password")
    assert response.status_code == 200
    assert "账号或密码不正确" in response.content.decode()


def test_imported_teacher_has_no_usable_password_and_cannot_sign_in(client, db):
    teacher = make_teacher(password=None)
    assert not teacher.has_usable_password()
    assert _login(client, teacher.id_number, "").status_code == 200
    assert _login(client, teacher.id_number, "anything-at-all").status_code == 200


def test_first_sign_in_then_forced_password_change(client, db):
    teacher = make_teacher(password=None, mobile="13912345678")
    response = client.post(
        reverse("accounts:first_login"), {"id_number": teacher.id_number.lower(), "mobile": "139 1234 5678"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:set_password"))

    # Every other page sends the teacher back to set a password first; the API says so too.
    blocked = client.get(reverse("courses:catalogue"))
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("accounts:set_password"))
    assert client.get("/api/programmes/").status_code == 403

    mismatch = client.post(reverse("accounts:set_password"), {"new_password1": "new-pass-2021", "new_password2": "x"})
    assert "两次输入的密码不一致" in mismatch.content.decode()
    numeric = client.post(reverse("accounts:set_password"), {"new_password1": "20212021", "new_password2": "20212021"})
    assert numeric.status_code == 200

    done = client.post(
        reverse("accounts:set_password"), {"new_password1": "new-pass-2021", "new_password2": "new-pass-2021"}
    )
    assert done.status_code == 302
    teacher.refresh_from_db()
    assert teacher.has_usable_password() and not teacher.must_change_password
    assert client.get(reverse("home")).status_code == 200

    client.logout()
    assert _login(client, teacher.id_number, "new-pass-2021").status_code == 302


def test_changing_a_password_asks_for_the_current_one(client, db):
    """Attack 6: a session left open (a shared office computer) was enough to change the password."""
    teacher = make_teacher(password="old-pass-2021")
    client.force_login(teacher)
    page = client.get(reverse("accounts:set_password")).content.decode()
    assert 'name="old_password"' in page and "当前密码" in page
    new = {"new_password1": "new-pass-2021", "new_password2": "new-pass-2021"}
    missing = client.post(reverse("accounts:set_password"), new)
    assert missing.status_code == 200 and "old_password" in missing.context["form"].errors
    wrong = client.post(reverse("accounts:set_password"), {**new, "old_password": "guess-2021"})
    assert wrong.status_code == 200 and "当前密码不正确" in wrong.content.decode()
    teacher.refresh_from_db()
    assert teacher.check_password("old-pass-2021")
    done = client.post(reverse("accounts:set_password"), {**new, "old_password": "old-pass-2021"})
    assert done.status_code == 302
    teacher.refresh_from_db()
    assert teacher.check_password("new-pass-2021")


def test_first_sign_in_refused_with_wrong_mobile_or_after_password_set(client, db):
    teacher = make_teacher(password=None, mobile="13912345678")
    wrong = client.post(reverse("accounts:first_login"), {"id_number": teacher.id_number, "mobile": "13900000000"})
    assert "未找到可首次登录的账号" in wrong.content.decode()
    claimed = make_teacher(mobile="13911112222")  # already has a password
    again = client.post(reverse("accounts:first_login"), {"id_number": claimed.id_number, "mobile": "13911112222"})
    assert "未找到可首次登录的账号" in again.content.decode()
    assert not User.objects.get(pk=teacher.pk).must_change_password


def test_disabled_account_cannot_sign_in(client, teacher):
    teacher.is_active = False
    teacher.save()
    assert _login(client, teacher.mobile).status_code == 200


def test_api_token_for_clients(client, teacher):
    response = client.post("/api/auth/token/", {"username": teacher.mobile, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    listing = client.get("/api/enrolments/", HTTP_AUTHORIZATION=f"Token {token}")
    assert listing.status_code == 200


def test_a_phone_set_to_english_still_gets_chinese_messages(client, db):
    """The site is Chinese only: Django's own messages (here a password validator's) ignore Accept-Language."""
    teacher = make_teacher(password=None, mobile="13912345679")
    client.post(reverse("accounts:first_login"), {"id_number": teacher.id_number, "mobile": teacher.mobile})
    form = {"new_password1": "20212021", "new_password2": "20212021"}
    english = client.post(reverse("accounts:set_password"), form, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    def messages(response):
        return [text for errors in response.context["form"].errors.as_data().values() for e in errors for text in e]

    assert messages(english) == ["密码不能全是数字。"]
    assert "密码不能全是数字。" in english.content.decode()

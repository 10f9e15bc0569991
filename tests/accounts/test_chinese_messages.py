"""Every message of sign-in, first sign-in and the password form is Chinese, and says what is wrong."""

import re

import pytest
from django.urls import reverse

from tests.factories import make_teacher, valid_id_number

pytestmark = pytest.mark.django_db


def _first_login(client, id_number, mobile):
    return client.post(
        reverse("accounts:first_login"), {"id_number": id_number, "mobile": mobile}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()


def test_an_invalid_id_is_called_invalid_with_the_reason(client):
    good = valid_id_number(7)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    assert "身份证号无效：身份证号校验位不正确" in _first_login(client, wrong_check, "13900000001")
    assert "身份证号无效：身份证号应为18位，当前为17位" in _first_login(client, good[:17], "13900000001")
    bad_date = "411002" + "19851340" + "001"
    assert "第7-14位不是有效的出生日期" in _first_login(client, bad_date + "X", "13900000001")
    assert "手机号无效" in _first_login(client, good, "1390000")
    assert 'aria-invalid="true"' in _first_login(client, wrong_check, "13900000001")
    assert 'role="alert"' in _first_login(client, wrong_check, "13900000001")


def test_full_width_and_spaced_mobile_digits_are_accepted(client):
    teacher = make_teacher(password=None, mobile="13900000007")
    full_width_id = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in teacher.id_number)
    response = client.post(
        reverse("accounts:first_login"), {"id_number": full_width_id, "mobile": "１３９ ０００　０００ ０７"}
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:set_password"))


def test_django_s_password_validators_speak_chinese(client):
    teacher = make_teacher(password=None)
    client.post(reverse("accounts:first_login"), {"id_number": teacher.id_number, "mobile": teacher.mobile})
    page = client.post(
        reverse("accounts:set_password"),
        {"new_password1": "123456", "new_password2": "123456"},
        HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
    ).content.decode()
    assert "密码太短，至少需要 8 个字符。" in page and "密码不能全是数字。" in page
    errors = re.findall(r"<li>(.*?)</li>", page)
    assert errors and not [text for text in errors if re.search(r"[A-Za-z]", text)]


def test_a_failed_sign_in_is_announced(client):
    page = client.post(reverse("accounts:login"), {"username": "13900000099", "password": "nope-nope"}).content.decode()
    assert 'role="alert"' in page and "账号或密码不正确" in page

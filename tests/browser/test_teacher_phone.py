"""A demo teacher on a 360x740 phone signs in and sees the programmes."""

import io

import pytest
from django.core.management import call_command

from courses.demo import current_programmes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_teacher_signs_in_on_a_phone_and_sees_programmes(live_server, phone):
    call_command("seed_demo", stdout=io.StringIO())
    phone.goto(f"{live_server.url}/")
    assert "/accounts/login/" in phone.url
    phone.fill("input[name=username]", "13900000001")
    phone.fill("input[name=password]", "xuchang2021")
    phone.click("main button[type=submit]")
    phone.wait_for_selector("h1:has-text('我的培训')")
    body = phone.inner_text("main")
    assert "2021年“国培计划”许昌市中小学骨干教师法治素养提升培训" in body
    assert "2021年师德专题教育" in body
    # Nothing overflows the phone's width.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.click("text=报名")
    phone.wait_for_selector("h1:has-text('可报名的培训')")
    # This year's demo programmes are laid around today, so there is always something to enrol in.
    catalogue = phone.inner_text("main")
    current = current_programmes()
    assert current["upcoming"].title in catalogue and current["today"].title in catalogue


def test_first_sign_in_on_a_phone_forces_a_new_password(live_server, phone):
    call_command("seed_demo", stdout=io.StringIO())
    phone.goto(f"{live_server.url}/accounts/first-login/")
    phone.fill("input[name=id_number]", "411023199007010045")
    phone.fill("input[name=mobile]", "13900000002")
    phone.click("main button[type=submit]")
    phone.wait_for_selector("h1:has-text('设置新密码')")
    phone.fill("input[name=new_password1]", "chenxin-2021")
    phone.fill("input[name=new_password2]", "chenxin-2021")
    phone.click("main button[type=submit]")
    phone.wait_for_selector("text=密码已设置")
    assert "2021年师德专题教育" in phone.inner_text("main")

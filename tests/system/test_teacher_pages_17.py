"""The small things a teacher hit (issue 17): 已结业 at home, quizzes on the programme page, a closed quiz,
no navigation while a password change is due, 退出 confirmed, Chinese 404/500 with DEBUG on, a favicon."""

import datetime

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from certificates.services import certificate_issue
from exams.services import quiz_create
from tests.certificates.conftest import attend, enrol
from tests.exams.conftest import make_bank
from tests.factories import make_programme, make_teacher

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 3, 20, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def test_home_says_completed_with_the_certificate(client, organiser):
    with time_machine.travel(NOW, tick=False):
        programme = make_programme(organiser=organiser, title="依法执教专题讲座")
        teacher = enrol(programme, organiser)
        attend(programme, teacher)
        certificate = certificate_issue(programme=programme, teacher=teacher, actor=organiser)
        client.force_login(teacher)
        home = client.get(reverse("home")).content.decode()
    assert (
        "已结业" in home and certificate.serial in home and reverse("certificates:pdf", args=[certificate.pk]) in home
    )


def test_programme_page_links_its_quizzes_and_a_closed_quiz_offers_no_attempts(client, organiser):
    make_bank()
    with time_machine.travel(NOW - datetime.timedelta(days=3), tick=False):
        programme = make_programme(
            organiser=organiser, title="法治专题培训", start_date=NOW.date() - datetime.timedelta(days=3),
            end_date=NOW.date(),
        )  # fmt: skip
        quiz = quiz_create(
            actor=organiser, programme=programme, title="课后测试", single_count=2, multiple_count=0,
            truefalse_count=1, opens_at=timezone.now(), closes_at=timezone.now() + datetime.timedelta(days=1),
        )  # fmt: skip
        teacher = enrol(programme, organiser)
    client.force_login(teacher)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("courses:programme_detail", args=[programme.code])).content.decode()
        listing = client.get(reverse("exams:list")).content.decode()
        detail = client.get(reverse("exams:quiz", args=[quiz.pk])).content.decode()
    assert reverse("exams:quiz", args=[quiz.pk]) in page and "已关闭" in page
    assert "已关闭" in listing and "剩余" not in listing
    assert "剩余" not in detail and "不在开放时间内" in detail and "用完" not in detail


def test_no_navigation_while_a_password_change_is_due(client):
    teacher = make_teacher(password=None)
    client.post(reverse("accounts:first_login"), {"id_number": teacher.id_number, "mobile": teacher.mobile})
    page = client.get(reverse("accounts:set_password")).content.decode()
    assert 'aria-label="主导航"' not in page and reverse("exams:list") not in page
    assert reverse("accounts:logout_confirm") in page


def test_sign_out_is_confirmed_first(client, teacher):
    client.force_login(teacher)
    home = client.get(reverse("home")).content.decode()
    assert reverse("accounts:logout_confirm") in home
    confirm = client.get(reverse("accounts:logout_confirm")).content.decode()
    assert "确定要退出登录吗" in confirm and client.get(reverse("home")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("home")).status_code == 302


@override_settings(DEBUG=True, DEBUG_TECHNICAL_ERRORS=False)
def test_chinese_404_with_debug_on_and_a_favicon(client, teacher):
    client.force_login(teacher)
    for path in ("/no-such-page/", "/programmes/NOPE-1/"):
        response = client.get(path)
        body = response.content.decode()
        assert response.status_code == 404 and "页面不存在" in body and "URLconf" not in body, path
    assert client.get("/accounts/login").status_code == 301  # APPEND_SLASH still first
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon["Location"].endswith(".svg")


@override_settings(DEBUG=True, DEBUG_TECHNICAL_ERRORS=True)
def test_the_technical_page_stays_reachable_for_developers(client):
    assert "URLconf" in client.get("/no-such-page/").content.decode()

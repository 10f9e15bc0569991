"""A teacher on a phone answers half a quiz, reloads, finds the answers kept, finishes and sees the review."""

import datetime

import pytest
from django.utils import timezone

from courses.services import enrolment_create
from exams.models import Attempt, AttemptQuestion, Option
from exams.services import quiz_create
from tests.exams.conftest import make_bank
from tests.factories import PASSWORD, make_organiser, make_programme, make_teacher, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_quiz_survives_a_reload_and_shows_score_and_review(live_server, phone):
    make_bank()
    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser, title="法治政府建设专题培训讲座")
    now = timezone.now()
    quiz_create(
        actor=organiser, programme=programme, title="课后法治知识测试", single_count=2, multiple_count=2,
        truefalse_count=2, opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1),
    )  # fmt: skip
    teacher = make_teacher(name="王永浩")
    enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")

    phone.goto(f"{live_server.url}/accounts/login/?next=/exams/")
    phone.fill("input[name=username]", teacher.mobile)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main button[type=submit]")
    phone.click("a:has-text('课后法治知识测试')")
    phone.click("button:has-text('开始第1次作答')")
    phone.wait_for_selector("#attempt[data-ready]")
    attempt = Attempt.objects.get()
    items = list(AttemptQuestion.objects.filter(attempt=attempt).order_by("position"))
    correct = {
        item.question_id: list(
            Option.objects.filter(question_id=item.question_id, is_correct=True).values_list("pk", flat=True)
        )
        for item in items
    }

    def answer(item):
        for option_id in correct[item.question_id]:
            phone.check(f"input[name=q{item.question_id}][value='{option_id}']")

    for item in items[:3]:
        answer(item)
    phone.wait_for_function("document.getElementById('save-state').textContent === '已保存'")
    assert phone.inner_text("#answered") == "3"
    saved = {item.question_id: sorted(item.selected) for item in AttemptQuestion.objects.filter(attempt=attempt)}
    assert all(saved[item.question_id] == sorted(correct[item.question_id]) for item in items[:3])

    phone.reload()
    phone.wait_for_selector("#attempt[data-ready]")
    assert phone.inner_text("#answered") == "3"
    for item in items[:3]:
        for option_id in correct[item.question_id]:
            assert phone.is_checked(f"input[name=q{item.question_id}][value='{option_id}']")
    for item in items[3:]:
        answer(item)
    phone.click("#submit-form button")  # straight away: the page hands in only after the last saves land
    phone.wait_for_selector("#quiz-result")
    assert "100 分" in phone.inner_text("#quiz-result")
    assert "答案与解析" in phone.inner_text("main")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

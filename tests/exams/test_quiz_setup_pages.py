"""The organiser's quiz set-up page: laws ticked, the bank's counts beside each draw count, a draw the bank
cannot satisfy refused with its numbers; delete when nobody attempted, withdraw (停用) otherwise — and a
withdrawn quiz counts nowhere in completion."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from certificates.selectors import teacher_completion
from exams.models import Quiz
from exams.services import attempt_start


def _post(**overrides):
    now = timezone.localtime()
    data = {
        "title": "课后法治知识测试",
        "laws": ["教师法", "宪法"],
        "single_count": "4",
        "multiple_count": "0",
        "truefalse_count": "3",
        "time_limit_minutes": "20",
        "pass_mark": "60",
        "max_attempts": "2",
        "score_policy": "best",
        "opens_at": (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "shuffle_questions": "on",
        "shuffle_options": "on",
        "review_policy": "after_submit",
        "multiple_rule": "all_or_nothing",
    }
    return {**data, **overrides}


@pytest.fixture
def signed_in(client, organiser):
    client.force_login(organiser)
    return client


def test_the_set_up_page_ticks_laws_and_shows_the_banks_counts(signed_in, programme, bank):
    page = signed_in.get(reverse("exams:quiz_create", args=[programme.code])).content.decode()
    assert 'type="checkbox" name="laws" value="教师法"' in page
    assert "输入一个有效的JSON" not in page and "/admin/" not in page
    # No law ticked: the whole bank (6 of each kind in make_bank).
    assert "所选法律题库中有 <b>6</b> 道" in page
    refused = signed_in.post(
        reverse("exams:quiz_create", args=[programme.code]), _post(laws=["教师法"], multiple_count="2")
    ).content.decode()
    # The ticked law holds no multiple-choice question: the page shows 0 beside it.
    assert "所选法律题库中有 <b>0</b> 道" in refused


def test_a_quiz_limited_to_two_laws_is_created_and_lands_on_the_quiz_list(signed_in, programme, bank):
    response = signed_in.post(reverse("exams:quiz_create", args=[programme.code]), _post(), follow=True)
    quiz = Quiz.objects.get(programme=programme)
    assert sorted(quiz.laws) == ["宪法", "教师法"] and quiz.question_count == 7
    assert response.redirect_chain[-1][0] == reverse("exams:programme", args=[programme.code])
    assert "已创建测试“课后法治知识测试”（7 题）。" in response.content.decode()


def test_a_draw_the_bank_cannot_satisfy_is_refused_with_the_numbers(signed_in, programme, bank):
    page = signed_in.post(
        reverse("exams:quiz_create", args=[programme.code]),
        _post(laws=["教师法"], single_count="40", truefalse_count="0"),
    ).content.decode()
    assert "题库中符合“单选题 40 道（教师法；不限难度）”的题目只有 6 道（已除去其他规则要抽的），不够抽取。" in page
    assert not Quiz.objects.exists()


def test_editing_refuses_the_same_and_leaves_the_quiz_as_it_was(signed_in, quiz):
    page = signed_in.post(reverse("exams:quiz_edit", args=[quiz.pk]), _post(single_count="40")).content.decode()
    assert "只有 6 道" in page
    quiz.refresh_from_db()
    assert quiz.single_count == 2


def test_a_quiz_nobody_attempted_is_deleted(signed_in, quiz):
    response = signed_in.post(reverse("exams:quiz_delete", args=[quiz.pk]), follow=True)
    assert "已删除测试“法治知识测试”。" in response.content.decode()
    assert not Quiz.objects.filter(pk=quiz.pk).exists()


def test_a_quiz_with_attempts_is_withdrawn_not_deleted_and_counts_nowhere(signed_in, quiz, student, programme):
    attempt_start(quiz=quiz, teacher=student)
    assert "法治知识测试未通过" in teacher_completion(programme=programme, teacher=student).missing

    response = signed_in.post(reverse("exams:quiz_delete", args=[quiz.pk]), follow=True)
    assert "测试“法治知识测试”已有 1 次作答记录，不能删除；如不再使用，请停用（停用后不计入结业要求）。" in (
        response.content.decode()
    )
    assert Quiz.objects.filter(pk=quiz.pk).exists()

    response = signed_in.post(reverse("exams:quiz_withdraw", args=[quiz.pk]), follow=True)
    page = response.content.decode()
    assert "已停用测试“法治知识测试”" in page and "已停用，不计入结业" in page
    quiz.refresh_from_db()
    assert quiz.withdrawn_at is not None
    assert not any("测试" in item for item in teacher_completion(programme=programme, teacher=student).missing)


def test_another_unit_cannot_set_up_a_quiz(client, other_organiser, programme, quiz):
    client.force_login(other_organiser)
    assert client.get(reverse("exams:quiz_create", args=[programme.code])).status_code in (403, 404)
    assert client.post(reverse("exams:quiz_withdraw", args=[quiz.pk])).status_code in (403, 404)
    quiz.refresh_from_db()
    assert quiz.withdrawn_at is None

"""Attempts through the pages and the API: no answer key before review, autosave, deadline, grading."""

import datetime
import json
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from exams import services
from exams.models import Attempt, AttemptQuestion, Option, Quiz
from exams.services import attempt_answer, attempt_start, attempt_submit, attempts_grade_expired
from tests.factories import make_teacher, run_in_threads

KEY_MARKERS = ("is_correct", '"correct"', "correct:", "解析：", "依据：", "正确答案")


def correct_ids(item):
    return list(Option.objects.filter(question_id=item.question_id, is_correct=True).values_list("pk", flat=True))


def wrong_id(item):
    return Option.objects.filter(question_id=item.question_id, is_correct=False).values_list("pk", flat=True).first()


def answer_all(attempt, teacher, *, right: int):
    for n, item in enumerate(attempt.items.order_by("position")):
        chosen = correct_ids(item) if n < right else [wrong_id(item)]
        attempt_answer(attempt=attempt, teacher=teacher, question_id=item.question_id, option_ids=chosen)


def test_attempt_page_and_api_carry_no_answer_key(client, quiz, student):
    client.force_login(student)
    response = client.post(reverse("exams:start", args=[quiz.pk]), follow=True)
    html = response.content.decode()
    attempt = Attempt.objects.get()
    assert "单选题" in html and attempt.items.count() == 6
    for marker in KEY_MARKERS:
        assert marker not in html, marker
    api = APIClient()
    api.force_authenticate(student)
    for url in (f"/api/attempts/{attempt.pk}/", "/api/attempts/", f"/api/quizzes/{quiz.pk}/"):
        body = api.get(url).content.decode()
        for marker in ("is_correct", "correct", "explanation", "points"):
            assert marker not in body, (url, marker)
    started = api.post(f"/api/quizzes/{quiz.pk}/start/").content.decode()
    assert "correct" not in started and "explanation" not in started
    # after hand-in the review carries the key; the questions themselves still do not
    submitted = api.post(f"/api/attempts/{attempt.pk}/submit/").json()
    assert submitted["review"] and all("answer" in item for item in submitted["review"])
    assert all(set(q) == {"id", "position", "kind", "stem", "selected", "options"} for q in submitted["questions"])
    assert all(set(o) == {"letter", "id", "text"} for q in submitted["questions"] for o in q["options"])


def test_reload_keeps_saved_answers_and_resumes(client, quiz, student):
    client.force_login(student)
    client.post(reverse("exams:start", args=[quiz.pk]))
    attempt = Attempt.objects.get()
    first = attempt.items.order_by("position").first()
    choice = correct_ids(first)[:1]
    saved = client.post(
        reverse("exams:answer", args=[attempt.pk]),
        json.dumps({"question": first.question_id, "options": choice}),
        content_type="application/json",
    )
    assert saved.status_code == 200 and saved.json()["saved"] is True
    again = client.post(reverse("exams:start", args=[quiz.pk]), follow=True)  # a second "start" resumes
    assert Attempt.objects.count() == 1
    assert f'value="{choice[0]}" checked' in again.content.decode()


def test_bad_answers_are_refused_and_change_nothing(client, quiz, student, other_teacher, programme):
    from courses.services import enrolment_create

    client.force_login(student)
    client.post(reverse("exams:start", args=[quiz.pk]))
    attempt = Attempt.objects.get()
    item = attempt.items.order_by("position").first()
    other_question = AttemptQuestion.objects.exclude(pk=item.pk).filter(attempt=attempt).first()
    url = reverse("exams:answer", args=[attempt.pk])

    def post(body):
        return client.post(url, json.dumps(body), content_type="application/json")

    not_in_attempt = Option.objects.exclude(question_id__in=attempt.items.values("question_id")).first()
    assert post({"question": not_in_attempt.question_id, "options": [not_in_attempt.pk]}).status_code == 400
    assert (
        "不属于这道题" in post({"question": item.question_id, "options": correct_ids(other_question)}).json()["error"]
    )
    if item.question.kind != "multiple":
        two = list(Option.objects.filter(question_id=item.question_id).values_list("pk", flat=True))[:2]
        assert "只能选一个" in post({"question": item.question_id, "options": two}).json()["error"]
    assert post({"oops": 1}).status_code == 400
    # Another teacher's attempt is not theirs to see or change.
    enrolment_create(actor=other_teacher, programme=programme, teacher=other_teacher, source="self")
    client.force_login(other_teacher)
    assert client.get(reverse("exams:attempt", args=[attempt.pk])).status_code == 404
    assert post({"question": item.question_id, "options": correct_ids(item)}).status_code == 404
    assert client.post(reverse("exams:submit", args=[attempt.pk])).status_code == 404
    assert not AttemptQuestion.objects.filter(attempt=attempt).exclude(selected=[]).exists()


def test_deadline_and_grace_with_frozen_time(quiz, student):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        attempt = attempt_start(quiz=quiz, teacher=student)
    item = attempt.items.order_by("position").first()
    with time_machine.travel(attempt.deadline + datetime.timedelta(seconds=20), tick=False):
        attempt_answer(attempt=attempt, teacher=student, question_id=item.question_id, option_ids=correct_ids(item)[:1])
    late = time_machine.travel(attempt.deadline + datetime.timedelta(seconds=31), tick=False)
    with late, pytest.raises(services.QuizRefused, match="已超过作答截止时间"):
        attempt_answer(attempt=attempt, teacher=student, question_id=item.question_id, option_ids=[wrong_id(item)])
    attempt.refresh_from_db()
    assert attempt.status == "expired" and attempt.submitted_at == attempt.deadline
    assert attempt.items.get(pk=item.pk).selected == correct_ids(item)[:1]  # the late change was not saved


def test_abandoned_attempt_is_graded_on_saved_answers(quiz, student):
    attempt = attempt_start(quiz=quiz, teacher=student)
    answer_all(attempt, student, right=6)
    with time_machine.travel(attempt.deadline + datetime.timedelta(hours=5), tick=False):
        assert attempts_grade_expired() == 1
        assert attempts_grade_expired() == 0
    attempt.refresh_from_db()
    assert attempt.status == "expired" and attempt.score == Decimal("100.00") and attempt.passed


def test_grade_expired_command_and_lazy_grading_on_results(client, quiz, student, organiser):
    attempt = attempt_start(quiz=quiz, teacher=student)
    answer_all(attempt, student, right=3)
    with time_machine.travel(attempt.deadline + datetime.timedelta(minutes=5), tick=False):
        client.force_login(organiser)
        page = client.get(reverse("exams:results", args=[quiz.pk])).content.decode()
    attempt.refresh_from_db()
    assert attempt.status == "expired" and attempt.score == Decimal("50.00")
    assert "50" in page


def test_submit_is_idempotent(client, quiz, student):
    client.force_login(student)
    client.post(reverse("exams:start", args=[quiz.pk]))
    attempt = Attempt.objects.get()
    answer_all(attempt, student, right=4)
    client.post(reverse("exams:submit", args=[attempt.pk]))
    attempt.refresh_from_db()
    first = (attempt.score, attempt.submitted_at)
    item = attempt.items.order_by("position").last()
    response = client.post(reverse("exams:submit", args=[attempt.pk]), follow=True)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.submitted_at) == first
    assert "66.67" in response.content.decode() or "66.7" in response.content.decode()
    with pytest.raises(services.QuizRefused, match="已交卷"):
        attempt_answer(attempt=attempt, teacher=student, question_id=item.question_id, option_ids=correct_ids(item))


def test_review_policies(client, quiz, student):
    client.force_login(student)
    attempt = attempt_start(quiz=quiz, teacher=student)
    answer_all(attempt, student, right=6)
    attempt_submit(attempt=attempt, teacher=student)
    page = client.get(reverse("exams:result", args=[attempt.pk])).content.decode()
    assert "答案与解析" in page and "依据：" in page
    Quiz.objects.filter(pk=quiz.pk).update(review_policy="after_close")
    page = client.get(reverse("exams:result", args=[attempt.pk])).content.decode()
    assert "答案与解析" not in page and "关闭" in page
    with time_machine.travel(quiz.closes_at + datetime.timedelta(minutes=1), tick=False):
        assert "答案与解析" in client.get(reverse("exams:result", args=[attempt.pk])).content.decode()
    Quiz.objects.filter(pk=quiz.pk).update(review_policy="never")
    page = client.get(reverse("exams:result", args=[attempt.pk])).content.decode()
    assert "答案与解析" not in page and "依据：" not in page


def _multiple_item(attempt):
    return next(item for item in attempt.items.select_related("question") if item.question.kind == "multiple")


@pytest.mark.parametrize(
    ("rule", "subset_points", "with_wrong_points"), [("all_or_nothing", 0, 0), ("partial", Decimal("0.6667"), 0)]
)
def test_multiple_choice_scoring_rules(quiz, student, rule, subset_points, with_wrong_points):
    Quiz.objects.filter(pk=quiz.pk).update(multiple_rule=rule)
    quiz.refresh_from_db()
    attempt = attempt_start(quiz=quiz, teacher=student)
    items = [item for item in attempt.items.select_related("question") if item.question.kind == "multiple"]
    subset, with_wrong = items
    attempt_answer(attempt=attempt, teacher=student, question_id=subset.question_id, option_ids=correct_ids(subset)[:2])
    attempt_answer(
        attempt=attempt,
        teacher=student,
        question_id=with_wrong.question_id,
        option_ids=correct_ids(with_wrong)[:2] + [wrong_id(with_wrong)],
    )
    attempt_submit(attempt=attempt, teacher=student)
    subset.refresh_from_db()
    with_wrong.refresh_from_db()
    assert subset.points == Decimal(subset_points) and with_wrong.points == with_wrong_points


def test_best_versus_last_and_attempt_limit(quiz, student, organiser):
    first = attempt_start(quiz=quiz, teacher=student)
    answer_all(first, student, right=6)
    attempt_submit(attempt=first, teacher=student)
    second = attempt_start(quiz=quiz, teacher=student)
    answer_all(second, student, right=1)
    attempt_submit(attempt=second, teacher=student)
    from exams.selectors import counting_attempt, passed_teacher_ids

    assert counting_attempt(quiz=quiz, teacher=student) == first
    assert passed_teacher_ids(quiz=quiz) == {student.pk}
    services.quiz_update(actor=organiser, quiz=quiz, score_policy="last")
    assert counting_attempt(quiz=quiz, teacher=student) == second
    assert passed_teacher_ids(quiz=quiz) == set()
    with pytest.raises(services.QuizRefused, match="用完"):
        attempt_start(quiz=quiz, teacher=student)
    assert Attempt.objects.count() == 2


def test_quiz_not_open_closed_or_not_enrolled(quiz, student):
    early = time_machine.travel(quiz.opens_at - datetime.timedelta(minutes=1), tick=False)
    with early, pytest.raises(services.QuizRefused, match="尚未开放"):
        attempt_start(quiz=quiz, teacher=student)
    with time_machine.travel(quiz.closes_at, tick=False), pytest.raises(services.QuizRefused, match="已于"):
        attempt_start(quiz=quiz, teacher=student)
    with pytest.raises(services.QuizRefused, match="没有报名"):
        attempt_start(quiz=quiz, teacher=make_teacher())
    assert not Attempt.objects.exists()


def test_api_attempt_flow_and_refusals(quiz, student):
    api = APIClient()
    api.force_authenticate(student)
    listing = api.get("/api/quizzes/").json()
    assert listing["count"] == 1
    started = api.post(f"/api/quizzes/{quiz.pk}/start/")
    assert started.status_code == 201
    attempt_id = started.json()["id"]
    question = started.json()["questions"][0]
    saved = api.post(
        f"/api/attempts/{attempt_id}/answer/",
        {"question": question["id"], "options": [question["options"][0]["id"]]},
        format="json",
    )
    assert saved.status_code == 200
    bad = api.post(f"/api/attempts/{attempt_id}/answer/", {"question": 999999, "options": []}, format="json")
    assert bad.status_code == 400
    submitted = api.post(f"/api/attempts/{attempt_id}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert "score" in submitted.json()
    again = api.post(f"/api/attempts/{attempt_id}/submit/")
    assert again.json()["score"] == submitted.json()["score"]
    closed = api.post(f"/api/attempts/{attempt_id}/answer/", {"question": question["id"], "options": []}, format="json")
    assert closed.status_code == 409
    other = APIClient()
    other.force_authenticate(make_teacher())
    assert other.get(f"/api/attempts/{attempt_id}/").status_code == 404
    assert other.post(f"/api/quizzes/{quiz.pk}/start/").status_code in (403, 404)


def test_fixture_bank_loads_with_sources(db):
    from django.core.management import call_command

    from exams.models import Question

    call_command("seed_exams", "--no-demo-quizzes", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Question.objects.count() >= 150
    for law in ("宪法", "教育法", "义务教育法", "教师法", "行政许可法", "行政处罚法", "行政复议法"):
        assert Question.objects.filter(law=law).count() >= 15, law
    assert not Question.objects.filter(revision="").exists()
    assert not Question.objects.filter(explanation="").exists()
    assert Question.objects.get(stem__contains="社会主义制度是中华人民共和国的什么制度").article == "第一条"


@pytest.mark.django_db(transaction=True)
def test_attempt_limit_holds_under_concurrent_starts(postgres_only):
    from courses.services import enrolment_create
    from exams.services import quiz_create
    from tests.exams.conftest import make_bank
    from tests.factories import make_organiser, make_programme, make_unit

    make_bank()
    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser)
    now = timezone.now()
    quiz = quiz_create(actor=organiser, programme=programme, title="并发", single_count=1, multiple_count=1, truefalse_count=1,
                       max_attempts=1, opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=1))  # fmt: skip
    teacher = make_teacher()
    enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")
    barrier = threading.Barrier(8)
    started = []

    def start():
        try:
            barrier.wait()
            started.append(attempt_start(quiz=quiz, teacher=teacher).pk)
        except services.QuizRefused as refused:
            started.append(str(refused))
        finally:
            connection.close()

    run_in_threads(start, [()] * 8)
    assert Attempt.objects.filter(quiz=quiz, teacher=teacher).count() == 1
    assert len(set(started)) == 1  # everyone got the same attempt


@pytest.mark.django_db(transaction=True)
def test_concurrent_submit_grades_once(postgres_only):
    from courses.services import enrolment_create
    from exams.services import quiz_create
    from tests.exams.conftest import make_bank
    from tests.factories import make_organiser, make_programme, make_unit

    make_bank()
    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser)
    now = timezone.now()
    quiz = quiz_create(actor=organiser, programme=programme, title="并发交卷", single_count=2, multiple_count=0, truefalse_count=0,
                       opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=1))  # fmt: skip
    teacher = make_teacher()
    enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")
    attempt = attempt_start(quiz=quiz, teacher=teacher)
    barrier = threading.Barrier(6)
    results = []

    def submit():
        try:
            barrier.wait()
            results.append(attempt_submit(attempt=attempt, teacher=teacher).submitted_at)
        finally:
            connection.close()

    run_in_threads(submit, [()] * 6)
    assert len(set(results)) == 1
    attempt.refresh_from_db()
    assert attempt.status == "submitted"

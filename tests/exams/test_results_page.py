"""The organiser's results: paginated, filtered by school and result; item analysis names the most
common mistake for every kind of question — a wrong option ticked, or a correct one left out."""

from django.urls import reverse

from courses.services import enrolment_create
from exams.models import AttemptQuestion, Option
from exams.selectors import item_analysis
from exams.services import attempt_answer, attempt_start, attempt_submit
from tests.factories import make_teacher


def _take(quiz, teacher, *, choose):
    attempt = attempt_start(quiz=quiz, teacher=teacher)
    for item in AttemptQuestion.objects.filter(attempt=attempt).select_related("question"):
        options = list(Option.objects.filter(question=item.question).order_by("pk"))
        attempt_answer(
            attempt=attempt, teacher=teacher, question_id=item.question_id, option_ids=choose(item.question, options)
        )
    return attempt_submit(attempt=attempt, teacher=teacher)


def test_multiple_choice_mistakes_are_named_as_left_out_options(quiz, student, organiser, programme):
    def first_correct_only(question, options):
        return [next(o.pk for o in options if o.is_correct)]

    _take(quiz, student, choose=first_correct_only)
    rows = {row["code"]: row for row in item_analysis(quiz=quiz)}
    multiple = [row for row in rows.values() if row["stem"].startswith("多选题")]
    assert multiple and all(row["top_wrong"].startswith("漏选“") for row in multiple)
    assert all(row["percent_correct"] == 100 for row in rows.values() if not row["stem"].startswith("多选题"))


def test_results_filter_by_school_and_result_and_paginate(client, quiz, student, organiser, programme):
    others = [make_teacher(name=f"教师乙{n}", school="许昌市第二中学") for n in range(3)]
    for teacher in others:
        enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    _take(quiz, student, choose=lambda question, options: [o.pk for o in options if o.is_correct])
    client.force_login(organiser)
    url = reverse("exams:results", args=[quiz.pk])
    page = client.get(url, {"school": "许昌市第二中学"}).content.decode()
    assert "成绩表（3 人）" in page and "教师乙0" in page and student.name not in page.split("成绩表")[1]
    page = client.get(url, {"result": "passed"}).content.decode()
    assert "成绩表（1 人）" in page and student.name in page
    page = client.get(url, {"result": "absent"}).content.decode()
    assert "成绩表（3 人）" in page

"""The quiz's results, the completion check and the dashboard count the same attempt: with 取最后一次,
a teacher who passed and then failed has failed, everywhere."""

import datetime

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from certificates.services import completion_rule_set
from courses.services import enrolment_create
from exams.models import Option, ScorePolicy
from exams.services import attempt_answer, attempt_start, attempt_submit, quiz_create
from reports.models import EnrolmentFact
from reports.selectors import ReportFilter, summary, summary_direct
from tests.certificates.conftest import attend
from tests.exams.conftest import make_bank
from tests.factories import make_teacher


def _take(quiz, teacher, *, right: bool):
    attempt = attempt_start(quiz=quiz, teacher=teacher)
    for item in attempt.items.all():
        options = Option.objects.filter(question_id=item.question_id, is_correct=right).values_list("pk", flat=True)
        chosen = list(options) if right else list(options)[:1]
        attempt_answer(attempt=attempt, teacher=teacher, question_id=item.question_id, option_ids=chosen)
    return attempt_submit(attempt=attempt, teacher=teacher)


def test_passed_then_failed_under_the_last_attempt_policy_counts_as_failed_everywhere(
    client, course, organiser, bureau
):
    make_bank()
    completion_rule_set(actor=organiser, programme=course, auto_issue=False)
    now = timezone.now()
    quiz = quiz_create(
        actor=organiser, programme=course, title="课后测试", single_count=2, multiple_count=1, truefalse_count=1,
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1),
        max_attempts=3, score_policy=ScorePolicy.LAST,
    )  # fmt: skip
    teacher = make_teacher(name="王一")
    steady = make_teacher(name="李二")
    for person in (teacher, steady):
        enrolment_create(actor=organiser, programme=course, teacher=person, source="organiser")
        attend(course, person)
    assert _take(quiz, teacher, right=True).passed
    assert not _take(quiz, teacher, right=False).passed
    assert _take(quiz, steady, right=True).passed

    api = APIClient()
    api.force_authenticate(organiser)
    rows = {row["name"]: row for row in api.get(f"/api/quizzes/{quiz.pk}/results/").json()}
    assert rows["王一"]["passed"] is False and rows["李二"]["passed"] is True

    client.force_login(teacher)
    page = client.get(reverse("courses:programme_detail", args=[course.code])).content.decode()
    assert "课后测试未通过" in page

    client.force_login(organiser)
    page = client.get(reverse("certificates:programme", args=[course.code])).content.decode()
    assert '<b id="n-completed">1</b>' in page  # only 李二 completed

    assert EnrolmentFact.objects.get(teacher=teacher, programme=course).passed_quiz is False
    assert EnrolmentFact.objects.get(teacher=steady, programme=course).passed_quiz is True
    f = ReportFilter(year=course.year)
    for reader in (bureau, organiser):
        assert summary(user=reader, f=f)["quiz_pass_rate"] == summary_direct(user=reader, f=f)["quiz_pass_rate"] == 50.0
    api.force_authenticate(bureau)
    assert api.get("/api/reports/summary/", {"year": course.year}).json()["quiz_pass_rate"] == 50.0

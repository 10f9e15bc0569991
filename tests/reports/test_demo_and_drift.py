"""The demo holds on any day, every seed keeps the dashboard's facts equal to the records, and the
drift check says so (or says exactly what differs)."""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from attendance.tokens import make_token
from courses.demo import current_programmes
from exams.models import Attempt, Quiz
from exams.selectors import item_analysis
from reports.models import EnrolmentFact

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def _seed(*commands):
    for command in commands:
        call_command(command, stdout=io.StringIO())


def _check() -> str:
    out = io.StringIO()
    call_command("refresh_report_facts", "--check", stdout=out)
    return out.getvalue()


def _summary(year: int) -> dict:
    api = APIClient()
    api.force_authenticate(User.objects.get(username="bureau"))
    response = api.get("/api/reports/summary/", {"year": year})
    assert response.status_code == 200
    return response.json()


def test_seed_demo_alone_gives_the_dashboard_its_3234_teachers(db):
    _seed("seed_demo")
    assert "一致" in _check()
    assert _summary(2021)["distinct_teachers"] == 3234
    assert EnrolmentFact.objects.filter(year=2021).count() > 7800


def test_each_seed_alone_and_in_another_order_keeps_the_facts_true(db):
    _seed("seed_exams")  # before anything: the bank only
    assert "一致" in _check()
    _seed("seed_activity")  # no accounts yet: nothing to do
    assert "一致" in _check()
    _seed("seed_demo")
    assert "一致" in _check()
    _seed("seed_activity")  # before the quizzes exist
    assert "一致" in _check()
    _seed("seed_exams", "seed_activity")
    assert "一致" in _check()
    data = _summary(2021)
    assert data["completions"] > 0 and data["quiz_pass_rate"] > 0 and data["attendance_rate"] > 0


def test_the_check_names_each_difference_and_exits_1(db):
    _seed("seed_demo")
    fact = EnrolmentFact.objects.order_by("pk").first()
    EnrolmentFact.objects.filter(pk=fact.pk).update(sessions_attended=7)
    EnrolmentFact.objects.order_by("pk").last().delete()
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 条报名有差异"):
        call_command("refresh_report_facts", "--check", stdout=out)
    assert f"报名 {fact.pk}" in out.getvalue() and "sessions_attended 表中为 7，按记录应为 0" in out.getvalue()
    assert "汇总表缺少这一行" in out.getvalue()
    call_command("refresh_report_facts", stdout=io.StringIO())
    assert "一致" in _check()


@pytest.mark.parametrize("moment", ["2029-02-03 09:10", "2031-07-20 21:00", "2027-01-05 08:40"])
def test_the_demo_works_on_any_day(db, client, moment):
    """Whatever the date: something to enrol in, today's session open for check-in, an open quiz,
    a finished programme of this year with certificates, and item analysis for every question."""
    when = datetime.datetime.fromisoformat(moment).replace(tzinfo=BEIJING)
    with time_machine.travel(when, tick=False):
        _seed("seed_demo", "seed_exams", "seed_activity")
        assert "一致" in _check()
        current = current_programmes()
        assert set(current) == {"online", "today", "upcoming", "finished"}
        teacher = User.objects.get(mobile="13900000001")
        client.force_login(teacher)

        catalogue = client.get(reverse("courses:catalogue")).content.decode()
        assert current["upcoming"].title in catalogue and current["today"].title in catalogue
        response = client.post(reverse("courses:enrol", args=[current["upcoming"].code]), follow=True)
        assert "报名成功" in response.content.decode()
        assert current["upcoming"].enrolments.filter(teacher=teacher, status="enrolled").exists()

        session = current["today"].sessions.get()
        token = make_token(session_id=session.pk, kind="in", moment=timezone.now())
        page = client.get(reverse("attendance:scan", args=[token]), follow=True).content.decode()
        assert "签到成功" in page or "迟到" in page
        assert session.checkins.filter(teacher=teacher).exists()

        quiz = Quiz.objects.get(programme=current["online"])
        response = client.post(reverse("exams:start", args=[quiz.pk]), follow=True)
        assert response.status_code == 200
        assert Attempt.objects.filter(quiz=quiz, teacher=teacher, status="open").exists()

        finished = current["finished"]
        assert finished.year in (when.year, when.year - 1)
        assert finished.certificates.filter(status="valid").exists()
        closed_quiz = Quiz.objects.get(programme=finished)
        rows = item_analysis(quiz=closed_quiz)
        assert rows and all(row["n"] > 0 for row in rows)
        assert any(0 < row["percent_correct"] < 100 for row in rows)

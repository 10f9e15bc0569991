"""The bulk records (a typed-in paper sheet, results brought over from another system, the demo) refuse
teachers who are not enrolled, in Chinese, and write nothing."""

import datetime
import random

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from attendance.models import CheckIn
from attendance.services import RecordedCheckin, checkins_bulk_record
from courses.services import enrolment_create
from exams.models import Attempt
from exams.services import RecordedAttempt, attempts_bulk_record, quiz_create
from tests.exams.conftest import make_bank
from tests.factories import make_programme, make_teacher


def test_bulk_records_refuse_teachers_who_are_not_enrolled(organiser, db):
    make_bank()
    programme = make_programme(organiser=organiser)
    session = programme.sessions.get()
    enrolled, stranger = make_teacher(), make_teacher()
    enrolment_create(actor=organiser, programme=programme, teacher=enrolled, source="organiser")
    now = timezone.now()

    with pytest.raises(ValidationError, match="有 1 名教师没有报名该项目，不能登记考勤。"):
        checkins_bulk_record(
            actor=organiser,
            session=session,
            records=[RecordedCheckin(teacher.pk, "present", session.starts_at) for teacher in (enrolled, stranger)],
        )
    assert not CheckIn.objects.exists()

    quiz = quiz_create(
        actor=organiser, programme=programme, title="测试", single_count=1, multiple_count=0, truefalse_count=0,
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="有 1 名教师没有报名该项目，不能记录成绩。"):
        attempts_bulk_record(
            quiz=quiz,
            attempts=[RecordedAttempt(stranger.pk, now, 20, lambda kind, options, correct: list(correct))],
            rng=random.Random(1),
        )
    assert not Attempt.objects.exists()

"""Demo quiz results for past quizzes: one graded attempt per participant, most passing."""

import datetime
import random
from decimal import Decimal

from django.db import transaction

from courses.models import Enrolment, EnrolmentStatus

from .models import Attempt, AttemptStatus, Quiz


@transaction.atomic
def seed_quiz_results(*, quiz: Quiz, rng: random.Random, take_rate: float = 0.95) -> int:
    if Attempt.objects.filter(quiz=quiz).exists():
        return 0
    teachers = (
        Enrolment.objects.filter(programme_id=quiz.programme_id, status=EnrolmentStatus.ENROLLED)
        .order_by("teacher_id")
        .values_list("teacher_id", flat=True)
    )
    rows = []
    for teacher_id in teachers:
        if rng.random() > take_rate:
            continue
        started = quiz.opens_at + datetime.timedelta(minutes=rng.randint(0, 60 * 24))
        score = Decimal(min(100, max(20, int(rng.gauss(82, 12))))).quantize(Decimal("0.01"))
        rows.append(
            Attempt(
                quiz=quiz,
                teacher_id=teacher_id,
                number=1,
                started_at=started,
                deadline=started + datetime.timedelta(minutes=quiz.time_limit_minutes),
                submitted_at=started + datetime.timedelta(minutes=rng.randint(6, quiz.time_limit_minutes)),
                status=AttemptStatus.SUBMITTED,
                score=score,
                passed=score >= quiz.pass_mark,
            )  # fmt: skip
        )
    Attempt.objects.bulk_create(rows, batch_size=2000)
    return len(rows)

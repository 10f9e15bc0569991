"""Demo quiz results for past quizzes: one graded attempt per participant, most passing, each question
answered, recorded through exams.services.attempts_bulk_record like results brought over in bulk."""

import datetime
import random

from courses.models import Enrolment, EnrolmentStatus

from .models import Attempt, Quiz
from .services import RecordedAttempt, attempts_bulk_record


def _answerer(rng: random.Random, ability: float):
    """How a teacher of this ability ticks one question: right with that chance, otherwise a
    plausible wrong answer (a wrong option, or a multiple choice with one too few or too many)."""

    def choose(kind: str, options: list[int], correct: set[int]) -> list[int]:
        if rng.random() < 0.01:
            return []
        right = [pk for pk in options if pk in correct]
        wrong = [pk for pk in options if pk not in correct]
        if rng.random() < ability or not wrong:
            return right
        if kind != "multiple":
            return [rng.choice(wrong)]
        if len(right) > 1 and rng.random() < 0.5:
            return right[:-1]
        return sorted(right + [rng.choice(wrong)], key=options.index)

    return choose


def seed_quiz_results(*, quiz: Quiz, rng: random.Random, take_rate: float = 0.95) -> int:
    if Attempt.objects.filter(quiz=quiz).exists():
        return 0
    teachers = (
        Enrolment.objects.filter(programme_id=quiz.programme_id, status=EnrolmentStatus.ENROLLED)
        .order_by("teacher_id")
        .values_list("teacher_id", flat=True)
    )
    attempts = []
    for teacher_id in teachers:
        if rng.random() > take_rate:
            continue
        started = quiz.opens_at + datetime.timedelta(minutes=rng.randint(0, 60 * 24))
        ability = min(0.99, max(0.3, rng.gauss(0.84, 0.1)))
        attempts.append(
            RecordedAttempt(
                teacher_id=teacher_id,
                started_at=started,
                minutes=rng.randint(6, quiz.time_limit_minutes),
                choose=_answerer(rng, ability),
            )  # fmt: skip
        )
    return attempts_bulk_record(quiz=quiz, attempts=attempts, rng=rng)

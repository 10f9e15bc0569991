"""The exams app's background work (Django's Tasks API)."""

from django_tasks import task

from .services import attempts_grade_expired


@task()
def grade_expired_attempts() -> int:
    """Periodic: grade, on their saved answers, attempts left open past their deadline."""
    return attempts_grade_expired()

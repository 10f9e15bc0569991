"""Automatic issue: after an attended check-in or a passed quiz, issue if the trainee now completes.

Listening to the other apps' saves keeps the dependency one way: attendance and exams
know nothing of certificates.
"""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from attendance.models import CheckIn
from attendance.selectors import ATTENDED
from courses.models import Programme
from exams.models import Attempt

from .models import CompletionRule
from .services import issue_if_completed


def _later(programme_id: int, teacher_id: int) -> None:
    transaction.on_commit(lambda: issue_if_completed(programme_id=programme_id, teacher_id=teacher_id))


@receiver(post_save, sender=CheckIn, dispatch_uid="certificates.checkin")
def on_checkin(sender, instance: CheckIn, **kwargs):
    if instance.status in ATTENDED:
        _later(instance.session.programme_id, instance.teacher_id)


@receiver(post_save, sender=Attempt, dispatch_uid="certificates.attempt")
def on_attempt(sender, instance: Attempt, **kwargs):
    if instance.passed:
        _later(instance.quiz.programme_id, instance.teacher_id)


@receiver(post_save, sender=Programme, dispatch_uid="certificates.programme")
def on_programme(sender, instance: Programme, created: bool, raw: bool = False, **kwargs):
    """Every new programme starts with the usual rule — all sessions, quizzes passed, automatic issue —
    which the organiser can change; without one nobody could ever be certified."""
    if created and not raw:
        CompletionRule.objects.get_or_create(programme=instance)

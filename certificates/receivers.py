"""Automatic issue: after an attended check-in or a passed quiz, issue if the trainee now completes.

Listening to the other apps' saves keeps the dependency one way: attendance and exams
know nothing of certificates.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from attendance.models import CheckIn
from attendance.selectors import ATTENDED
from courses.models import Programme
from exams.models import Attempt

from .services import issue_request


def _later(programme: Programme, teacher) -> None:
    """The trainee may have completed: ask for the automatic issue (handled in batches after commit)."""
    issue_request(programme_id=programme.pk, teacher_id=teacher.pk)


@receiver(post_save, sender=CheckIn, dispatch_uid="certificates.checkin")
def on_checkin(sender, instance: CheckIn, **kwargs):
    if instance.status in ATTENDED:
        _later(instance.session.programme, instance.teacher)


@receiver(post_save, sender=Attempt, dispatch_uid="certificates.attempt")
def on_attempt(sender, instance: Attempt, **kwargs):
    if instance.passed:
        _later(instance.quiz.programme, instance.teacher)

"""Automatic issue: after an attended check-in or a passed quiz, issue if the trainee now completes.

Listening to the other apps' saves keeps the dependency one way: attendance and exams
know nothing of certificates.
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from attendance.models import CheckIn
from attendance.selectors import ATTENDED
from courses.models import Enrolment, Programme, Session
from courses.signals import enrolments_bulk_created
from exams.models import Attempt, Quiz

from .facts import facts_add_new, facts_refresh, facts_update
from .models import Certificate, CompletionRule
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


@receiver(post_save, sender=Programme, dispatch_uid="certificates.programme")
def on_programme(sender, instance: Programme, created: bool, raw: bool = False, **kwargs):
    """Every new programme starts with the usual rule — all sessions, quizzes passed, automatic issue —
    which the organiser can change; without one nobody could ever be certified."""
    if created and not raw:
        CompletionRule.objects.get_or_create(programme=instance)


# ---- The dashboard's facts follow every save that changes what it counts (same transaction).


@receiver(post_save, sender=Enrolment, dispatch_uid="facts.enrolment")
@receiver(post_delete, sender=Enrolment, dispatch_uid="facts.enrolment_delete")
def facts_on_enrolment(sender, instance: Enrolment, raw: bool = False, **kwargs):
    if not raw:
        facts_refresh(programme_id=instance.programme_id, teacher_id=instance.teacher_id)


@receiver(post_save, sender=CheckIn, dispatch_uid="facts.checkin")
def facts_on_checkin(sender, instance: CheckIn, raw: bool = False, **kwargs):
    if not raw:
        facts_update(programme_id=instance.session.programme_id, teacher_id=instance.teacher_id, part="attendance")


@receiver(post_save, sender=Attempt, dispatch_uid="facts.attempt")
def facts_on_attempt(sender, instance: Attempt, raw: bool = False, **kwargs):
    if not raw and instance.status != "open":
        facts_update(programme_id=instance.quiz.programme_id, teacher_id=instance.teacher_id, part="quiz")


@receiver(post_save, sender=Certificate, dispatch_uid="facts.certificate")
def facts_on_certificate(sender, instance: Certificate, raw: bool = False, **kwargs):
    if not raw:
        facts_update(programme_id=instance.programme_id, teacher_id=instance.teacher_id, part="certificate")


@receiver(post_save, sender=Session, dispatch_uid="facts.session")
@receiver(post_delete, sender=Session, dispatch_uid="facts.session_delete")
@receiver(post_save, sender=Quiz, dispatch_uid="facts.quiz")
@receiver(post_delete, sender=Quiz, dispatch_uid="facts.quiz_delete")
def facts_on_programme_part(sender, instance, raw: bool = False, **kwargs):
    if not raw:
        facts_refresh(programme_ids=[instance.programme_id])


@receiver(post_save, sender=Programme, dispatch_uid="facts.programme")
def facts_on_programme(sender, instance: Programme, created: bool, raw: bool = False, **kwargs):
    if not created and not raw:
        facts_refresh(programme_ids=[instance.pk])


@receiver(enrolments_bulk_created, dispatch_uid="facts.bulk_enrolments")
def facts_on_bulk_enrolments(sender, programme_id: int, teacher_ids: list[int], reactivated_ids: list[int], **kwargs):
    if reactivated_ids:
        facts_refresh(programme_ids=[programme_id])
    else:
        facts_add_new(
            programme_id=programme_id, teacher_ids=teacher_ids, created_teacher_ids=kwargs.get("created_teacher_ids")
        )
    if kwargs.get("changed_teacher_ids"):
        facts_refresh(teacher_ids=kwargs["changed_teacher_ids"])


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="facts.teacher")
def facts_on_teacher(sender, instance, created: bool, raw: bool = False, update_fields=None, **kwargs):
    """The dashboard groups by the teacher's district and school as they are now."""
    if created or raw or not instance.is_teacher:
        return
    if update_fields is not None and not {"district", "school"} & set(update_fields):
        return
    facts_refresh(teacher_ids=[instance.pk])

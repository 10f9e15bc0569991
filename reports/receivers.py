"""The dashboard's facts follow every write that changes what they count, in the same transaction.

Model saves arrive as post_save / post_delete; bulk writes, which send no model signals, announce
themselves through each app's own signal (courses, attendance, exams, certificates). Listening keeps
the dependency one way: nothing outside reports knows the facts exist.
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from attendance.models import CheckIn
from attendance.signals import checkins_bulk_recorded
from certificates.models import Certificate
from certificates.signals import certificates_bulk_issued
from courses.models import Enrolment, Programme, Session
from courses.signals import enrolments_bulk_created
from exams.models import Attempt, AttemptStatus, Quiz
from exams.signals import attempts_bulk_recorded

from .facts import facts_add_new, facts_refresh, facts_update, facts_update_many


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
    if not raw and instance.status != AttemptStatus.OPEN:
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


@receiver(checkins_bulk_recorded, dispatch_uid="facts.bulk_checkins")
def facts_on_bulk_checkins(sender, session_id: int, teacher_ids: list[int], **kwargs):
    programme_id = Session.objects.filter(pk=session_id).values_list("programme_id", flat=True).get()
    facts_update_many(programme_id=programme_id, teacher_ids=teacher_ids, part="attendance")


@receiver(attempts_bulk_recorded, dispatch_uid="facts.bulk_attempts")
def facts_on_bulk_attempts(sender, quiz_id: int, teacher_ids: list[int], **kwargs):
    programme_id = Quiz.objects.filter(pk=quiz_id).values_list("programme_id", flat=True).get()
    facts_update_many(programme_id=programme_id, teacher_ids=teacher_ids, part="quiz")


@receiver(certificates_bulk_issued, dispatch_uid="facts.bulk_certificates")
def facts_on_bulk_certificates(sender, programme_id: int, teacher_ids: list[int], **kwargs):
    facts_update_many(programme_id=programme_id, teacher_ids=teacher_ids, part="certificate")

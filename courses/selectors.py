"""Reads of programmes, sessions and enrolments, scoped by who is asking."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User

from .models import Enrolment, EnrolmentSource, EnrolmentStatus, Programme, Session


def programme_can_manage(*, user: User, programme: Programme) -> bool:
    """Organisers manage their own unit's programmes; superusers all; nobody else."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.is_organiser and programme.unit_id == user.unit_id


def programme_ended_refusal(*, user: User, programme: Programme) -> str:
    """Why an organiser may not enrol teachers by ID number into this programme, or "".

    Enrolment by ID number (the API, the programme page, the roster import) makes a teacher of any
    unit visible to the enrolling unit, so it is possible only while the programme runs; the
    superuser may still correct past records.
    """
    if user.is_superuser or programme.end_date >= timezone.localdate():
        return ""
    return f"“{programme.title}”已于 {programme.end_date:%Y-%m-%d} 结束，不能再添加学员；如需补录往期记录，请联系系统管理员。"


def enrolment_can_cancel(*, user: User, enrolment: Enrolment) -> bool:
    """Who may cancel an active enrolment: the programme's organisers (and superusers) always; the
    teacher only an enrolment they made themselves, before the programme ends — one the organiser
    made (a roster, a walk-in record) is the organiser's to undo."""
    if enrolment.status != EnrolmentStatus.ENROLLED:
        return False
    if programme_can_manage(user=user, programme=enrolment.programme):
        return True
    return (
        user.pk == enrolment.teacher_id
        and enrolment.source == EnrolmentSource.SELF
        and enrolment.programme.end_date >= timezone.localdate()
    )


def programmes_visible_to(*, user: User) -> QuerySet[Programme]:
    """Bureau and superusers: all. Organisers: their unit's. Teachers: open or their own."""
    programmes = Programme.objects.select_related("unit")
    if user.is_superuser or user.is_bureau:
        return programmes
    if user.is_organiser:
        return programmes.filter(unit_id=user.unit_id)
    return programmes.filter(
        Q(self_enrol_open=True) | Q(enrolments__teacher=user, enrolments__status=EnrolmentStatus.ENROLLED)
    ).distinct()


def programmes_with_counts(*, queryset: QuerySet[Programme]) -> QuerySet[Programme]:
    return queryset.annotate(
        enrolled_count=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ENROLLED), distinct=True),
        session_count=Count("sessions", distinct=True),
    )


def programme_catalogue(*, user: User) -> QuerySet[Programme]:
    """Open programmes not yet over, with the teacher's own enrolment marked."""
    today = timezone.localdate()
    mine = Enrolment.objects.filter(teacher=user, status=EnrolmentStatus.ENROLLED).values("programme_id")
    return (
        programmes_with_counts(queryset=Programme.objects.select_related("unit"))
        .filter(self_enrol_open=True, end_date__gte=today)
        .annotate(is_mine=Count("pk", filter=Q(pk__in=mine)))
        .order_by("start_date", "code")
    )


def teacher_programmes(*, teacher: User) -> QuerySet[Enrolment]:
    """A teacher's active enrolments with programme, unit and sessions loaded in three queries."""
    return (
        Enrolment.objects.filter(teacher=teacher, status=EnrolmentStatus.ENROLLED)
        .select_related("programme", "programme__unit")
        .prefetch_related(Prefetch("programme__sessions", queryset=Session.objects.order_by("starts_at")))
        .order_by("-programme__start_date")
    )


def enrolments_visible_to(*, user: User) -> QuerySet[Enrolment]:
    enrolments = Enrolment.objects.select_related("programme", "teacher")
    if user.is_superuser or user.is_bureau:
        return enrolments
    if user.is_organiser:
        return enrolments.filter(programme__unit_id=user.unit_id)
    return enrolments.filter(teacher=user)


def sessions_visible_to(*, user: User) -> QuerySet[Session]:
    visible = programmes_visible_to(user=user).values("pk")
    return Session.objects.select_related("programme").filter(programme_id__in=visible)


def programme_roster(*, programme: Programme) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(programme=programme)
        .select_related("teacher")
        .order_by("status", "teacher__district", "teacher__school", "teacher__name")
    )


def not_enrolled(*, programme_id: int, teacher_ids: list[int]) -> list[int]:
    """Those of teacher_ids without an active enrolment in the programme (for the bulk records of other apps)."""
    enrolled = set(
        Enrolment.objects.filter(
            programme_id=programme_id, teacher_id__in=teacher_ids, status=EnrolmentStatus.ENROLLED
        ).values_list("teacher_id", flat=True)
    )
    return [pk for pk in teacher_ids if pk not in enrolled]

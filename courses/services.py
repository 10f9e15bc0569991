"""Writes of programmes, sessions and enrolments. Each validates, checks authority and is atomic."""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from common.bulk import insert_rows

from .models import Enrolment, EnrolmentSource, EnrolmentStatus, Programme, Session
from .selectors import enrolment_can_cancel, programme_can_manage, programme_ended_refusal
from .signals import enrolments_bulk_created

audit = logging.getLogger("courses.audit")

PROGRAMME_FIELDS = {
    "code", "title", "level", "kind", "unit", "year", "start_date", "end_date", "credit_hours",
    "capacity", "self_enrol_open", "allow_walk_in", "audience", "description",
}  # fmt: skip
SESSION_FIELDS = {
    "title", "starts_at", "ends_at", "venue", "lecturer", "lecturer_title",
    "delivery", "material_title", "material_url", "material_file",
}  # fmt: skip


def _require_manager(*, actor: User, programme: Programme) -> None:
    if not programme_can_manage(user=actor, programme=programme):
        raise PermissionDenied("您无权管理该培训项目：只有项目所属单位的组织者可以修改。")


def _save(instance, *, unique_message: dict | str) -> None:
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise ValidationError(unique_message) from error


def _refuse_taken_code(programme: Programme) -> None:
    """Said before full_clean, whose own uniqueness message names no remedy."""
    code = (programme.code or "").strip().upper()
    if code and Programme.objects.filter(code=code).exclude(pk=programme.pk).exists():
        raise ValidationError({"code": f"项目编号 {code} 已存在，请换一个。"})


@transaction.atomic
def programme_create(*, actor: User, **fields) -> Programme:
    """A new programme; an organiser's is always in the organiser's own unit."""
    if not (actor.is_superuser or actor.is_organiser):
        raise PermissionDenied("只有培训组织者可以创建培训项目。")
    unknown = set(fields) - PROGRAMME_FIELDS
    if unknown:
        raise ValidationError(f"未知字段：{', '.join(sorted(unknown))}")
    if actor.is_organiser:
        fields["unit"] = actor.unit
    if fields.get("start_date") and not fields.get("year"):
        fields["year"] = fields["start_date"].year
    programme = Programme(**fields)
    _refuse_taken_code(programme)
    _save(programme, unique_message={"code": f"项目编号 {programme.code} 已存在，请换一个。"})
    return programme


@transaction.atomic
def programme_update(*, actor: User, programme: Programme, **fields) -> Programme:
    _require_manager(actor=actor, programme=programme)
    unknown = set(fields) - PROGRAMME_FIELDS
    if unknown:
        raise ValidationError(f"未知字段：{', '.join(sorted(unknown))}")
    if actor.is_organiser and "unit" in fields and fields["unit"] != actor.unit:
        raise PermissionDenied("不能把项目转给其他单位。")
    if fields.get("start_date") and "year" not in fields:
        fields["year"] = fields["start_date"].year  # the year follows the dates
    for key, value in fields.items():
        setattr(programme, key, value)
    _refuse_taken_code(programme)
    _save(programme, unique_message={"code": f"项目编号 {programme.code} 已存在，请换一个。"})
    outside = [s for s in programme.sessions.all() if not _session_within(s, programme)]
    if outside:
        raise ValidationError({"start_date": f"已有课次“{outside[0].title}”不在新的项目日期之内，请先调整课次。"})
    return programme


def _shift_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def _shift_moment(moment: datetime.datetime, years: int) -> datetime.datetime:
    local = timezone.localtime(moment)
    return timezone.make_aware(datetime.datetime.combine(_shift_years(local.date(), years), local.time()))


@transaction.atomic
def programme_copy(*, actor: User, programme: Programme, code: str, years: int = 1) -> Programme:
    """A new edition of a programme, `years` later: the same settings and sessions at the same
    Beijing times of day, no enrolments. The copy stays closed to self-enrolment until the
    organiser opens it, so nobody enrols in an edition whose details are still being set."""
    _require_manager(actor=actor, programme=programme)
    fields = {name: getattr(programme, name) for name in PROGRAMME_FIELDS - {"code", "year", "self_enrol_open"}}
    fields.update(
        code=code,
        start_date=_shift_years(programme.start_date, years),
        end_date=_shift_years(programme.end_date, years),
        self_enrol_open=False,
    )
    copy = programme_create(actor=actor, **fields)
    for session in programme.sessions.all():
        session_create(
            actor=actor,
            programme=copy,
            title=session.title,
            starts_at=_shift_moment(session.starts_at, years),
            ends_at=_shift_moment(session.ends_at, years),
            venue=session.venue,
            lecturer=session.lecturer,
            lecturer_title=session.lecturer_title,
        )
    audit.info("programme %s copied to %s by user %s", programme.pk, copy.pk, actor.pk)
    return copy


@transaction.atomic
def programme_close(*, actor: User, programme: Programme) -> Programme:
    """Close (archive) a programme: no more self-enrolment or walk-ins; its records stay as they are."""
    _require_manager(actor=actor, programme=programme)
    if programme.closed_at is not None:
        raise ValidationError(f"“{programme.title}”已于 {timezone.localtime(programme.closed_at):%Y-%m-%d} 关闭。")
    programme.closed_at = timezone.now()
    programme.self_enrol_open = False
    programme.allow_walk_in = False
    programme.save(update_fields=["closed_at", "self_enrol_open", "allow_walk_in"])
    return programme


@transaction.atomic
def programme_reopen(*, actor: User, programme: Programme) -> Programme:
    _require_manager(actor=actor, programme=programme)
    programme.closed_at = None
    programme.save(update_fields=["closed_at"])
    return programme


def session_within(session: Session, programme: Programme) -> bool:
    """Whether the session's Beijing dates lie within the programme's dates."""
    return _session_within(session, programme)


def _session_within(session: Session, programme: Programme) -> bool:
    first = timezone.localtime(session.starts_at).date()
    last = timezone.localtime(session.ends_at).date()
    return programme.start_date <= first and last <= programme.end_date


@transaction.atomic
def session_create(*, actor: User, programme: Programme, **fields) -> Session:
    _require_manager(actor=actor, programme=programme)
    unknown = set(fields) - SESSION_FIELDS
    if unknown:
        raise ValidationError(f"未知字段：{', '.join(sorted(unknown))}")
    session = Session(programme=programme, **fields)
    _save(session, unique_message="课次保存失败，请检查时间。")
    return session


@transaction.atomic
def session_update(*, actor: User, session: Session, **fields) -> Session:
    _require_manager(actor=actor, programme=session.programme)
    unknown = set(fields) - SESSION_FIELDS
    if unknown:
        raise ValidationError(f"未知字段：{', '.join(sorted(unknown))}")
    for key, value in fields.items():
        setattr(session, key, value)
    _save(session, unique_message="课次保存失败，请检查时间。")
    return session


@transaction.atomic
def session_delete(*, actor: User, session: Session) -> None:
    _require_manager(actor=actor, programme=session.programme)
    from .hooks import SESSION_DELETE_GUARDS

    for guard in SESSION_DELETE_GUARDS:
        refusal = guard(session)
        if refusal:
            raise ValidationError(refusal)
    session.delete()


@transaction.atomic
def enrolment_create(*, actor: User, programme: Programme, teacher: User, source: str) -> Enrolment:
    """Enrol a teacher, once, within capacity.

    The programme row is locked for the count so that simultaneous enrolments
    cannot overshoot the capacity (SQLite serialises writers with IMMEDIATE).
    A cancelled enrolment is re-activated rather than duplicated.
    """
    if not teacher.is_teacher:
        raise ValidationError({"teacher": f"{teacher} 不是教师账号，不能报名培训。"})
    if not teacher.is_active:
        raise ValidationError({"teacher": f"{teacher.name} 的账号已停用。"})
    if source in (EnrolmentSource.SELF, EnrolmentSource.WALK_IN):
        if actor.pk != teacher.pk:
            raise PermissionDenied("只能为自己报名。")
    elif not programme_can_manage(user=actor, programme=programme):
        raise PermissionDenied("您无权为该项目添加学员。")

    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    if source == EnrolmentSource.SELF:
        if not locked.self_enrol_open:
            raise ValidationError({"programme": f"“{locked.title}”未开放自主报名，请联系组织单位。"})
        if locked.end_date < timezone.localdate():
            raise ValidationError({"programme": f"“{locked.title}”已于 {locked.end_date:%Y-%m-%d} 结束，不能再报名。"})

    if source == EnrolmentSource.ORGANISER:
        refusal = programme_ended_refusal(user=actor, programme=locked)
        if refusal:
            raise ValidationError({"programme": refusal})

    if source == EnrolmentSource.WALK_IN and not locked.allow_walk_in:
        raise ValidationError({"programme": f"您未报名“{locked.title}”，该项目不接受现场报名，请联系组织者。"})

    existing = Enrolment.objects.filter(programme=locked, teacher=teacher).first()
    if existing and existing.status == EnrolmentStatus.ENROLLED:
        raise ValidationError({"teacher": f"{teacher.name} 已报名“{locked.title}”，无需重复报名。"})
    if locked.capacity is not None:
        taken = Enrolment.objects.filter(programme=locked, status=EnrolmentStatus.ENROLLED).count()
        if taken >= locked.capacity:
            raise ValidationError({"programme": f"“{locked.title}”名额已满（{locked.capacity}人）。"})
    if existing:
        existing.status = EnrolmentStatus.ENROLLED
        existing.source = source
        existing.enrolled_at = timezone.now()
        existing.save(update_fields=["status", "source", "enrolled_at"])
        enrolment = existing
    else:
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(programme=locked, teacher=teacher, source=source)
        except IntegrityError as error:
            raise ValidationError({"teacher": f"{teacher.name} 已报名“{locked.title}”，无需重复报名。"}) from error
    if source == EnrolmentSource.ORGANISER:
        # Audited: who enrolled whom, by primary keys (never an ID number in a log line).
        audit.info(
            "enrolment %s: teacher %s enrolled by ID number into programme %s by user %s",
            enrolment.pk, teacher.pk, locked.pk, actor.pk,
        )  # fmt: skip
    return enrolment


@transaction.atomic
def enrolment_cancel(*, actor: User, enrolment: Enrolment) -> Enrolment:
    if enrolment.status == EnrolmentStatus.CANCELLED:
        raise ValidationError("该报名已经取消。")
    if not enrolment_can_cancel(user=actor, enrolment=enrolment):
        if actor.pk == enrolment.teacher_id:
            raise PermissionDenied("该报名由组织者安排或项目已结束，不能自行取消；如有疑问请联系组织单位。")
        raise PermissionDenied("您无权取消该报名。")
    enrolment.status = EnrolmentStatus.CANCELLED
    enrolment.save(update_fields=["status"])
    return enrolment


@transaction.atomic
def programme_delete(*, actor: User, programme: Programme) -> None:
    _require_manager(actor=actor, programme=programme)
    if programme.enrolments.exists():
        raise ValidationError("该项目已有报名记录，不能删除；如需停办，请关闭自主报名。")
    programme.delete()


@transaction.atomic
def enrolments_bulk_create(
    *, actor: User, programme: Programme, teacher_ids: list[int], source: str, enrolled_at=None
) -> int:
    """Enrol many teachers at once (the demo, a batch from another system), skipping those already
    enrolled; returns how many enrolments were written. Capacity is not checked: the caller hands
    over a list it already decided on. Other apps follow through `enrolments_bulk_created`, as for
    a roster import, so everything derived from enrolments (the dashboard) is right on commit."""
    _require_manager(actor=actor, programme=programme)
    refusal = programme_ended_refusal(user=actor, programme=programme)
    if refusal:
        raise ValidationError({"programme": refusal})
    if source not in EnrolmentSource.values:
        raise ValidationError({"source": f"未知的报名来源：{source}"})
    existing = set(Enrolment.objects.filter(programme=programme).values_list("teacher_id", flat=True))
    wanted = list(dict.fromkeys(pk for pk in teacher_ids if pk not in existing))
    teachers = set(User.objects.filter(pk__in=wanted, role=Role.TEACHER, is_active=True).values_list("pk", flat=True))
    if len(teachers) != len(wanted):
        raise ValidationError({"teacher": f"{len(wanted) - len(teachers)} 个账号不是在用的教师账号，不能报名。"})
    moment = enrolled_at or timezone.now()
    insert_rows(
        Enrolment,
        [{"programme_id": programme.pk, "teacher_id": pk, "source": source, "enrolled_at": moment} for pk in wanted],
    )
    enrolments_bulk_created.send(
        sender=Enrolment, programme_id=programme.pk, teacher_ids=wanted, reactivated_ids=[], changed_teacher_ids=[]
    )
    audit.info("bulk enrolment into programme %s by user %s: %s enrolments", programme.pk, actor.pk, len(wanted))
    return len(wanted)

"""Reads of attendance: windows, live counts, per-session and per-programme reports."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from common.rows import Columns, instances, statement
from courses.models import Enrolment, EnrolmentStatus, Programme, Session

from .models import AttendanceRule, CheckIn, MaterialOpening, Status

ATTENDED = (Status.PRESENT, Status.LATE)


def _session_for_scan_sql(connection) -> tuple[str, list[Columns]]:
    parts = [Columns.of(connection, Session, "s"), Columns.of(connection, Programme, "p")]
    parts.append(Columns.of(connection, AttendanceRule, "r"))
    qn = connection.ops.quote_name
    session_pk, programme_pk = qn(Session._meta.pk.column), qn(Programme._meta.pk.column)
    programme_fk = qn(Session._meta.get_field("programme").column)
    rule_fk = qn(AttendanceRule._meta.get_field("session").column)
    sql = (
        f"SELECT {', '.join(part.sql for part in parts)} FROM {qn(Session._meta.db_table)} s "
        f"JOIN {qn(Programme._meta.db_table)} p ON p.{programme_pk} = s.{programme_fk} "
        f"LEFT JOIN {qn(AttendanceRule._meta.db_table)} r ON r.{rule_fk} = s.{session_pk} WHERE s.{session_pk} = %s"
    )
    return sql, parts


def session_for_scan(pk: int) -> Session | None:
    """The session a QR names, with its programme and rule (as select_related gives them), or None.

    One fixed statement (common.rows): the hottest read of a check-in rush, where the ORM spent more CPU
    building the three-table query than the database spent running it.
    """
    database, (sql, parts) = statement("session_for_scan", _session_for_scan_sql)
    with database.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    session, programme, rule = instances(database, parts, row)
    Session._meta.get_field("programme").set_cached_value(session, programme)
    Session._meta.get_field("attendance_rule").set_cached_value(session, rule)
    if rule is not None:
        AttendanceRule._meta.get_field("session").set_cached_value(rule, session)
    return session


def rule_for(session: Session) -> AttendanceRule:
    """The session's rule, or the defaults (unsaved) when it has none."""
    try:
        return session.attendance_rule
    except AttendanceRule.DoesNotExist:
        return AttendanceRule(session=session)


@dataclass(frozen=True)
class Window:
    opens: datetime.datetime
    late_from: datetime.datetime
    closes: datetime.datetime

    def state(self, moment) -> str:
        if moment < self.opens:
            return "not_open"
        if moment > self.closes:
            return "closed"
        return "late" if moment > self.late_from else "on_time"


def window_for(session: Session, rule: AttendanceRule | None = None) -> Window:
    rule = rule or rule_for(session)
    start = session.starts_at
    return Window(
        opens=start - datetime.timedelta(minutes=rule.opens_before_minutes),
        late_from=start + datetime.timedelta(minutes=rule.late_after_minutes),
        closes=start + datetime.timedelta(minutes=rule.closes_after_start_minutes),
    )


def checkout_window(session: Session) -> tuple[datetime.datetime, datetime.datetime]:
    """Check-out is accepted from 30 minutes before the end until 60 minutes after it."""
    return session.ends_at - datetime.timedelta(minutes=30), session.ends_at + datetime.timedelta(minutes=60)


def session_live(*, session: Session) -> dict:
    """Counts and latest names for the projector, in three small queries."""
    enrolled = Enrolment.objects.filter(programme_id=session.programme_id, status=EnrolmentStatus.ENROLLED).count()
    attended = CheckIn.objects.filter(session=session, status__in=ATTENDED)
    latest = list(
        attended.exclude(checked_in_at=None)
        .order_by("-checked_in_at", "-id")
        .values_list("teacher__name", flat=True)[:8]
    )
    return {"checked_in": attended.count(), "enrolled": enrolled, "latest": latest}


def session_report(*, session: Session) -> list[dict]:
    """Every enrolled teacher (and any walk-in) with the record for this session, or absent."""
    records = {
        c.teacher_id: c
        for c in CheckIn.objects.filter(session=session)
        .select_related("teacher")
        .prefetch_related("changes__changed_by")
    }
    teachers = (
        User.objects.filter(
            Q(enrolments__programme_id=session.programme_id, enrolments__status=EnrolmentStatus.ENROLLED)
            | Q(pk__in=list(records))
        )
        .distinct()
        .order_by("school", "name")
    )
    rows = []
    for teacher in teachers:
        record = records.get(teacher.pk)
        rows.append(
            {
                "teacher": teacher,
                "record": record,
                "status": record.status if record else Status.ABSENT,
                "status_display": record.get_status_display() if record else Status.ABSENT.label,
            }
        )
    return rows


def session_summary(rows: list[dict]) -> dict:
    summary = dict.fromkeys(Status.values, 0)
    flags = 0
    for row in rows:
        summary[row["status"]] += 1
        if row["record"] is not None and row["record"].flag:
            flags += 1
    return {**summary, "total": len(rows), "flags": flags}


def attended_minutes(record: CheckIn, session: Session) -> int | None:
    if not record.checked_in_at or not record.checked_out_at:
        return None
    start = max(record.checked_in_at, session.starts_at)
    end = min(record.checked_out_at, session.ends_at)
    return max(0, int((end - start).total_seconds() // 60))


def programme_attendance(*, programme: Programme) -> QuerySet[User]:
    """Each enrolled teacher with sessions attended, in one query: the input to completion rules."""
    in_programme = Q(checkins__session__programme=programme)
    return (
        User.objects.filter(enrolments__programme=programme, enrolments__status=EnrolmentStatus.ENROLLED)
        .annotate(
            sessions_attended=Count("checkins", filter=in_programme & Q(checkins__status__in=ATTENDED), distinct=True),
            sessions_late=Count("checkins", filter=in_programme & Q(checkins__status=Status.LATE), distinct=True),
            sessions_excused=Count("checkins", filter=in_programme & Q(checkins__status=Status.EXCUSED), distinct=True),
        )
        .order_by("district", "school", "name")
    )


def teacher_session_statuses(*, teacher: User, programme: Programme) -> list[tuple[Session, CheckIn | None]]:
    """The programme's sessions in order with the teacher's record for each (for "还差：第2次课签到")."""
    sessions = list(programme.sessions.order_by("starts_at", "id"))
    records = {c.session_id: c for c in CheckIn.objects.filter(teacher=teacher, session__programme=programme)}
    return [(session, records.get(session.pk)) for session in sessions]


def teacher_checkins(*, teacher: User) -> QuerySet[CheckIn]:
    return (
        CheckIn.objects.filter(teacher=teacher)
        .select_related("session", "session__programme")
        .order_by("-checked_in_at")
    )


def open_sessions(*, moment) -> QuerySet[Session]:
    """Sessions whose check-in window may include this moment (a superset, refined by window_for)."""
    return Session.objects.filter(
        starts_at__gte=moment - datetime.timedelta(hours=24), starts_at__lte=moment + datetime.timedelta(hours=24)
    ).select_related("programme", "attendance_rule")


def checkins_visible_to(*, user: User) -> QuerySet[CheckIn]:
    records = CheckIn.objects.select_related("session", "session__programme", "teacher")
    if user.is_superuser or user.is_bureau:
        return records
    if user.is_organiser:
        return records.filter(session__programme__unit_id=user.unit_id)
    return records.filter(teacher=user)


def study_state(*, session: Session, teacher: User) -> dict:
    """Where a teacher stands in an online session: opened the material (when), studied (the record)."""
    opening = MaterialOpening.objects.filter(session=session, teacher=teacher).first()
    record = CheckIn.objects.filter(session=session, teacher=teacher, status__in=ATTENDED).first()
    return {"opening": opening, "record": record}


def teacher_study_sessions(*, programme: Programme, teacher: User) -> list[dict]:
    """The programme's online sessions with the teacher's opening and attendance record, in two queries."""
    sessions = [s for s in programme.sessions.order_by("starts_at", "id") if s.is_online]
    if not sessions:
        return []
    ids = [s.pk for s in sessions]
    opened = set(
        MaterialOpening.objects.filter(session_id__in=ids, teacher=teacher).values_list("session_id", flat=True)
    )
    done = set(
        CheckIn.objects.filter(session_id__in=ids, teacher=teacher, status__in=ATTENDED).values_list(
            "session_id", flat=True
        )
    )
    return [{"session": s, "opened": s.pk in opened, "done": s.pk in done} for s in sessions]

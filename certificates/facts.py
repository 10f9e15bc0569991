"""Keeps certificates.EnrolmentFact equal to what the records say, one enrolment at a time or in bulk.

Every refresh runs inside the transaction that changed the records, so the facts commit
or roll back with them. certificates.signals calls these on each save that matters.
"""

from django.db import connection, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from attendance.models import CheckIn
from attendance.selectors import ATTENDED
from courses.models import Enrolment, EnrolmentStatus, Session
from exams.models import Attempt, Quiz
from exams.selectors import GRADED

from .models import Certificate, CertificateStatus, EnrolmentFact


def _source(enrolments: QuerySet[Enrolment]):
    valid = Certificate.objects.filter(
        programme=OuterRef("programme"), teacher=OuterRef("teacher"), status=CertificateStatus.VALID
    ).order_by()
    sessions = (
        Session.objects.filter(programme=OuterRef("programme"))
        .order_by()
        .values("programme")
        .annotate(n=Count("pk"))
        .values("n")
    )
    attended = (
        CheckIn.objects.filter(
            session__programme=OuterRef("programme"), teacher=OuterRef("teacher"), status__in=ATTENDED
        )
        .order_by()
        .values("teacher")
        .annotate(n=Count("pk"))
        .values("n")
    )
    graded = Attempt.objects.filter(
        quiz__programme=OuterRef("programme"), teacher=OuterRef("teacher"), status__in=GRADED
    )
    return (
        enrolments.filter(status=EnrolmentStatus.ENROLLED, teacher__role="teacher")
        .annotate(
            certificate_hours=Subquery(valid.values("credit_hours")[:1]),
            certificate_issued=Subquery(valid.values("issued_at")[:1]),
            n_sessions=Coalesce(Subquery(sessions, output_field=IntegerField()), 0),
            n_attended=Coalesce(Subquery(attended, output_field=IntegerField()), 0),
            quiz_exists=Exists(Quiz.objects.filter(programme=OuterRef("programme"))),
            quiz_taken=Exists(graded),
            quiz_passed=Exists(graded.filter(passed=True)),
        )
        .values(
            "pk",
            "programme_id",
            "teacher_id",
            "teacher__district",
            "teacher__school",
            "programme__year",
            "programme__level",
            "programme__start_date",
            "certificate_hours",
            "certificate_issued",
            "n_sessions",
            "n_attended",
            "quiz_exists",
            "quiz_taken",
            "quiz_passed",
        )  # fmt: skip
    )


def _fact(row: dict) -> EnrolmentFact:
    issued = row["certificate_issued"]
    return EnrolmentFact(
        enrolment_id=row["pk"],
        programme_id=row["programme_id"],
        teacher_id=row["teacher_id"],
        year=row["programme__year"],
        level=row["programme__level"],
        district=row["teacher__district"] or "",
        school=row["teacher__school"] or "",
        start_month=row["programme__start_date"].month,
        certified=issued is not None,
        credit_hours=row["certificate_hours"] or 0,
        certificate_month=timezone.localtime(issued).month if issued else None,
        sessions_expected=row["n_sessions"],
        sessions_attended=row["n_attended"],
        has_quiz=row["quiz_exists"],
        took_quiz=row["quiz_taken"],
        passed_quiz=row["quiz_passed"],
    )


FACT_FIELDS = [
    "programme", "teacher", "year", "level", "district", "school", "start_month", "certified", "credit_hours", "certificate_month",
    "sessions_expected", "sessions_attended", "has_quiz", "took_quiz", "passed_quiz",
]  # fmt: skip


def _upsert(rows: list[EnrolmentFact]) -> None:
    EnrolmentFact.objects.bulk_create(
        rows, batch_size=2000, update_conflicts=True, unique_fields=["enrolment"], update_fields=FACT_FIELDS
    )


@transaction.atomic
def facts_refresh(
    *,
    programme_ids: list[int] | None = None,
    programme_id: int | None = None,
    teacher_id: int | None = None,
    teacher_ids: list[int] | None = None,
) -> int:
    """Rebuild the facts of one enrolment (programme_id + teacher_id), of some programmes, of some
    teachers (their district or school changed), or of everything.

    One enrolment's refresh locks its enrolment row first, so two changes for the same teacher
    (a check-in and a graded quiz at the same moment) refresh one after the other and the second
    sees the first. Rows are upserted, so overlapping refreshes never collide on the key.
    """
    facts = EnrolmentFact.objects.all()
    enrolments = Enrolment.objects.all()
    if programme_id is not None and teacher_id is not None:
        # The frequent case (every check-in, every graded quiz): three statements, no cursor.
        enrolments = enrolments.filter(programme_id=programme_id, teacher_id=teacher_id)
        list(enrolments.select_for_update().values_list("pk", flat=True))
        rows = [_fact(row) for row in _source(enrolments)]
        if rows:
            _upsert(rows)
        else:
            facts.filter(programme_id=programme_id, teacher_id=teacher_id).delete()
        return len(rows)
    if programme_ids is not None:
        facts = facts.filter(programme_id__in=programme_ids)
        enrolments = enrolments.filter(programme_id__in=programme_ids)
    elif teacher_ids is not None:
        facts = facts.filter(teacher_id__in=teacher_ids)
        enrolments = enrolments.filter(teacher_id__in=teacher_ids)
    active = enrolments.filter(status=EnrolmentStatus.ENROLLED, teacher__role="teacher").values("pk")
    facts.exclude(enrolment_id__in=active).delete()
    rows = [_fact(row) for row in _source(enrolments).iterator(chunk_size=5000)]
    _upsert(rows)
    return len(rows)


def facts_add_new(*, programme_id: int, teacher_ids: list[int]) -> None:
    """Facts for enrolments just inserted in bulk (a roster import): nothing attended, taken or
    certified yet. One INSERT … SELECT, since building 20,000 rows in Python cost 2.5 s of a
    20,000-row import (bench/roster_import.py); the ORM has no INSERT … SELECT. Enrolments that
    already have their fact are skipped by the unique key (ON CONFLICT), not by NOT EXISTS: inside
    the import's transaction the tables have no statistics yet, and PostgreSQL planned NOT EXISTS
    as a scan of the facts table per row (1.6 s for 20,000 rows)."""
    if not teacher_ids:
        return
    from accounts.models import User
    from courses.models import Programme

    programme = Programme.objects.get(pk=programme_id)
    facts, enrolments, users = EnrolmentFact._meta.db_table, Enrolment._meta.db_table, User._meta.db_table
    sql = f"""
        INSERT INTO {facts} (enrolment_id, programme_id, teacher_id, year, level, district, school, start_month,
                             certified, credit_hours, certificate_month, sessions_expected, sessions_attended,
                             has_quiz, took_quiz, passed_quiz)
        SELECT e.id, e.programme_id, e.teacher_id, %s, %s, u.district, u.school, %s,
               %s, 0, NULL, %s, 0, %s, %s, %s
        FROM {enrolments} e JOIN {users} u ON u.id = e.teacher_id
        WHERE e.programme_id = %s AND e.status = %s AND u.role = %s
        ON CONFLICT (enrolment_id) DO NOTHING
    """
    params = [
        programme.year, programme.level, programme.start_date.month, False, programme.sessions.count(),
        Quiz.objects.filter(programme=programme).exists(), False, False, programme.pk, EnrolmentStatus.ENROLLED, "teacher",
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)

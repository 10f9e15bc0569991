"""Keeps reports.EnrolmentFact equal to what the records say, one enrolment at a time or in bulk.

Every refresh runs inside the transaction that changed the records, so the facts commit
or roll back with them. reports.receivers calls these on each write that matters.
"""

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone

from accounts.models import Role, User
from attendance.models import CheckIn
from attendance.selectors import ATTENDED
from certificates.models import Certificate, CertificateStatus
from common.bulk import id_chunks, in_clause
from courses.models import Enrolment, EnrolmentStatus, Programme, Session
from exams.models import Attempt, Quiz
from exams.selectors import GRADED, counting_quizzes, programme_quizzes_passed

from .models import EnrolmentFact

# The parts of a fact that records of one teacher in one programme decide. OuterRef("programme") and
# OuterRef("teacher") are fields of both Enrolment and EnrolmentFact, so the same expressions serve the
# full rebuild (annotating enrolments) and the partial update of one fact (an UPDATE of the fact row).


def _valid_certificate():
    return Certificate.objects.filter(
        programme=OuterRef("programme"), teacher=OuterRef("teacher"), status=CertificateStatus.VALID
    ).order_by()


def _attended_count():
    attended = (
        CheckIn.objects.filter(
            session__programme=OuterRef("programme"), teacher=OuterRef("teacher"), status__in=ATTENDED
        )
        .order_by()
        .values("teacher")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(attended, output_field=IntegerField()), 0)


def _graded():
    return Attempt.objects.filter(
        quiz__programme=OuterRef("programme"),
        quiz__withdrawn_at__isnull=True,
        teacher=OuterRef("teacher"),
        status__in=GRADED,
    )


SOURCE_TABLES = [Enrolment, User, Programme, Session, Certificate, CheckIn, Attempt, Quiz]


def _statistics_for_source() -> None:
    """Before reading the source of many facts on PostgreSQL: tables filled inside the current transaction (a
    seed, a roster, a test) have no statistics yet, and without them the planner runs the per-enrolment
    subqueries as nested loops over every row — minutes for 9,000 enrolments instead of a fraction of a
    second. ANALYZE reads a sample of each table (milliseconds at these sizes); skipped for small counts."""
    if connection.vendor != "postgresql" or Enrolment.objects.count() < 1000:
        return
    with connection.cursor() as cursor:
        for model in SOURCE_TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _source(enrolments: QuerySet[Enrolment]):
    valid = _valid_certificate()
    sessions = (
        Session.objects.filter(programme=OuterRef("programme"))
        .order_by()
        .values("programme")
        .annotate(n=Count("pk"))
        .values("n")
    )
    graded = _graded()
    return (
        enrolments.filter(status=EnrolmentStatus.ENROLLED, teacher__role=Role.TEACHER)
        .annotate(
            certificate_hours=Subquery(valid.values("credit_hours")[:1]),
            certificate_issued=Subquery(valid.values("issued_at")[:1]),
            n_sessions=Coalesce(Subquery(sessions, output_field=IntegerField()), 0),
            n_attended=_attended_count(),
            quiz_exists=Exists(counting_quizzes().filter(programme=OuterRef("programme"))),
            quiz_taken=Exists(graded),
            quiz_passed=programme_quizzes_passed(),
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
        _mark_firsts([teacher_id])
        return len(rows)
    everything = programme_ids is None and teacher_ids is None
    if programme_ids is not None:
        facts = facts.filter(programme_id__in=programme_ids)
        enrolments = enrolments.filter(programme_id__in=programme_ids)
    elif teacher_ids is not None:
        facts = facts.filter(teacher_id__in=teacher_ids)
        enrolments = enrolments.filter(teacher_id__in=teacher_ids)
    active = enrolments.filter(status=EnrolmentStatus.ENROLLED, teacher__role=Role.TEACHER).values("pk")
    grouping = ("enrolment_id", "teacher_id", "year", "level")
    before = set(facts.values_list(*grouping))
    facts.exclude(enrolment_id__in=active).delete()
    if everything:
        _statistics_for_source()
    rows = [_fact(row) for row in _source(enrolments).iterator(chunk_size=5000)]
    _upsert(rows)
    # Marks change only where a fact came, went or moved to another year or level.
    moved = {teacher for _pk, teacher, _year, _level in before ^ {(r.pk, r.teacher_id, r.year, r.level) for r in rows}}
    _mark_firsts(None if everything else sorted(moved))
    return len(rows)


def _changed_part(part: str) -> dict:
    """The fields of one part of a fact and the expressions that recompute them; only that part's are
    built (the quiz part's expressions took more CPU to build than the certificate part's UPDATE ran)."""
    if part == "attendance":
        return {"sessions_attended": _attended_count()}
    if part == "quiz":
        return {"took_quiz": Exists(_graded()), "passed_quiz": programme_quizzes_passed()}
    if part == "certificate":
        valid = _valid_certificate()
        return {
            "certified": Exists(valid),
            "credit_hours": Coalesce(Subquery(valid.values("credit_hours")[:1]), Value(Decimal(0))),
            "certificate_month": Subquery(valid.annotate(month=ExtractMonth("issued_at")).values("month")[:1]),
        }
    raise ValueError(f"unknown part of a fact: {part}")


def facts_update(*, programme_id: int, teacher_id: int, part: str) -> None:
    """After a check-in, a graded attempt or a certificate of one teacher: recompute only that part
    of the enrolment's fact, from the records, in one UPDATE — the check-in rush's path (a full
    refresh builds and runs the whole source query). The enrolment's row lock orders it after any
    concurrent change for the same teacher, as in facts_refresh; without a fact yet (an enrolment
    that just became active), the full refresh builds it."""
    with transaction.atomic(savepoint=False):
        if part == "attendance":  # every check-in: two fixed statements, nothing for the ORM to build
            updated = _attendance_update(programme_id, teacher_id)
        else:
            enrolment = list(
                Enrolment.objects.select_for_update()
                .filter(programme_id=programme_id, teacher_id=teacher_id)
                .values_list("pk", flat=True)
            )
            updated = (
                EnrolmentFact.objects.filter(enrolment_id__in=enrolment).update(**_changed_part(part))
                if enrolment
                else 0
            )
    if not updated:
        facts_refresh(programme_id=programme_id, teacher_id=teacher_id)


def _attendance_update(programme_id: int, teacher_id: int) -> int:
    """The "attendance" part of facts_update in hand-written SQL: it runs on every check-in, where
    building the ORM's UPDATE with its correlated count cost ~1 ms of CPU (bench/checkin_load.py).
    The same count as _attended_count(); the facts-vs-records test covers both.

    The enrolment's lock and the UPDATE stay two statements — under READ COMMITTED the count must be
    read by a statement that starts after the lock is granted, or it would miss a concurrent check-in
    of the same teacher that committed while this one waited. On PostgreSQL with client-side binding
    (Django's default) both go in one round trip: each statement of a multi-statement string still
    takes its own snapshot."""
    facts, enrolments = EnrolmentFact._meta.db_table, Enrolment._meta.db_table
    checkins, sessions = CheckIn._meta.db_table, Session._meta.db_table
    statuses = ", ".join(["%s"] * len(ATTENDED))
    lock = f"SELECT id FROM {enrolments} WHERE programme_id = %s AND teacher_id = %s"
    update = f"""UPDATE {facts} SET sessions_attended = (
                    SELECT COUNT(*) FROM {checkins} c JOIN {sessions} s ON s.id = c.session_id
                    WHERE s.programme_id = %s AND c.teacher_id = %s AND c.status IN ({statuses}))
                WHERE enrolment_id = ({lock})"""
    count_params = [programme_id, teacher_id, *ATTENDED, programme_id, teacher_id]
    with connection.cursor() as cursor:
        if _one_round_trip(connection):
            cursor.execute(f"{lock} FOR UPDATE; {update}", [programme_id, teacher_id, *count_params])
            cursor.nextset()
            return cursor.rowcount
        if connection.features.has_select_for_update:
            cursor.execute(f"{lock} FOR UPDATE", [programme_id, teacher_id])
        cursor.execute(update, count_params)
        return cursor.rowcount


def _one_round_trip(database) -> bool:
    """Whether this connection runs several statements in one execute() and reads each result: psycopg
    3's client-side binding cursor does; server-side binding (OPTIONS server_side_binding), psycopg 2
    and SQLite do not."""
    if database.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3  # only where a PostgreSQL driver is

    if not is_psycopg3:  # psycopg2 has no nextset()
        return False
    return database.settings_dict["OPTIONS"].get("server_side_binding") is not True


def facts_update_many(*, programme_id: int, teacher_ids: list[int], part: str) -> None:
    """facts_update for many teachers of one programme in one UPDATE (bulk issuing), after locking
    their enrolments in id order."""
    if not teacher_ids:
        return
    with transaction.atomic(savepoint=False):
        enrolments = list(
            Enrolment.objects.select_for_update()
            .filter(programme_id=programme_id, teacher_id__in=teacher_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        EnrolmentFact.objects.filter(enrolment_id__in=enrolments).update(**_changed_part(part))


def facts_add_new(*, programme_id: int, teacher_ids: list[int], created_teacher_ids: list[int] | None = None) -> None:
    """Facts for enrolments just inserted in bulk (a roster import): nothing attended, taken or
    certified yet. One INSERT … SELECT, since building 20,000 rows in Python cost 2.5 s of a
    20,000-row import (bench/roster_import.py); the ORM has no INSERT … SELECT. Enrolments that
    already have their fact are skipped by the unique key (ON CONFLICT), not by NOT EXISTS: inside
    the import's transaction the tables have no statistics yet, and PostgreSQL planned NOT EXISTS
    as a scan of the facts table per row (1.6 s for 20,000 rows)."""
    if not teacher_ids:
        return
    programme = Programme.objects.get(pk=programme_id)
    facts, enrolments, users = EnrolmentFact._meta.db_table, Enrolment._meta.db_table, User._meta.db_table
    sql = f"""
        INSERT INTO {facts} (enrolment_id, programme_id, teacher_id, year, level, district, school, start_month,
                             certified, credit_hours, certificate_month, sessions_expected, sessions_attended,
                             has_quiz, took_quiz, passed_quiz, first_of_year, first_of_level)
        SELECT e.id, e.programme_id, e.teacher_id, %s, %s, u.district, u.school, %s,
               %s, 0, NULL, %s, 0, %s, %s, %s, %s, %s
        FROM {enrolments} e JOIN {users} u ON u.id = e.teacher_id
        WHERE e.programme_id = %s AND e.status = %s AND u.role = %s
        ON CONFLICT (enrolment_id) DO NOTHING
    """
    params = [
        programme.year, programme.level, programme.start_date.month, False, programme.sessions.count(),
        counting_quizzes().filter(programme=programme).exists(), False, False, True, True,
        programme.pk, EnrolmentStatus.ENROLLED, Role.TEACHER,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    # A teacher created by this import has this one fact, so it is the first; the others may have more.
    created = set(created_teacher_ids or ())
    _mark_firsts(sorted(set(teacher_ids) - created))


def _mark_firsts(teacher_ids: list[int] | None) -> None:
    """Set first_of_year / first_of_level on every fact of these teachers (None: of everyone), from
    the facts as they are now; only rows whose mark changes are written.

    The teachers' rows are locked first (FOR NO KEY UPDATE, which foreign-key checks do not wait
    for), so two transactions adding facts for the same teacher mark one after the other and the
    second sees the first's facts: never two firsts for one teacher and year.
    """

    if teacher_ids is not None and not teacher_ids:
        return
    table = EnrolmentFact._meta.db_table
    sql = f"""
        UPDATE {table} SET first_of_year = marks.fy, first_of_level = marks.fl
        FROM (
            SELECT enrolment_id,
                   enrolment_id = MIN(enrolment_id) OVER (PARTITION BY teacher_id, year) AS fy,
                   enrolment_id = MIN(enrolment_id) OVER (PARTITION BY teacher_id, year, level) AS fl
            FROM {table} WHERE {{where}}
        ) AS marks
        WHERE {table}.enrolment_id = marks.enrolment_id
          AND ({table}.first_of_year <> marks.fy OR {table}.first_of_level <> marks.fl)
    """
    with connection.cursor() as cursor:
        if teacher_ids is None:
            if connection.vendor == "postgresql":
                # A table just filled in this transaction has no statistics: without them PostgreSQL
                # joins the marks to the table row by row (minutes for 9,000 facts instead of 50 ms).
                cursor.execute(f"ANALYZE {table}")
            cursor.execute(sql.format(where="1 = 1"))
            return
        for chunk in id_chunks(teacher_ids):
            list(User.objects.select_for_update(no_key=True).filter(pk__in=chunk).order_by("pk").values_list("pk"))
            where, params = in_clause("teacher_id", chunk)
            cursor.execute(sql.format(where=where), params)


def facts_differences(*, limit: int = 50) -> tuple[int, list[str]]:
    """Compare the facts table with the straight computation from the records, without writing.

    Returns how many enrolments differ and up to `limit` lines saying how (in Chinese, for the
    operator): a fact missing, one too many, or a field whose stored value is not what the records
    give — including the first-of-year / first-of-level marks."""
    fields = [name for name in FACT_FIELDS if name not in ("programme", "teacher")] + ["programme_id", "teacher_id"]
    expected = {}
    _statistics_for_source()
    for row in _source(Enrolment.objects.all()).iterator(chunk_size=5000):
        fact = _fact(row)
        expected[fact.enrolment_id] = {name: getattr(fact, name) for name in fields}
    firsts_year: dict[tuple, int] = {}
    firsts_level: dict[tuple, int] = {}
    for pk, values in sorted(expected.items()):
        firsts_year.setdefault((values["teacher_id"], values["year"]), pk)
        firsts_level.setdefault((values["teacher_id"], values["year"], values["level"]), pk)
    for pk, values in expected.items():
        values["first_of_year"] = firsts_year[(values["teacher_id"], values["year"])] == pk
        values["first_of_level"] = firsts_level[(values["teacher_id"], values["year"], values["level"])] == pk
    names = list(next(iter(expected.values())).keys()) if expected else fields
    stored = {
        row["enrolment_id"]: row
        for row in EnrolmentFact.objects.values("enrolment_id", *names).iterator(chunk_size=5000)
    }
    lines, differing = [], 0
    for pk in sorted(set(expected) | set(stored)):
        want, have = expected.get(pk), stored.get(pk)
        if want is None:
            problem = "汇总表多出这一行（该报名已取消、已删除或不是教师）"
        elif have is None:
            problem = "汇总表缺少这一行"
        else:
            wrong = [
                f"{name} 表中为 {have[name]!r}，按记录应为 {want[name]!r}" for name in names if have[name] != want[name]
            ]
            if not wrong:
                continue
            problem = "；".join(wrong)
        differing += 1
        if len(lines) < limit:
            source = want or have
            lines.append(f"报名 {pk}（项目 {source['programme_id']}，教师 {source['teacher_id']}）：{problem}")
    return differing, lines

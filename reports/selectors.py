"""The bureau's aggregate figures, computed by the database with a fixed number of queries.

summary() reads reports.EnrolmentFact, kept equal to the records by reports.facts;
summary_direct() computes the same figures from the records themselves (the reference a test
compares against; too slow for the page at 300,000 enrolments).

Definitions (also in the README):
- trained teachers: distinct teachers with an active enrolment in the year's programmes;
- completion: an active enrolment whose teacher holds a valid certificate of that programme;
- credit hours: the hours on valid certificates; attendance rate: attended check-ins over
  enrolments × sessions; quiz pass rate: enrolments whose counting attempt passed in every quiz
  of the programme (exams.selectors.counting_attempts, as completion asks) over enrolments with a
  graded attempt.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, DecimalField, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from accounts.models import District, Role, User
from attendance.models import CheckIn
from attendance.selectors import ATTENDED
from certificates.models import Certificate, CertificateStatus
from common.params import year_param
from courses.models import Enrolment, EnrolmentStatus, Level, Programme, Session
from courses.selectors import programmes_visible_to
from exams.models import Attempt
from exams.selectors import GRADED, programme_quizzes_passed

from .models import EnrolmentFact


@dataclass(frozen=True)
class ReportFilter:
    year: int
    level: str = ""
    district: str = ""
    programme: str = ""  # code
    school: str = ""


def report_filter(user, params) -> ReportFilter:
    """Filters from the URL (so a view can be shared); the bureau sees all, organisers their unit."""
    if user.is_teacher:
        raise PermissionDenied("数据看板仅供教育局和培训组织者使用。")
    return ReportFilter(
        year=year_param(params.get("year")) or timezone.localdate().year,
        level=params.get("level", "") if params.get("level", "") in Level.values else "",
        district=params.get("district", "") if params.get("district", "") in District.values else "",
        programme=(params.get("programme") or "").strip().upper()[:32],
        school=(params.get("school") or "").strip()[:100],
    )


def _programmes(user: User, f: ReportFilter) -> QuerySet[Programme]:
    programmes = programmes_visible_to(user=user).filter(year=f.year)
    if f.level:
        programmes = programmes.filter(level=f.level)
    if f.programme:
        programmes = programmes.filter(code=f.programme)
    return programmes


def _enrolments(user: User, f: ReportFilter) -> QuerySet[Enrolment]:
    valid = Certificate.objects.filter(
        programme=OuterRef("programme"), teacher=OuterRef("teacher"), status=CertificateStatus.VALID
    )
    enrolments = Enrolment.objects.filter(
        status=EnrolmentStatus.ENROLLED, programme__in=_programmes(user, f).values("pk"), teacher__role=Role.TEACHER
    )
    if f.district:
        enrolments = enrolments.filter(teacher__district=f.district)
    if f.school:
        enrolments = enrolments.filter(teacher__school=f.school)
    return enrolments.annotate(
        certified=Exists(valid),
        hours=Coalesce(
            Subquery(valid.values("credit_hours")[:1]),
            Value(Decimal(0)),
            output_field=DecimalField(max_digits=7, decimal_places=1),
        ),
    )


def _figures():
    return {
        "enrolments": Count("pk"),
        "teachers": Count("teacher", distinct=True),
        "completions": Count("pk", filter=Q(certified=True)),
        "credit_hours": Coalesce(
            Sum("hours"), Value(Decimal(0)), output_field=DecimalField(max_digits=12, decimal_places=1)
        ),
    }


def _with_rate(row: dict) -> dict:
    row["completion_rate"] = round(row["completions"] / row["enrolments"] * 100, 1) if row["enrolments"] else 0.0
    row["credit_hours"] = float(row["credit_hours"] or 0)
    return row


def summary_direct(*, user: User, f: ReportFilter) -> dict:
    """Every figure computed straight from the records (slow at scale): the reference that
    certificates.EnrolmentFact, and so summary(), must equal."""
    enrolments = _enrolments(user, f)
    totals = _with_rate(enrolments.aggregate(**_figures()))
    levels = dict(Level.choices)
    by_level = [
        _with_rate({**row, "level_display": levels.get(row["programme__level"], row["programme__level"])})
        for row in enrolments.values("programme__level").annotate(**_figures()).order_by("programme__level")
    ]
    by_programme = [
        _with_rate(row)
        for row in enrolments.values("programme__code", "programme__title", "programme__level", "programme__start_date")
        .annotate(**_figures())
        .order_by("programme__start_date", "programme__code")
    ]
    by_district = [
        _with_rate(row)
        for row in enrolments.values("teacher__district")
        .annotate(**_figures())
        .order_by("-teachers", "teacher__district")
    ]
    by_school = [
        _with_rate(row)
        for row in enrolments.values("teacher__district", "teacher__school")
        .annotate(**_figures())
        .order_by("teacher__district", "-teachers", "teacher__school")
    ]
    trend_enrolments = {
        row["month"].month: row["n"]
        for row in enrolments.annotate(month=TruncMonth("programme__start_date"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
        if row["month"]
    }
    trend_certificates = {
        row["month"].month: row["n"]
        for row in enrolments.filter(certified=True)
        .annotate(
            month=TruncMonth(
                Subquery(
                    Certificate.objects.filter(
                        programme=OuterRef("programme"), teacher=OuterRef("teacher"), status=CertificateStatus.VALID
                    ).values("issued_at")[:1]
                )
            )
        )
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
        if row["month"]
    }
    return {
        "year": f.year,
        "distinct_teachers": totals["teachers"],
        "enrolments": totals["enrolments"],
        "completions": totals["completions"],
        "completion_rate": totals["completion_rate"],
        "certificates": totals["completions"],
        "credit_hours": totals["credit_hours"],
        "attendance_rate": _attendance_rate(user, f, enrolments),
        "quiz_pass_rate": _quiz_pass_rate(user, f, enrolments),
        "by_level": by_level,
        "by_programme": by_programme,
        "by_district": by_district,
        "by_school": by_school,
        "trend": [
            {
                "month": month,
                "enrolments": trend_enrolments.get(month, 0),
                "certificates": trend_certificates.get(month, 0),
            }
            for month in range(1, 13)
        ],
    }


def _attendance_rate(user: User, f: ReportFilter, enrolments: QuerySet[Enrolment]) -> float:
    sessions = (
        Session.objects.filter(programme=OuterRef("programme")).values("programme").annotate(n=Count("pk")).values("n")
    )
    expected = enrolments.aggregate(n=Coalesce(Sum(Subquery(sessions, output_field=IntegerField())), 0))["n"]
    attended_in = (
        CheckIn.objects.filter(
            session__programme=OuterRef("programme"), teacher=OuterRef("teacher"), status__in=ATTENDED
        )
        .values("teacher")
        .annotate(n=Count("pk"))
        .values("n")
    )
    attended = enrolments.aggregate(n=Coalesce(Sum(Subquery(attended_in, output_field=IntegerField())), 0))["n"]
    return round(attended / expected * 100, 1) if expected else 0.0


def _quiz_pass_rate(user: User, f: ReportFilter, enrolments: QuerySet[Enrolment]) -> float:
    graded = Attempt.objects.filter(
        quiz__programme=OuterRef("programme"),
        quiz__withdrawn_at__isnull=True,
        teacher=OuterRef("teacher"),
        status__in=GRADED,
    )
    row = enrolments.annotate(took_quiz=Exists(graded), passed_quiz=programme_quizzes_passed()).aggregate(
        took=Count("pk", filter=Q(took_quiz=True)), passed=Count("pk", filter=Q(passed_quiz=True))
    )
    return round(row["passed"] / row["took"] * 100, 1) if row["took"] else 0.0


# ---- The dashboard reads the facts table: one pass per breakdown over narrow rows.


def _facts(user: User, f: ReportFilter) -> QuerySet[EnrolmentFact]:
    facts = EnrolmentFact.objects.filter(year=f.year)
    if not (user.is_superuser or user.is_bureau) or f.level or f.programme:
        facts = facts.filter(programme__in=_programmes(user, f).values("pk"))
    if f.district:
        facts = facts.filter(district=f.district)
    if f.school:
        facts = facts.filter(school=f.school)
    return facts


def _teachers(user: User, f: ReportFilter, *, per_level: bool = False):
    """Distinct teachers of a group. For the whole city (the bureau, no programme filter) a plain
    count of the marked facts: one fact per teacher and year (and per level) carries the mark, and
    district and school belong to the teacher, so the count holds for those groups too. One enrolment
    per teacher and programme makes a programme's teachers its enrolments. An organiser's view (a
    subset of the programmes) counts distinct ids, over far fewer rows."""
    if f.programme:
        return Count("pk")
    if not (user.is_superuser or user.is_bureau):
        return Count("teacher", distinct=True)
    if per_level or f.level:
        return Count("pk", filter=Q(first_of_level=True))
    return Count("pk", filter=Q(first_of_year=True))


def _fact_figures(teachers):
    return {
        "enrolments": Count("pk"),
        "teachers": teachers,
        "completions": Count("pk", filter=Q(certified=True)),
        "credit_hours": Coalesce(
            Sum("credit_hours"), Value(Decimal(0)), output_field=DecimalField(max_digits=12, decimal_places=1)
        ),
    }


def _by_programme(facts: QuerySet[EnrolmentFact]) -> list[dict]:
    """The programme breakdown in one statement: the facts grouped by programme id (the ORM's query,
    with every filter of the view), then joined to the ~100 programmes for their names and dates.
    Joining before grouping and grouping by those columns cost 65 ms at 300,000 enrolments instead
    of ~37 ms; the ORM cannot join after an aggregation, hence the wrapping statement."""
    inner, params = facts.values("programme").annotate(**_fact_figures(Count("pk"))).query.sql_with_params()
    programme = Programme._meta
    sql = (
        "SELECT agg.enrolments, agg.teachers, agg.completions, agg.credit_hours, p.code, p.title, p.level, "
        f"p.start_date FROM ({inner}) agg JOIN {programme.db_table} p ON p.id = agg.programme "
        "ORDER BY p.start_date, p.code"
    )
    start_date = programme.get_field("start_date")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        _with_rate(
            {
                "programme__code": code,
                "programme__title": title,
                "programme__level": level,
                "programme__start_date": start_date.to_python(start),
                "enrolments": enrolments,
                "teachers": teachers,
                "completions": completions,
                "credit_hours": hours,
            }
        )
        for enrolments, teachers, completions, hours, code, title, level, start in rows
    ]


def summary(*, user: User, f: ReportFilter, with_schools: bool = True) -> dict:
    """Every figure of the dashboard for a year from certificates.EnrolmentFact; the query count
    does not depend on the data size. Schools are grouped only when asked (a district drill-down)."""
    facts = _facts(user, f)
    teachers = _fact_figures(_teachers(user, f))
    totals = facts.aggregate(
        **teachers,
        expected=Coalesce(Sum("sessions_expected"), 0),
        attended=Coalesce(Sum("sessions_attended"), 0),
        took=Count("pk", filter=Q(took_quiz=True)),
        passed=Count("pk", filter=Q(passed_quiz=True)),
    )
    _with_rate(totals)
    levels = dict(Level.choices)
    by_level = [
        _with_rate({**row, "programme__level": row["level"], "level_display": levels.get(row["level"], row["level"])})
        for row in facts.values("level").annotate(**_fact_figures(_teachers(user, f, per_level=True))).order_by("level")
    ]
    by_programme = _by_programme(facts)
    by_district = [
        _with_rate({"teacher__district": row.pop("district"), **row})
        for row in facts.values("district").annotate(**teachers).order_by("-teachers", "district")
    ]
    by_school = (
        [
            _with_rate({"teacher__district": row.pop("district"), "teacher__school": row.pop("school"), **row})
            for row in facts.values("district", "school")
            .annotate(**teachers)
            .order_by("district", "-teachers", "school")
        ]
        if with_schools
        else []
    )
    # Both monthly series from one pass: at most 12 × 13 (start month, certificate month) groups.
    started: dict[int, int] = {}
    certified: dict[int, int] = {}
    for start_month, certificate_month, n, n_certified in (
        facts.values("start_month", "certificate_month")
        .annotate(n=Count("pk"), n_certified=Count("pk", filter=Q(certified=True)))
        .values_list("start_month", "certificate_month", "n", "n_certified")
    ):
        started[start_month] = started.get(start_month, 0) + n
        if n_certified:
            certified[certificate_month] = certified.get(certificate_month, 0) + n_certified
    return {
        "year": f.year,
        "distinct_teachers": totals["teachers"],
        "enrolments": totals["enrolments"],
        "completions": totals["completions"],
        "completion_rate": totals["completion_rate"],
        "certificates": totals["completions"],
        "credit_hours": totals["credit_hours"],
        "attendance_rate": round(totals["attended"] / totals["expected"] * 100, 1) if totals["expected"] else 0.0,
        "quiz_pass_rate": round(totals["passed"] / totals["took"] * 100, 1) if totals["took"] else 0.0,
        "by_level": by_level,
        "by_programme": by_programme,
        "by_district": by_district,
        "by_school": by_school,
        "trend": [
            {"month": month, "enrolments": started.get(month, 0), "certificates": certified.get(month, 0)}
            for month in range(1, 13)
        ],
    }


def progress_list(*, user: User, f: ReportFilter, only_not_completed: bool) -> QuerySet[EnrolmentFact]:
    """Enrolments with their state, for the follow-up list (paginate the result)."""
    facts = _facts(user, f).select_related("teacher", "programme")
    if only_not_completed:
        facts = facts.filter(certified=False)
    return facts.order_by("district", "school", "teacher__name", "programme__code")


class FollowUp:
    """What each enrolment still misses under its programme's current completion rule (the rule the organiser
    set, or the usual one), in the words the teacher's own page uses. Rules are read once per programme; for a
    rule of minutes present, the programme's check-in/check-out times once per programme."""

    def __init__(self):
        self._rules: dict[int, object] = {}
        self._minutes: dict[int, dict[int, int]] = {}

    def _rule(self, programme: Programme):
        from certificates.selectors import rule_for

        if programme.pk not in self._rules:
            self._rules[programme.pk] = rule_for(programme)
        return self._rules[programme.pk]

    def _minutes_of(self, programme: Programme, teacher_id: int) -> int:
        from attendance.selectors import attended_minutes

        if programme.pk not in self._minutes:
            sessions = {session.pk: session for session in programme.sessions.all()}
            totals: dict[int, int] = {}
            records = CheckIn.objects.filter(session__programme=programme, status__in=ATTENDED)
            for record in records.only("teacher_id", "session_id", "checked_in_at", "checked_out_at").iterator():
                minutes = attended_minutes(record, sessions[record.session_id]) or 0
                totals[record.teacher_id] = totals.get(record.teacher_id, 0) + minutes
            self._minutes[programme.pk] = totals
        return self._minutes[programme.pk].get(teacher_id, 0)

    def missing(self, fact: EnrolmentFact) -> str:
        from certificates.models import AttendanceMode

        if fact.certified:
            return "已结业"
        rule = self._rule(fact.programme)
        attended, expected = fact.sessions_attended, fact.sessions_expected
        parts = []
        if not expected:
            parts.append("项目还没有课次")
        elif rule.attendance_mode == AttendanceMode.RATIO:
            needed = -(-expected * rule.attendance_ratio // 100)
            if attended < needed:
                parts.append(f"出勤 {attended}/{expected} 次，至少需要 {needed} 次")
        elif rule.attendance_mode == AttendanceMode.MINUTES:
            minutes = self._minutes_of(fact.programme, fact.teacher_id)
            if minutes < rule.minimum_minutes:
                parts.append(f"在场 {minutes} 分钟，至少需要 {rule.minimum_minutes} 分钟（需签到并签退）")
        elif attended < expected:
            parts.append(f"签到 {attended}/{expected} 次")
        if rule.quiz_required and fact.has_quiz and not fact.passed_quiz:
            parts.append("测试未通过" if fact.took_quiz else "未参加测试")
        return "；".join(parts) or "已达结业要求，待颁发证书"


def summary_for_display(*, user: User, f: ReportFilter, with_schools: bool = True) -> dict:
    """summary(), kept for REPORT_CACHE_SECONDS (60) in the shared cache per scope and filters.

    The figures are a report, not a live counter: a minute's delay lets every reader of the
    same view within that minute get it without touching the 300,000 rows again.
    """
    from django.conf import settings
    from django.core.cache import cache

    seconds = getattr(settings, "REPORT_CACHE_SECONDS", 60)
    if seconds <= 0:
        return summary(user=user, f=f, with_schools=with_schools)
    scope = "all" if (user.is_superuser or user.is_bureau) else f"unit{user.unit_id}"
    key = f"report-summary:{scope}:{f.year}:{f.level}:{f.district}:{f.programme}:{f.school}:{int(with_schools)}"
    data = cache.get(key)
    if data is None:
        data = summary(user=user, f=f, with_schools=with_schools)
        cache.set(key, data, timeout=seconds)
    return data

"""The bureau's aggregate figures, computed by the database with a fixed number of queries.

Definitions (also in the README):
- trained teachers: distinct teachers with an active enrolment in the year's programmes;
- completion: an active enrolment whose teacher holds a valid certificate of that programme;
- credit hours: the hours on valid certificates; attendance rate: attended check-ins over
  enrolments × sessions; quiz pass rate: teachers whose counting attempt passed over
  teachers with a graded attempt (best-score policy: any passed attempt).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from accounts.models import User
from attendance.models import CheckIn
from attendance.selectors import ATTENDED
from courses.models import Enrolment, EnrolmentStatus, Level, Programme, Session
from courses.selectors import programmes_visible_to
from exams.models import Attempt, Quiz
from exams.selectors import GRADED

from .models import Certificate, CertificateStatus


@dataclass(frozen=True)
class ReportFilter:
    year: int
    level: str = ""
    district: str = ""
    programme: str = ""  # code
    school: str = ""


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
        status=EnrolmentStatus.ENROLLED, programme__in=_programmes(user, f).values("pk"), teacher__role="teacher"
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


def summary(*, user: User, f: ReportFilter) -> dict:
    """Every figure of the dashboard for a year; one query per figure group, whatever the data size."""
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
        _with_rate(row) for row in enrolments.values("teacher__district").annotate(**_figures()).order_by("-teachers")
    ]
    by_school = [
        _with_rate(row)
        for row in enrolments.values("teacher__district", "teacher__school")
        .annotate(**_figures())
        .order_by("teacher__district", "-teachers")
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
        quiz__programme=OuterRef("programme"), teacher=OuterRef("teacher"), status__in=GRADED
    )
    row = enrolments.annotate(took_quiz=Exists(graded), passed_quiz=Exists(graded.filter(passed=True))).aggregate(
        took=Count("pk", filter=Q(took_quiz=True)), passed=Count("pk", filter=Q(passed_quiz=True))
    )
    return round(row["passed"] / row["took"] * 100, 1) if row["took"] else 0.0


def not_completed(*, user: User, f: ReportFilter) -> QuerySet[Enrolment]:
    """Enrolled teachers without a certificate, with what they miss, for follow-up (paginate the result)."""
    return enrolment_progress(user=user, f=f).filter(certified=False)


def enrolment_progress(*, user: User, f: ReportFilter) -> QuerySet[Enrolment]:
    """Every enrolment with its certificate state, sessions attended and quiz state, in one query."""
    sessions = (
        Session.objects.filter(programme=OuterRef("programme")).values("programme").annotate(n=Count("pk")).values("n")
    )
    attended = (
        CheckIn.objects.filter(
            session__programme=OuterRef("programme"), teacher=OuterRef("teacher"), status__in=ATTENDED
        )
        .values("teacher")
        .annotate(n=Count("pk"))
        .values("n")
    )
    quizzes = Quiz.objects.filter(programme=OuterRef("programme"))
    passed = Attempt.objects.filter(quiz__programme=OuterRef("programme"), teacher=OuterRef("teacher"), passed=True)
    return (
        _enrolments(user, f)
        .select_related("teacher", "programme")
        .annotate(
            sessions_total=Coalesce(Subquery(sessions, output_field=IntegerField()), 0),
            sessions_attended=Coalesce(Subquery(attended, output_field=IntegerField()), 0),
            has_quiz=Exists(quizzes),
            quiz_passed=Exists(passed),
        )
        .order_by("teacher__district", "teacher__school", "teacher__name", "programme__code")
    )


def missing_text(enrolment) -> str:
    if enrolment.certified:
        return "已结业"
    parts = []
    if enrolment.sessions_attended < enrolment.sessions_total:
        parts.append(f"签到 {enrolment.sessions_attended}/{enrolment.sessions_total} 次")
    if enrolment.has_quiz and not enrolment.quiz_passed:
        parts.append("测试未通过")
    return "；".join(parts) or "待颁发证书"

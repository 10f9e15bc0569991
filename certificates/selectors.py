"""Reads: who completed a programme and what each teacher still misses, certificates, credit hours."""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import Role, User
from attendance.models import CheckIn
from attendance.selectors import ATTENDED, attended_minutes, teacher_session_statuses
from courses.models import Enrolment, EnrolmentStatus, Programme
from courses.selectors import programmes_visible_to
from exams.selectors import passed_teacher_ids, programme_quizzes, quiz_passed

from .models import AttendanceMode, Certificate, CertificateJob, CertificateStatus, CompletionRule


def rule_for(programme: Programme) -> CompletionRule:
    """The programme's completion rule, or the usual one (unsaved) when the organiser has set none:
    all sessions attended, the programme's quizzes passed, issued automatically."""
    try:
        return programme.completion_rule
    except CompletionRule.DoesNotExist:
        return CompletionRule(programme=programme)


@dataclass
class Completion:
    done: bool
    missing: list[str] = field(default_factory=list)
    attended: int = 0
    sessions: int = 0


def teacher_completion(*, programme: Programme, teacher: User, rule: CompletionRule | None = None) -> Completion:
    """What one teacher has done and still misses, in words a teacher understands."""
    rule = rule or rule_for(programme)
    statuses = teacher_session_statuses(teacher=teacher, programme=programme)
    attended = [record for _session, record in statuses if record and record.status in ATTENDED]
    missing = []
    if rule.attendance_mode == AttendanceMode.ALL:
        missing += [
            f"第{i}次课（{session.title}）{'线上学习' if session.is_online else '签到'}"
            for i, (session, record) in enumerate(statuses, start=1)
            if not (record and record.status in ATTENDED)
        ]
        if not statuses:
            missing.append("项目还没有课次")
    elif rule.attendance_mode == AttendanceMode.RATIO:
        needed = -(-len(statuses) * rule.attendance_ratio // 100)
        if len(attended) < needed:
            missing.append(f"出勤 {len(attended)}/{len(statuses)} 次，至少需要 {needed} 次")
    else:
        minutes = sum(attended_minutes(record, session) or 0 for session, record in statuses if record)
        if minutes < rule.minimum_minutes:
            missing.append(f"在场 {minutes} 分钟，至少需要 {rule.minimum_minutes} 分钟（需签到并签退）")
    if rule.quiz_required:
        missing += [
            f"{quiz.title}未通过"
            for quiz in programme_quizzes(programme=programme)
            if not quiz_passed(quiz=quiz, teacher=teacher)
        ]
    return Completion(done=not missing, missing=missing, attended=len(attended), sessions=len(statuses))


def completed_teacher_ids(
    *, programme: Programme, rule: CompletionRule | None = None, teacher_ids: list[int] | None = None
) -> set[int]:
    """Every enrolled trainee who completed (or those of teacher_ids), with a fixed number of
    queries whatever the size."""
    rule = rule or rule_for(programme)
    enrolments = Enrolment.objects.filter(
        programme=programme, status=EnrolmentStatus.ENROLLED, teacher__role=Role.TEACHER
    )
    if teacher_ids is not None:
        enrolments = enrolments.filter(teacher_id__in=teacher_ids)
    enrolled = set(enrolments.values_list("teacher_id", flat=True))
    sessions = list(programme.sessions.all())
    records = CheckIn.objects.filter(session__programme=programme, status__in=ATTENDED, teacher_id__in=enrolled)
    if rule.attendance_mode == AttendanceMode.MINUTES:
        by_session = {s.pk: s for s in sessions}
        minutes: dict[int, int] = defaultdict(int)
        for record in records:
            minutes[record.teacher_id] += attended_minutes(record, by_session[record.session_id]) or 0
        done = {t for t in enrolled if minutes.get(t, 0) >= rule.minimum_minutes}
    else:
        counts: dict[int, int] = defaultdict(int)
        for teacher_id in records.values_list("teacher_id", flat=True):
            counts[teacher_id] += 1
        needed = (
            len(sessions)
            if rule.attendance_mode == AttendanceMode.ALL
            else -(-len(sessions) * rule.attendance_ratio // 100)
        )
        done = {t for t in enrolled if sessions and counts.get(t, 0) >= needed}
    if rule.quiz_required:
        for quiz in programme_quizzes(programme=programme):
            done &= passed_teacher_ids(quiz=quiz)
    return done


def programme_certificates(*, programme: Programme, status: str = "", word: str = "") -> QuerySet[Certificate]:
    """A programme's certificates for its 结业与证书 list, newest number first: of one status, or with a word of
    the trainee's name or of the serial."""
    certificates = Certificate.objects.filter(programme=programme)
    if status:
        certificates = certificates.filter(status=status)
    if word:
        certificates = certificates.filter(Q(trainee_name__contains=word) | Q(serial__contains=word))
    return certificates.select_related("teacher").order_by("-serial_number", "-version")


def certificates_visible_to(*, user: User) -> QuerySet[Certificate]:
    certificates = Certificate.objects.select_related("programme", "teacher")
    if user.is_teacher:
        return certificates.filter(teacher=user)
    return certificates.filter(programme__in=programmes_visible_to(user=user).values("pk"))


def certificate_by_code_or_serial(*, text: str) -> Certificate | None:
    """A public lookup: the verification code from the QR, or a serial as typed (latest version)."""
    text = (text or "").strip()
    if not text:
        return None
    found = Certificate.objects.filter(verification_code=text.lower()).first()
    if found:
        return found
    digits = re.findall(r"\d+", text)
    if len(digits) >= 2 and len(digits[0]) == 4:
        return (
            Certificate.objects.filter(serial_year=int(digits[0]), serial_number=int(digits[1]))
            .order_by("-version")
            .first()
        )
    return None


def credit_hours_by_year(*, teacher: User) -> list[dict]:
    """A teacher's hours per year and level, from valid certificates only."""
    rows = (
        Certificate.objects.filter(teacher=teacher, status=CertificateStatus.VALID)
        .values("programme__year", "level")
        .annotate(hours=Sum("credit_hours"))
        .order_by("-programme__year", "level")
    )
    years: dict[int, dict] = {}
    for row in rows:
        entry = years.setdefault(
            row["programme__year"], {"year": row["programme__year"], "total": Decimal(0), "by_level": {}}
        )
        entry["by_level"][row["level"]] = row["hours"]
        entry["total"] += row["hours"]
    return list(years.values())


def credit_ledger(*, user: User, year: int | None = None) -> QuerySet:
    """Hours per teacher, year and level from valid certificates, scoped to what the user may see."""
    certificates = certificates_visible_to(user=user).filter(status=CertificateStatus.VALID)
    if year:
        certificates = certificates.filter(programme__year=year)
    return (
        certificates.values(
            "teacher_id",
            "teacher__name",
            "teacher__id_number",
            "teacher__school",
            "teacher__district",
            "programme__year",
            "level",
        )
        .annotate(hours=Sum("credit_hours"))
        .order_by("programme__year", "teacher__district", "teacher__school", "teacher__name", "level")
    )


def jobs_with_progress(queryset: QuerySet[CertificateJob] | None = None) -> QuerySet[CertificateJob]:
    """Jobs with their progress read from their chunks' state: `done` (trainees or PDFs handled) and
    `issued` (certificates the batch issued), one aggregate query, whichever worker ran which chunk."""
    queryset = CertificateJob.objects.all() if queryset is None else queryset
    return queryset.annotate(done=Coalesce(Sum("chunks__done"), 0), issued=Coalesce(Sum("chunks__issued"), 0))


def certificate_style_for(*, unit_id: int | None):
    """The unit's certificate style, else the bureau's default row, else the settings' bureau name —
    one answer for the PDF and the settings page. Returns an unsaved style when none is stored."""
    from django.conf import settings

    from .models import CertificateStyle

    styles = {style.unit_id: style for style in CertificateStyle.objects.filter(Q(unit_id=unit_id) | Q(unit=None))}
    return styles.get(unit_id) or styles.get(None) or CertificateStyle(issuer=settings.TRAINING_BUREAU_NAME)

import io

from django.core.management import call_command

from accounts.models import Role, User
from courses.models import Enrolment, Programme, Session


def _snapshot():
    return (
        list(User.objects.order_by("id").values_list("id", "id_number", "mobile", "password")),
        list(Programme.objects.order_by("id").values_list("id", "code")),
        Session.objects.count(),
        list(Enrolment.objects.order_by("id").values_list("id", "programme_id", "teacher_id")),
    )


def test_seed_demo_builds_3000_distinct_teachers_and_twice_changes_nothing(db):
    call_command("seed_demo", stdout=io.StringIO())
    teachers = User.objects.filter(role=Role.TEACHER)
    assert teachers.values("id_number").distinct().count() > 3000
    enrolled_2021 = Enrolment.objects.filter(programme__year=2021).values("teacher").distinct().count()
    assert enrolled_2021 > 3000
    lecture = Programme.objects.get(code="FZ2021-0914")
    assert lecture.sessions.get().lecturer == "王永浩"
    assert {"organiser", "bureau", "admin"} <= set(User.objects.values_list("username", flat=True))
    before = _snapshot()
    call_command("seed_demo", stdout=io.StringIO())
    assert _snapshot() == before


def test_demo_activity_gives_attendance_results_and_certificates_and_is_idempotent(db):
    from attendance.models import CheckIn
    from certificates.models import Certificate
    from exams.models import Attempt, Question

    for command in ("seed_demo", "seed_exams", "seed_activity"):
        call_command(command, stdout=io.StringIO())
    counts = (CheckIn.objects.count(), Attempt.objects.count(), Certificate.objects.count(), Question.objects.count())
    assert all(counts)
    first = Certificate.objects.filter(programme__year=2021).order_by("serial_number").first()
    assert first.serial == "许教培〔2021〕第0001号"
    numbers = list(
        Certificate.objects.filter(serial_year=2021).order_by("serial_number").values_list("serial_number", flat=True)
    )
    assert numbers == list(range(1, len(numbers) + 1))
    for command in ("seed_demo", "seed_exams", "seed_activity"):
        call_command(command, stdout=io.StringIO())
    assert (
        CheckIn.objects.count(),
        Attempt.objects.count(),
        Certificate.objects.count(),
        Question.objects.count(),
    ) == counts

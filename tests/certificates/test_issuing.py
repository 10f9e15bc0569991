"""Completion rules, issuing once, serials, revocation, re-issue, credit hours."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from certificates.models import Certificate, CompletionRule
from certificates.selectors import completed_teacher_ids, credit_hours_by_year, teacher_completion
from certificates.services import certificate_issue, certificate_reissue, certificate_revoke, completion_rule_set
from exams.models import Option
from exams.services import attempt_answer, attempt_start, attempt_submit, quiz_create
from tests.certificates.conftest import attend, enrol
from tests.exams.conftest import make_bank
from tests.factories import run_in_threads


def test_all_sessions_rule_names_the_missing_session(course, organiser):
    teacher = enrol(course, organiser)
    first = course.sessions.order_by("starts_at").first()
    attend(course, teacher, [first])
    completion = teacher_completion(programme=course, teacher=teacher)
    assert not completion.done and completion.missing == ["第2次课（第二讲）签到"]
    with pytest.raises(ValidationError, match="还差 第2次课"):
        certificate_issue(programme=course, teacher=teacher, actor=organiser)
    attend(course, teacher, [course.sessions.order_by("starts_at").last()])
    assert teacher_completion(programme=course, teacher=teacher).done
    certificate = certificate_issue(programme=course, teacher=teacher, actor=organiser)
    year = timezone.localdate().year
    assert certificate.serial == f"许教培〔{year}〕第0001号" and certificate.trainee_name == "王永浩"
    assert len(certificate.verification_code) == 32 and int(certificate.verification_code, 16) >= 0


def test_ratio_rule(course, organiser):
    completion_rule_set(actor=None, programme=course, attendance_mode="ratio", attendance_ratio=50)
    teacher = enrol(course, organiser)
    assert "出勤 0/2 次，至少需要 1 次" in teacher_completion(programme=course, teacher=teacher).missing
    attend(course, teacher, [course.sessions.first()])
    assert teacher_completion(programme=course, teacher=teacher).done
    assert completed_teacher_ids(programme=course) == {teacher.pk}


def test_minutes_rule_needs_check_out(course, organiser):
    completion_rule_set(actor=None, programme=course, attendance_mode="minutes", minimum_minutes=200)
    teacher = enrol(course, organiser)
    attend(course, teacher)
    assert "在场 0 分钟" in teacher_completion(programme=course, teacher=teacher).missing[0]
    other = enrol(course, organiser, name="李明")
    attend(course, other, checkout=True)
    assert teacher_completion(programme=course, teacher=other).done  # 2 x 120 minutes
    assert completed_teacher_ids(programme=course) == {other.pk}


def test_quiz_must_be_passed_when_the_programme_has_one(course, organiser):
    make_bank()
    now = timezone.now()
    quiz = quiz_create(actor=organiser, programme=course, title="课后测试", single_count=2, multiple_count=0, truefalse_count=0,
                       opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1))  # fmt: skip
    teacher = enrol(course, organiser)
    attend(course, teacher)
    assert teacher_completion(programme=course, teacher=teacher).missing == ["课后测试未通过"]
    attempt = attempt_start(quiz=quiz, teacher=teacher)
    for item in attempt.items.all():
        attempt_answer(attempt=attempt, teacher=teacher, question_id=item.question_id,
                       option_ids=list(Option.objects.filter(question_id=item.question_id, is_correct=True).values_list("pk", flat=True)))  # fmt: skip
    attempt_submit(attempt=attempt, teacher=teacher)
    assert teacher_completion(programme=course, teacher=teacher).done
    assert completed_teacher_ids(programme=course) == {teacher.pk}


def test_refusals_leave_nothing(course, organiser, other_organiser):
    teacher = enrol(course, organiser)
    attend(course, teacher)
    with pytest.raises(Exception, match="无权|组织者"):
        certificate_issue(programme=course, teacher=teacher, actor=other_organiser)
    with pytest.raises(ValidationError, match="不是该项目的学员"):
        certificate_issue(programme=course, teacher=organiser, actor=organiser)
    certificate_issue(programme=course, teacher=teacher, actor=organiser)
    with pytest.raises(ValidationError, match="不能重复颁发"):
        certificate_issue(programme=course, teacher=teacher, actor=organiser)
    CompletionRule.objects.filter(programme=course).delete()  # without a saved rule the usual one applies
    other = enrol(course, organiser, name="李明")
    attend(course, other, [course.sessions.first()])
    with pytest.raises(ValidationError, match="尚未完成培训：还差 第2次课（第二讲）签到"):
        certificate_issue(programme=course, teacher=other, actor=organiser)
    assert Certificate.objects.count() == 1


def test_revoke_reissue_and_hours(course, organiser):
    teacher = enrol(course, organiser)
    attend(course, teacher)
    certificate = certificate_issue(programme=course, teacher=teacher, actor=organiser)
    assert credit_hours_by_year(teacher=teacher)[0]["total"] == course.credit_hours
    with pytest.raises(ValidationError):
        certificate_revoke(certificate=certificate, actor=organiser, reason="")
    certificate_revoke(certificate=certificate, actor=organiser, reason="误发")
    assert credit_hours_by_year(teacher=teacher) == []
    with pytest.raises(ValidationError, match="重复撤销"):
        certificate_revoke(certificate=certificate, actor=organiser, reason="再次")
    certificate.refresh_from_db()
    new = certificate_reissue(certificate=certificate, actor=organiser, reason="姓名更正")
    assert (new.serial, new.version) == (certificate.serial, 2) and new.is_valid
    assert new.verification_code != certificate.verification_code
    assert credit_hours_by_year(teacher=teacher)[0]["total"] == course.credit_hours
    assert list(
        Certificate.objects.filter(serial=certificate.serial).values_list("version", "status").order_by("version")
    ) == [(1, "revoked"), (2, "valid")]


def test_automatic_issue_on_the_completing_check_in(course, organiser, django_capture_on_commit_callbacks):
    completion_rule_set(actor=None, programme=course, auto_issue=True)
    teacher = enrol(course, organiser)
    first, second = course.sessions.order_by("starts_at")
    with django_capture_on_commit_callbacks(execute=True):
        attend(course, teacher, [first])
    assert not Certificate.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        attend(course, teacher, [second])
    assert Certificate.objects.get().teacher == teacher


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuing_gives_unique_gap_free_serials(postgres_only):
    from tests.certificates.conftest import enrol as enrol_teacher
    from tests.factories import make_organiser, make_programme, make_unit

    organiser = make_organiser(make_unit())
    today = timezone.localdate()
    programme = make_programme(organiser=organiser, start_date=today, end_date=today)
    completion_rule_set(actor=None, programme=programme, auto_issue=False)
    teachers = [enrol_teacher(programme, organiser, name=f"教师{i}") for i in range(12)]
    for teacher in teachers:
        attend(programme, teacher)
    barrier = threading.Barrier(len(teachers))

    def issue(teacher):
        try:
            barrier.wait()
            certificate_issue(programme=programme, teacher=teacher, actor=organiser)
        finally:
            connection.close()

    run_in_threads(issue, [(t,) for t in teachers])
    numbers = sorted(Certificate.objects.values_list("serial_number", flat=True))
    assert numbers == list(range(1, 13))
    assert Certificate.objects.values("serial").distinct().count() == 12


def test_certificate_issue_and_reissue(course, organiser):
    teacher = enrol(course, organiser)
    api = APIClient()
    api.force_authenticate(organiser)
    response = api.post("/api/certificates/issue/", {"programme": course.code, "teacher": teacher.pk}, format="json")
    assert response.status_code == 400  # not completed yet: says what is missing
    assert "还差" in str(response.json())
    attend(course, teacher)
    response = api.post("/api/certificates/issue/", {"programme": "NO-SUCH", "teacher": teacher.pk}, format="json")
    assert response.status_code == 404

    response = api.post("/api/certificates/issue/", {"programme": course.code, "teacher": teacher.pk}, format="json")
    assert response.status_code == 201, response.json()
    first = Certificate.objects.get(programme=course, teacher=teacher)
    assert response.json()["serial"] == first.serial and first.version == 1

    response = api.post(f"/api/certificates/{first.pk}/reissue/", {"reason": "姓名更正"}, format="json")
    assert response.status_code == 201, response.json()
    first.refresh_from_db()
    second = Certificate.objects.get(programme=course, teacher=teacher, version=2)
    assert first.status == "revoked" and second.status == "valid" and second.serial == first.serial


DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _run_enqueued() -> list[str]:
    """What a worker does with the dummy backend's queue: run each enqueued task, in order."""
    from django_tasks import default_task_backend

    ran = []
    while default_task_backend.results:
        result = default_task_backend.results.pop(0)
        result.task.call(*result.args, **result.kwargs)
        ran.append(result.task.name)
    return ran


def test_automatic_issue_is_a_task_enqueued_on_commit(course, organiser, settings, django_capture_on_commit_callbacks):
    """The check-in that completes leaves one PendingIssue row in its own transaction (a second request
    for the same trainee adds none) and, on commit, one automatic-issue task; no certificate until a
    worker runs it."""
    from certificates.models import PendingIssue
    from certificates.services import issue_request

    settings.TASKS = DUMMY_TASKS
    settings.CERTIFICATE_ISSUE_BATCH_SECONDS = 0
    completion_rule_set(actor=None, programme=course, auto_issue=True)
    teacher = enrol(course, organiser)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attend(course, teacher)
        issue_request(programme_id=course.pk, teacher_id=teacher.pk)
    assert list(PendingIssue.objects.values_list("programme_id", "teacher_id")) == [(course.pk, teacher.pk)]
    from django_tasks import default_task_backend

    assert default_task_backend.results == []  # nothing is enqueued before the commit
    for callback in callbacks:
        callback()
    assert {result.task.name for result in default_task_backend.results} == {"automatic_issue"}
    assert not Certificate.objects.exists()
    _run_enqueued()
    assert Certificate.objects.get().teacher == teacher
    assert not PendingIssue.objects.exists()
    from reports.models import EnrolmentFact

    assert EnrolmentFact.objects.get(teacher=teacher).certified


def test_a_rush_enqueues_one_deferred_automatic_issue(
    course, organiser, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """With a batch delay, the first completion enqueues one task deferred by the delay and the
    completions before it starts add none: a hall's rush costs one task, not one per check-in."""
    from django_tasks import default_task_backend

    from certificates import services

    settings.TASKS = DUMMY_TASKS
    settings.CERTIFICATE_ISSUE_BATCH_SECONDS = 5
    monkeypatch.setitem(services._drain_enqueued, "until", 0.0)  # no task of an earlier test pending
    completion_rule_set(actor=None, programme=course, auto_issue=True)
    teachers = [enrol(course, organiser, name=f"学员{i}") for i in range(5)]
    for teacher in teachers:
        with django_capture_on_commit_callbacks(execute=True):
            attend(course, teacher)
    [result] = default_task_backend.results
    assert result.task.name == "automatic_issue"
    assert result.task.run_after > timezone.now() + datetime.timedelta(seconds=3)
    _run_enqueued()
    assert Certificate.objects.filter(teacher__in=teachers).count() == 5


def test_the_sweep_takes_up_waiting_issues_and_stale_chunks(
    course, organiser, settings, django_capture_on_commit_callbacks
):
    """A chunk whose worker died (claimed, then nothing) is enqueued again once it has been silent for
    CERTIFICATE_CHUNK_STALE_SECONDS and issues once; a chunk with a recent heartbeat is left alone."""
    from certificates import tasks
    from certificates.models import CertificateJob, JobChunk
    from certificates.services import job_create

    settings.TASKS = DUMMY_TASKS
    settings.CERTIFICATE_CHUNK_SIZE = 2
    teachers = [enrol(course, organiser, name=f"学员{i}") for i in range(5)]
    for teacher in teachers:
        attend(course, teacher)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(programme=course, actor=organiser, kind="issue")
    from django_tasks import default_task_backend

    [plan] = default_task_backend.results
    default_task_backend.results.clear()
    with django_capture_on_commit_callbacks(execute=True):
        plan.task.call(*plan.args, **plan.kwargs)
    chunks = list(JobChunk.objects.filter(job=job).order_by("index"))
    assert [chunk.size for chunk in chunks] == [2, 2, 1] and len(default_task_backend.results) == 3
    default_task_backend.results.clear()  # the three deliveries are lost with the worker that took them
    JobChunk.objects.filter(pk=chunks[0].pk).update(status="running", attempts=1)  # claimed, then killed
    tasks.certificate_work_sweep.call()
    assert default_task_backend.results == []  # silent for less than the limit: maybe still working
    JobChunk.objects.update(heartbeat_at=timezone.now() - datetime.timedelta(seconds=61))
    assert tasks.certificate_work_sweep.call()["chunks"] == 3
    assert tasks.certificate_work_sweep.call()["chunks"] == 0  # enqueued again once, not every minute
    with django_capture_on_commit_callbacks(execute=True):
        ran = _run_enqueued() + _run_enqueued()
    assert ran == ["certificate_job_chunk"] * 3
    tasks.certificate_job_chunk.call(chunk_id=chunks[0].pk)  # a late duplicate delivery does nothing
    job = CertificateJob.objects.get(pk=job.pk)
    assert job.status == "done" and job.message.startswith("新颁发 5 张")
    assert sorted(Certificate.objects.values_list("serial_number", flat=True)) == [1, 2, 3, 4, 5]
    assert JobChunk.objects.get(pk=chunks[0].pk).attempts == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_drains_issue_each_waiting_trainee_once(postgres_only, settings):
    """Four workers' automatic-issue tasks draining the same queue at once (real threads on
    PostgreSQL): every trainee who completed gets exactly one certificate, serials gap-free."""
    from certificates.models import PendingIssue
    from certificates.services import pending_issues_drain
    from tests.certificates.conftest import enrol as enrol_teacher
    from tests.factories import make_organiser, make_programme, make_unit

    settings.TASKS = DUMMY_TASKS
    settings.CERTIFICATE_ISSUE_BATCH_SECONDS = 0
    organiser = make_organiser(make_unit())
    today = timezone.localdate()
    programme = make_programme(organiser=organiser, start_date=today, end_date=today)
    completion_rule_set(actor=None, programme=programme, auto_issue=True)
    teachers = [enrol_teacher(programme, organiser, name=f"教师{i}") for i in range(40)]
    for teacher in teachers:
        attend(programme, teacher)
    assert PendingIssue.objects.count() == 40 and not Certificate.objects.exists()
    barrier = threading.Barrier(4)
    handled = []

    def drain():
        try:
            barrier.wait()
            while n := pending_issues_drain(limit=7):
                handled.append(n)
        finally:
            connection.close()

    run_in_threads(drain, [()] * 4)
    assert sum(handled) == 40
    assert sorted(Certificate.objects.values_list("teacher_id", flat=True)) == sorted(t.pk for t in teachers)
    assert sorted(Certificate.objects.values_list("serial_number", flat=True)) == list(range(1, 41))
    assert not PendingIssue.objects.exists()

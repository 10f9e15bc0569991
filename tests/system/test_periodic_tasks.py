"""The periodic duties: one scheduler enqueues each of them; the chores do what they say."""

import datetime

import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def test_the_scheduler_enqueues_every_periodic_duty(settings, db):
    from django_tasks import default_task_backend

    settings.TASKS = DUMMY_TASKS
    call_command("run_scheduler", "--once")
    assert sorted(result.task.module_path for result in default_task_backend.results) == sorted(
        path for path, _seconds in settings.PERIODIC_TASKS
    )
    assert "certificates.tasks.certificate_work_sweep" in {path for path, _ in settings.PERIODIC_TASKS}


def test_uploads_never_confirmed_are_deleted_after_the_retention(settings, db):
    from courses.tasks import uploads_cleanup

    settings.PENDING_UPLOAD_MAX_AGE_SECONDS = 24 * 3600
    start = timezone.make_aware(datetime.datetime(2021, 9, 14, 9, 0))
    with time_machine.travel(start, tick=False):
        old = default_storage.save("roster-uploads/0123456789abcdef0123456789abcdef.xlsx", ContentFile(b"old"))
    with time_machine.travel(start + datetime.timedelta(hours=20), tick=False):
        recent = default_storage.save("uploads/admin/fedcba9876543210fedcba9876543210.xlsx", ContentFile(b"new"))
    with time_machine.travel(start + datetime.timedelta(hours=25), tick=False):
        assert uploads_cleanup.call() == 1
    assert not default_storage.exists(old) and default_storage.exists(recent)
    default_storage.delete(recent)


def test_the_drift_check_finds_the_facts_right_after_the_services_wrote(db, organiser):
    from reports.tasks import report_facts_check
    from tests.factories import make_programme

    make_programme(organiser=organiser)
    assert report_facts_check.call() == 0

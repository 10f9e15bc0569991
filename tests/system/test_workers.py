"""The database task backend with real worker processes (`manage.py db_worker`) on PostgreSQL: a batch
whose worker is killed with SIGKILL in the middle of a chunk still finishes, once, without a serial gap."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate, CertificateJob, JobChunk, SerialCounter
from certificates.services import completion_rule_set, job_create
from tests.certificates.conftest import attend, enrol
from tests.factories import make_organiser, make_programme, make_unit

PROJECT = Path(__file__).resolve().parents[2]
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _worker(name: str, **env) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "training_site.settings.test",
        "TASKS_BACKEND": "database",
        **env,
    }
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1",
               "--worker-id", name, "--verbosity", "0"]  # fmt: skip
    return subprocess.Popen(command, cwd=PROJECT, env=environment)


def _until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds} s for {what}")
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_batch_survives_its_worker_killed_mid_chunk(postgres_only, settings, client):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    organiser = make_organiser(make_unit())
    today = timezone.localdate()
    programme = make_programme(organiser=organiser, start_date=today, end_date=today)
    completion_rule_set(actor=None, programme=programme, auto_issue=False)
    teachers = [enrol(programme, organiser, name=f"教师{i}") for i in range(10)]
    for teacher in teachers:
        attend(programme, teacher)
    DBTaskResult.objects.all().delete()  # the check-ins' automatic-issue tasks (auto_issue is off): not this test's

    # The year's serial counter is held by another transaction, so the first chunk a worker takes stops
    # inside its issuing transaction — claimed, certificates not yet committed — where it is killed.
    SerialCounter.objects.get_or_create(year=timezone.localtime().year)
    holding, release = threading.Event(), threading.Event()

    def hold_counter():
        try:
            with transaction.atomic():
                SerialCounter.objects.select_for_update().get(year=timezone.localtime().year)
                holding.set()
                release.wait(60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_counter)
    holder.start()
    holding.wait(10)
    workers = []
    try:
        job = job_create(programme=programme, actor=organiser, kind="issue")  # the plan, enqueued on commit
        workers.append(_worker("worker-a", CERTIFICATE_CHUNK_SIZE="4"))
        _until(lambda: JobChunk.objects.filter(job=job, status="running").exists(), 60, "a chunk to be claimed")
        killed = JobChunk.objects.get(job=job, status="running")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        release.set()
        holder.join(10)
        assert DBTaskResult.objects.running().count() == 1  # the killed worker's task, "running" for ever ...
        assert not Certificate.objects.exists()  # ... and its certificates rolled back with its transaction

        # The scheduler enqueues the periodic duties (the sweeps among them); another worker runs them and
        # the rest of the batch. Stale limits of 0 s: the killed chunk is taken up at once.
        call_command("run_scheduler", "--once")
        workers.append(_worker("worker-b", CERTIFICATE_CHUNK_STALE_SECONDS="0", TASK_RESULT_STALE_SECONDS="0"))
        _until(lambda: CertificateJob.objects.get(pk=job.pk).status == "done", 90, "the batch to finish")
        _until(lambda: not DBTaskResult.objects.running().exists(), 30, "no task left running")
    finally:
        release.set()
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(20)
        holder.join(10)

    assert sorted(Certificate.objects.values_list("teacher_id", flat=True)) == sorted(t.pk for t in teachers)
    assert sorted(Certificate.objects.values_list("serial_number", flat=True)) == list(range(1, 11))
    assert JobChunk.objects.get(pk=killed.pk).attempts == 2
    assert list(JobChunk.objects.filter(job=job).order_by("index").values_list("size", "status")) == [
        (4, "done"), (4, "done"), (2, "done"),
    ]  # fmt: skip
    assert DBTaskResult.objects.filter(worker_ids__contains=["worker-a"], status="FAILED").count() == 1
    client.force_login(organiser)
    page = client.get(reverse("certificates:job", args=[job.pk]), {"format": "json"}).json()
    assert page == {"status": "done", "total": 10, "done": 10, "percent": 100,
                    "message": "新颁发 10 张证书（已完成培训且此前未颁发的学员）。", "has_file": False}  # fmt: skip

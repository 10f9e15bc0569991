"""Project-wide periodic chores, as tasks of Django's Tasks API (scheduled by `manage.py run_scheduler`)."""

import datetime
import logging

from django.conf import settings
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger("training.tasks")


def task_results_fail_stale(*, now=None) -> int:
    """A task whose worker was killed must not show as running for ever. The database backend leaves it
    "running" in django_tasks_db's table: mark those older than TASK_RESULT_STALE_SECONDS failed. RQ
    keeps it in the queue's started registry until its worker's heartbeat has lapsed; its own cleanup
    then moves it to the failed registry — run here, not left to the next worker maintenance. (A chunk's
    work has been taken up again by certificates' sweep either way.) Returns how many were failed."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task_backends
    from django_tasks_db import DatabaseBackend

    now = now or timezone.now()
    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        from django_tasks_db.models import DBTaskResult

        cutoff = now - datetime.timedelta(seconds=settings.TASK_RESULT_STALE_SECONDS)
        count = DBTaskResult.objects.running().filter(started_at__lt=cutoff).update(
            status=TaskResultStatus.FAILED, finished_at=now, exception_class_path="builtins.SystemExit",
            traceback="The worker running this task stopped without finishing it.",
        )  # fmt: skip
    elif "django_rq" in settings.INSTALLED_APPS:
        import django_rq
        from django_tasks_rq import Job
        from rq.registry import FailedJobRegistry, StartedJobRegistry

        count = 0
        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name)
            failed_before = FailedJobRegistry(queue=queue).count
            # django-tasks-rq's failure callback needs its own Job class (the registry's default lacks task_result).
            StartedJobRegistry(queue=queue, job_class=Job).cleanup()
            count += FailedJobRegistry(queue=queue).count - failed_before
    else:
        return 0
    if count:
        logger.warning("%s tasks were still running after their worker stopped; marked failed", count)
    return count


@task()
def task_results_sweep() -> int:
    return task_results_fail_stale()

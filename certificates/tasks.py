"""The certificates app's background work, as tasks of Django's Tasks API (django-tasks on 5.2;
`django.tasks` from Django 6 — the import is the only line that changes). Each task is a thin edge
over one service; every one is idempotent, so running one twice is harmless."""

from django_tasks import task

from . import services


@task()
def automatic_issue() -> int:
    """Issue to the trainees whose check-in or passed quiz may have completed them (PendingIssue rows)."""
    handled = 0
    while drained := services.pending_issues_drain():
        handled += drained
    return handled


@task()
def certificate_job_plan(job_id: int) -> None:
    services.job_plan(job_id=job_id)


@task()
def certificate_job_chunk(chunk_id: int) -> None:
    services.job_chunk_run(chunk_id=chunk_id)


@task()
def certificate_work_sweep() -> dict:
    """Periodic: take up batches and chunks whose worker died, and automatic issues a task missed."""
    return services.certificate_work_sweep()

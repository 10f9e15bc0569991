"""Periodic chores of the courses app, as tasks of Django's Tasks API (scheduled by `manage.py run_scheduler`)."""

from django_tasks import task

from .uploads import pending_uploads_remove_stale


@task()
def uploads_cleanup() -> int:
    """Periodic: rosters and question files previewed but never confirmed (they hold personal data)."""
    return pending_uploads_remove_stale()

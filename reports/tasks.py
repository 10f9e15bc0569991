"""The reports app's background work (Django's Tasks API)."""

import logging

from django_tasks import task

from .facts import facts_differences

logger = logging.getLogger("training.reports")


@task()
def report_facts_check() -> int:
    """Periodic (nightly): compare the dashboard's facts with the records, as `refresh_report_facts --check`
    does, and log the differences for the administrator (who runs `refresh_report_facts` to rebuild)."""
    differing, lines = facts_differences(limit=20)
    if differing:
        logger.error("dashboard facts differ from the records for %s enrolments: %s", differing, "; ".join(lines))
    return differing

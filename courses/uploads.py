"""Uploaded files waiting for their confirm step (rosters, question banks): how long they stay.

A previewed file holds teachers' ID numbers and mobiles; one that is never confirmed must not stay
in storage for ever. Cancel removes it at once; courses.tasks.uploads_cleanup (the scheduler, hourly)
removes whatever has waited longer than PENDING_UPLOAD_MAX_AGE_SECONDS.
"""

import datetime

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone


def pending_uploads_remove_stale(*, now: datetime.datetime | None = None) -> int:
    """Delete pending uploads older than the set age from every PENDING_UPLOAD_FOLDERS folder;
    returns how many were removed. Safe to run anywhere, any number of times."""
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=settings.PENDING_UPLOAD_MAX_AGE_SECONDS)
    removed = 0
    for folder in settings.PENDING_UPLOAD_FOLDERS:
        try:
            _dirs, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        for name in files:
            path = f"{folder}/{name}"
            try:
                stale = default_storage.get_modified_time(path) < cutoff
            except FileNotFoundError:  # removed meanwhile by a confirm or a cancel
                continue
            if stale:
                default_storage.delete(path)
                removed += 1
    return removed

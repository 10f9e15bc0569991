"""Settings for the test suite: fast hashing, in-memory files, same database rules."""

import os

from .base import *  # noqa: F403

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Serve static files from the app folders without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run at once, at commit. A worker process a test starts (tests/system/test_workers.py) is given
# TASKS_BACKEND=database, as are the tests that enqueue for it.
if "TASKS_BACKEND" not in os.environ:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# The test client's login() has no request for axes; tests/accounts/test_throttle.py turns it on.
AXES_ENABLED = False

# Notes every API response's status, so a full run can prove each documented status code is reached
# (tests/api_coverage.py).
MIDDLEWARE = ["tests.api_coverage.ApiStatusRecorder", *MIDDLEWARE]  # noqa: F405

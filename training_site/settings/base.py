"""Settings shared by every environment; values come from the environment.

The embedded default is a SQLite file in the project folder, tuned for concurrent
web use. Set DATABASE_URL (postgres://…) for PostgreSQL.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Development defaults; production.py refuses to start without real values.
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-key-do-not-use-in-production")
DEBUG = env_bool("DEBUG", True)
# With DEBUG on, pages still show the Chinese 404/500 pages; set this to see Django's technical pages.
DEBUG_TECHNICAL_ERRORS = env_bool("DEBUG_TECHNICAL_ERRORS", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "courses",
    "attendance",
    "exams",
    "certificates",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "accounts.middleware.AdminForSuperuserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "training_site.middleware.DatabaseUnavailableMiddleware",
    "training_site.middleware.FriendlyErrorsMiddleware",
]

ROOT_URLCONF = "training_site.urls"
WSGI_APPLICATION = "training_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_from_env() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on the busy timeout instead of failing mid-transaction.
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # The app's queries are short OLTP statements and a few aggregates: JIT compilation costs
        # more than it saves (150–280 ms per dashboard query in bench/dashboard.py), and the
        # aggregates' sorts fit in memory with a little more work_mem.
        config.setdefault("OPTIONS", {})["options"] = os.environ.get("PG_OPTIONS", "-c jit=off -c work_mem=32MB")
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.IdentifierBackend"]

# Sign-in throttling (django-axes) by account, never by address alone: a whole school
# signs in from one address. The account key is a keyed hash of the normalised
# identifier, so neither the database nor the logs ever hold an ID number.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", 0.25))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "accounts.throttle.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# The address axes records with a failure is the one every other limit uses (TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "training_site.client.client_address"
# axes.W006 warns that locking by account alone lets an attacker spread guesses over many
# accounts from one address; locking by address would lock out every teacher of a school
# behind one NAT, which is the everyday case here. Per-account locking is the deliberate choice.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    # Django's validators, with their messages in Chinese (accounts/password_validation.py).
    {"NAME": "accounts.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "accounts.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# Django's database sessions; only the read of the session row is a fixed statement (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "training_site.api.ProjectAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "training_site.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"verify": os.environ.get("VERIFY_API_RATE", "30/min")},
}

# How many reverse proxies in front of the app append to X-Forwarded-For. 0 (the default): the
# client is REMOTE_ADDR and the header, which anyone can send, is ignored. Every rate limit keys on
# this address: DRF's throttles (NUM_PROXIES) and the site's own (training_site.client).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

SPECTACULAR_SETTINGS = {
    "TITLE": "许昌市教育局 教师法治教育培训与考试系统 API",
    "DESCRIPTION": "培训项目、课次、报名与教师的接口。站内使用会话认证，外部客户端使用 Token 认证。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AttendanceStatusEnum": "attendance.models.Status",
        "EnrolmentStatusEnum": "courses.models.EnrolmentStatus",
    },
}

IMPORT_EXPORT_SKIP_ADMIN_LOG = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Product settings, each overridable from the environment.
TRAINING_BUREAU_NAME = "许昌市教育局"

# Roster import limits, checked before a workbook is parsed.
ROSTER_MAX_BYTES = int(os.environ.get("ROSTER_MAX_BYTES", 10 * 1024 * 1024))
ROSTER_MAX_ROWS = int(os.environ.get("ROSTER_MAX_ROWS", 50_000))
ROSTER_MAX_UNCOMPRESSED_BYTES = int(os.environ.get("ROSTER_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024))
# Uploads waiting for their confirm step hold personal data: removed on cancel and, unconfirmed,
# by `manage.py clean_uploads` once older than this.
PENDING_UPLOAD_MAX_AGE_SECONDS = int(os.environ.get("PENDING_UPLOAD_MAX_AGE_SECONDS", 2 * 3600))
PENDING_UPLOAD_FOLDERS = ["roster-uploads", "roster-uploads/admin", "question-uploads/admin", "uploads/admin"]
# Cells kept from a sheet (values within the header's columns, rows × columns): 50,000 rows of 20 columns.
ROSTER_MAX_CELLS = int(os.environ.get("ROSTER_MAX_CELLS", 1_000_000))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# QR attendance. Window and late rules are per session (attendance.AttendanceRule, with defaults).
ATTENDANCE_QR_ROTATION_SECONDS = int(os.environ.get("ATTENDANCE_QR_ROTATION_SECONDS", 15))
ATTENDANCE_SIGN_IN_GRACE_SECONDS = int(os.environ.get("ATTENDANCE_SIGN_IN_GRACE_SECONDS", 300))
# The printed sheet's 6-digit code: failures counted per teacher and per client address over a
# window (a correct code does not reset them); an address is shared by a whole school, hence more.
ATTENDANCE_CODE_MAX_FAILURES = int(os.environ.get("ATTENDANCE_CODE_MAX_FAILURES", 5))
ATTENDANCE_CODE_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("ATTENDANCE_CODE_MAX_FAILURES_PER_ADDRESS", 30))
ATTENDANCE_CODE_WINDOW_SECONDS = int(os.environ.get("ATTENDANCE_CODE_WINDOW_SECONDS", 30 * 60))

# Certificates: the public address printed in the QR.
# Empty: the address a request came to (training_site.site.site_url); `make run` sets it from PORT.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
CERTIFICATE_SERIAL_PREFIX = os.environ.get("CERTIFICATE_SERIAL_PREFIX", "许教培")
# The automatic issue waits this long after a completion so a rush's completions go out in one task.
CERTIFICATE_ISSUE_BATCH_SECONDS = float(os.environ.get("CERTIFICATE_ISSUE_BATCH_SECONDS", "1.0"))
# A batch is split into chunks of this many trainees, one task each.
CERTIFICATE_CHUNK_SIZE = int(os.environ.get("CERTIFICATE_CHUNK_SIZE", 200))
# A chunk (or a job not yet planned) with no sign of life for this long is enqueued again by the sweep:
# its worker died. Chunks are idempotent, so a slow one run twice does no harm.
CERTIFICATE_CHUNK_STALE_SECONDS = int(os.environ.get("CERTIFICATE_CHUNK_STALE_SECONDS", 60))
VERIFY_RATE_PER_MINUTE = int(os.environ.get("VERIFY_RATE_PER_MINUTE", 30))
# The bureau's dashboard figures are cached this long per view (0 turns the cache off).
REPORT_CACHE_SECONDS = int(os.environ.get("REPORT_CACHE_SECONDS", 60))

# ---- Background work: Django's Tasks API (django-tasks, the backport of Django 6's django.tasks).
# TASKS_BACKEND=database (the default): tasks are rows of the same database, run by `manage.py db_worker`.
# TASKS_BACKEND=rq: tasks go to Redis (REDIS_URL), run by
# `manage.py rqworker --job-class django_tasks_rq.Job --with-scheduler default` (the scheduler runs deferred tasks).
# Tasks are enqueued on commit by the services; nothing runs in a web process's thread.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
REDIS_URL = os.environ.get("REDIS_URL", "")
if TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    # A job whose worker died is failed by RQ's registry cleanup once its timeout has passed.
    RQ_QUEUES = {
        "default": {
            "URL": REDIS_URL or "redis://127.0.0.1:6379/0",
            "DEFAULT_TIMEOUT": int(os.environ.get("RQ_JOB_TIMEOUT", 600)),
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Periodic duties, enqueued by the one scheduler process (`manage.py run_scheduler`): task path, seconds.
SWEEP_SECONDS = int(os.environ.get("SWEEP_SECONDS", 60))
PERIODIC_TASKS = [
    ("exams.tasks.grade_expired_attempts", 60),
    ("certificates.tasks.certificate_work_sweep", SWEEP_SECONDS),
    ("training_site.tasks.task_results_sweep", SWEEP_SECONDS),
    ("courses.tasks.uploads_cleanup", 3600),
    ("reports.tasks.report_facts_check", 24 * 3600),
]
# A task result the database backend still shows as running after this long lost its worker.
TASK_RESULT_STALE_SECONDS = int(os.environ.get("TASK_RESULT_STALE_SECONDS", 900))

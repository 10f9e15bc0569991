"""Production settings: refuse to start without a real secret and hosts."""

import json
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

DEBUG = False

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-insecure"):
    raise ImproperlyConfigured("生产环境必须通过环境变量 SECRET_KEY 提供至少 50 个字符的随机密钥。")
if not os.environ.get("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("生产环境必须通过环境变量 ALLOWED_HOSTS 指定域名。")

# Reuse database connections across requests (a new PostgreSQL connection per request cost
# more CPU than the requests themselves in bench/combined_load.py); checked before reuse.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", 60))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# Uploads awaiting confirmation and generated ZIPs: a storage every node shares — MEDIA_ROOT on a shared
# volume with the file system backend, or STORAGE_BACKEND (+ STORAGE_OPTIONS, JSON) for object storage.
STORAGES = {
    "default": {
        "BACKEND": os.environ.get("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(os.environ.get("STORAGE_OPTIONS", "{}")),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Several app servers share one cache for rate limits and lockouts: Redis when REDIS_URL is
# set (Django's own backend; redis is in requirements.txt for RQ too), otherwise a table in the shared database
# (`manage.py createcachetable` once).
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)  # noqa: F405
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

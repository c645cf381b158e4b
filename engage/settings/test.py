"""Test settings: SQLite by default, PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set."""

from engage.settings.base import *  # noqa: F403
from engage.settings.base import REDIS_URL

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; prod is Argon2
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests talk to the real Redis when it is configured, on their own key prefix.
if REDIS_URL:
    CACHES["default"]["KEY_PREFIX"] = "engage-test"  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
ENGAGE_OUTBOX_PAGE = True
SMS_ENABLED = False
SENDGRID_ENABLED = False
WHITENOISE_AUTOREFRESH = True

"""Test settings: SQLite by default, PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set.

Worker processes started by the fault tests use these settings too, told by ENGAGE_TEST_*
variables which test database, broker and fake provider server to use.
"""

from engage.env import env_str
from engage.settings.base import *  # noqa: F403
from engage.settings.base import DATABASES, REDIS_URL, VAR_DIR

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
# Erasures of the test run are journaled apart from a real one (tests/privacy/test_replay*.py
# point it at their own file).
ENGAGE_ERASURE_JOURNAL = str(VAR_DIR / "test-erasure-journal.jsonl")
# Fixed field keys (never derived from SECRET_KEY), so worker processes of the fault tests read
# what the tests wrote; tests/privacy/test_crypto.py overrides them to test rotation.
ENGAGE_FIELD_KEYS = "test-1:i8sMSmDqYoiEnRgMYV5blw0sC2OxYkt75X1MnkryXBY="
ENGAGE_FIELD_HASH_KEY = "WFmxRf6XLPXXTvN7GqveKWgV2M5iEgih5L+o2jaQWTs="

# SQLite tests use a file, so that worker processes of the fault tests can share it.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-engage.sqlite3")}

# --- For worker processes started by tests (tests/fakes/services.py) -----------------------
if env_str("ENGAGE_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = env_str("ENGAGE_TEST_DB_NAME")
if env_str("ENGAGE_TEST_BROKER_URL"):
    CELERY_BROKER_URL = env_str("ENGAGE_TEST_BROKER_URL")
    CELERY_TASK_ALWAYS_EAGER = False
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 5}
if env_str("ENGAGE_TEST_PROVIDERS_URL"):
    SMS_ENABLED = SENDGRID_ENABLED = True
    TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN = "ACfake", "fake-auth-token-0123456789abcdef"
    TWILIO_MESSAGING_SERVICE_SID = "MGplatform"
    SENDGRID_API_KEY = "SG.fake"
    TWILIO_API_BASE_URL = SENDGRID_API_BASE_URL = env_str("ENGAGE_TEST_PROVIDERS_URL")

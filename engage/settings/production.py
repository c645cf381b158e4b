"""Production: refuses to start without SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.

The field-encryption keys (ENGAGE_FIELD_KEYS, ENGAGE_FIELD_HASH_KEY) are required too: a system
check (engage.E011) reports a missing or malformed one, and nothing encrypts or decrypts without.

S3 (AWS_STORAGE_BUCKET_NAME), Twilio (TWILIO_*), SendGrid (SENDGRID_*) and Sentry (SENTRY_DSN) are
optional and switch their features on (see base.py).
"""

from engage.env import env_bool, env_int, env_required, env_str
from engage.settings.base import *  # noqa: F403
from engage.settings.base import LOGGING, SENTRY_DSN

# Read by tests/engage/test_compose.py and test_settings.py, so deployments and checks agree.
REQUIRED_ENV = ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]
_required = env_required(REQUIRED_ENV)

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# No script reads the CSRF cookie (forms carry the token) nor the language one (the switcher is a
# form): neither is readable from the page, and neither leaves HTTPS.
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
ENGAGE_BENCH_VIEWS = False
# Sensitive fields are encrypted with keys from the environment only: engage.E011 fails without
# ENGAGE_FIELD_KEYS and ENGAGE_FIELD_HASH_KEY, and no key file is ever made (docs/ENCRYPTION.md).
ENGAGE_FIELD_KEYS_REQUIRED = True
# One JSON object per line with the request id (engage/logging.py), for the log collector.
LOG_FORMAT = env_str("LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT

if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False, traces_sample_rate=0.0)

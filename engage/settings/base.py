"""Settings shared by every run mode.

With no environment at all Engage runs embedded: SQLite (WAL), Celery tasks in-process, email and
SMS into the local outbox, media on local disk. Each of DATABASE_URL, REDIS_URL,
AWS_STORAGE_BUCKET_NAME, TWILIO_* and SENDGRID_* switches on its production counterpart.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from engage.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("ENGAGE_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "insecure-local-only-key-never-used-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The public base URL is what signed webhooks (Twilio) and links in messages are built from.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

ENGAGE_APPS = ["tenants", "guardians", "activities", "notifications", "privacy", "dashboards"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.microsoft",
    "allauth.socialaccount.providers.clever",
    "allauth.socialaccount.providers.openid_connect",
    *ENGAGE_APPS,
    "engage",
]

MIDDLEWARE = [
    # First, so that every log line of the request (and every answer, redirects included)
    # carries its id.
    "engage.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.middleware.ScopeMiddleware",
    "tenants.middleware.RequireAdminTwoFactorMiddleware",
]

ROOT_URLCONF = "engage.urls"
WSGI_APPLICATION = "engage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.scope",
            ],
        },
    }
]

# --- Database ------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "engage.sqlite3",
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, cache, rate limits ------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "engage.cache_backend.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "engage"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions read from the cache and persist in the database (survive a Redis restart).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Visibility timeout bounds how long an unacknowledged task waits before redelivery: no task uses
# a countdown longer than this (long clocks are database rows swept daily).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = "default"

# --- Auth ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "tenants.User"
# Ours is allauth's backend loading the signed-in user from the cache (tenants/auth_backends.py):
# every sign-in records it. allauth's own stays so that sessions it signed in remain valid.
AUTHENTICATION_BACKENDS = [
    "tenants.auth_backends.AuthenticationBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "tenants.auth.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "tenants.auth.SocialAccountAdapter"
MFA_ADAPTER = "tenants.auth.MFAAdapter"
# The login form carries the district's single sign-on buttons; the code form refuses an empty
# request (allauth's own answers it with a 500).
ACCOUNT_FORMS = {
    "login": "tenants.auth.LoginForm",
    "request_login_code": "tenants.auth.RequestLoginCodeForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email", "phone"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # never mail an address nobody registered
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = env_int("LOGIN_CODE_TIMEOUT_SECONDS", 10 * 60)
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_PHONE_VERIFICATION_ENABLED = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    # Sign-in codes cost an SMS each: per identifier and per IP (anti SMS-pumping).
    "request_login_code": "10/h/ip,3/15m/key",
    # The key of login_failed is identifier+IP (tenants.auth.AccountAdapter).
    "login_failed": "20/m/ip,5/15m/key",
    "login": "30/m/ip",
    "reset_password": "10/m/ip,3/15m/key",
    # Joining (guardians.verification): every code sent, or a self-registration that matched
    # nothing (it gets the same reply), costs one of these per IP and per typed address.
    "join_send_code": "10/h/ip,3/15m/key",
}
# Per-IP limits and the identifier+IP lockout need the client's address, not the proxy's: behind
# N trusted reverse proxies set TRUSTED_PROXY_COUNT=N (allauth then reads X-Forwarded-For).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Engage"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "connect-src": [CSP.SELF],
    # Activity videos play in the providers' privacy-enhanced players, loaded only once the
    # family presses play (no third-party request before that).
    "frame-src": [CSP.SELF, "https://www.youtube-nocookie.com", "https://player.vimeo.com"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
PHONENUMBER_DEFAULT_REGION = env_str("PHONENUMBER_DEFAULT_REGION", "US")

# --- Static and media ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
# Media is never public: no MEDIA_URL is served; files go through permission-checked views
# (local disk) or short-lived signed URLs (S3).
MEDIA_URL = "/media-not-served/"
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env_int("MEDIA_URL_EXPIRE_SECONDS", 300),
            # Signature version 4: what S3 regions and MinIO accept; its URLs carry their expiry.
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }
else:
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Messaging providers -------------------------------------------------------------------
# Each provider switches on only when its credentials are present; otherwise messages land in
# the local outbox (notifications.OutboxEntry), readable at /outbox/ and in the admin.
MAILERS = {"default": {"BACKEND": "notifications.email_backend.EngageEmailBackend"}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Engage <no-reply@engage.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL")  # only for tests against a local fake
SENDGRID_API_KEY = env_str("SENDGRID_API_KEY")
SENDGRID_WEBHOOK_PUBLIC_KEY = env_str("SENDGRID_WEBHOOK_PUBLIC_KEY")
SENDGRID_API_BASE_URL = env_str("SENDGRID_API_BASE_URL")  # only for tests against a local fake
SMS_ENABLED = bool(TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)
SENDGRID_ENABLED = bool(SENDGRID_API_KEY)

# --- API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api_permissions.HasCapability"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Engage API",
    "DESCRIPTION": "School-home engagement: tenants, families, activities, messages, privacy.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Encryption at rest (privacy/crypto.py, docs/ENCRYPTION.md) -----------------------------
# Keys of their own, never SECRET_KEY: "id:base64key,..." (the first encrypts, all decrypt) and a
# base64 key for keyed hashes. Production requires both (engage.E011); elsewhere a missing one
# comes from a key file made once in VAR_DIR, so the embedded mode needs no environment.
ENGAGE_FIELD_KEYS = env_str("ENGAGE_FIELD_KEYS")
ENGAGE_FIELD_HASH_KEY = env_str("ENGAGE_FIELD_HASH_KEY")
ENGAGE_FIELD_KEYS_REQUIRED = False
ENGAGE_FIELD_KEY_FILE = VAR_DIR / "field-keys.json"

# --- Engage ----------------------------------------------------------------------------------
# Pages the benchmark command needs (a bare one-query view); off unless a bench run turns it on.
ENGAGE_BENCH_VIEWS = env_bool("ENGAGE_BENCH_VIEWS", False)
# Readable outbox page for staff in the embedded mode.
ENGAGE_OUTBOX_PAGE = env_bool("ENGAGE_OUTBOX_PAGE", not (SMS_ENABLED and SENDGRID_ENABLED))

# "plain" (readable, the default here) or "json": one object per line with the request id
# (engage/logging.py); production defaults to json.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "engage.logging.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "engage.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The twilio client logs every request's headers at INFO.
        "twilio.http_client": {"level": "WARNING"},
    },
}

SENTRY_DSN = env_str("SENTRY_DSN")

# --- Readiness (/readyz, engage/readiness.py) and the erasure journal ------------------------
# A Celery queue longer than this, or whose oldest task waited longer, makes /readyz fail.
ENGAGE_READY_QUEUE_MAX_LENGTH = env_int("ENGAGE_READY_QUEUE_MAX_LENGTH", 10000)
ENGAGE_READY_QUEUE_MAX_AGE_SECONDS = env_int("ENGAGE_READY_QUEUE_MAX_AGE_SECONDS", 300)
# Where completed erasures and deletions are recorded, outside the database, so that a restored
# backup can be brought back in line (privacy/journal.py, docs/DEPLOY.md): a JSONL file path, or
# "storage:<prefix>" for one object per entry in the media storage (S3).
ENGAGE_ERASURE_JOURNAL = env_str("ENGAGE_ERASURE_JOURNAL", str(VAR_DIR / "erasure-journal.jsonl"))

# --- Messaging engine (notifications) ----------------------------------------------------
# How long an invite link works (guardians.actions.invites) and a classroom join code lasts.
ENGAGE_INVITE_EXPIRY_DAYS = env_int("ENGAGE_INVITE_EXPIRY_DAYS", 14)
ENGAGE_JOIN_CODE_DAYS = env_int("ENGAGE_JOIN_CODE_DAYS", 30)
# Families who have not done an activity are reminded this many hours before it is due.
ENGAGE_ACTIVITY_REMINDER_HOURS = env_int("ENGAGE_ACTIVITY_REMINDER_HOURS", 24)
ENGAGE_DEFAULT_SENDS_PER_SECOND = env_int("ENGAGE_DEFAULT_SENDS_PER_SECOND", 100)
ENGAGE_SEND_THREADS = env_int("ENGAGE_SEND_THREADS", 8)
# A delivery claimed longer ago than this by a worker that never finished is checked with the
# provider and either confirmed or released (notifications.dispatch.recover_stale_claims).
ENGAGE_CLAIM_TIMEOUT = env_int("ENGAGE_CLAIM_TIMEOUT", 120)
# A delivery whose send task was queued longer ago than this and is still pending is re-queued.
ENGAGE_REQUEUE_AFTER = env_int("ENGAGE_REQUEUE_AFTER", 600)
# A queued message not fanned out after this many seconds is fanned out by the sweeper.
ENGAGE_FANOUT_GRACE = env_int("ENGAGE_FANOUT_GRACE", 60)
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "notifications.tasks.sweep_outbox",
        "schedule": float(env_int("ENGAGE_SWEEP_SECONDS", 60)),
    },
    "roster-imports-requeue": {
        "task": "tenants.tasks.requeue_stale_roster_imports",
        "schedule": 300.0,
    },
    # Scheduled activities are published within a minute of their time; reminders go before
    # the due date (activities.notify: ENGAGE_ACTIVITY_REMINDER_HOURS, 24 by default).
    "activities-publish-due": {
        "task": "activities.tasks.publish_due_activities",
        "schedule": 60.0,
    },
    "activities-reminders": {
        "task": "activities.tasks.send_activity_reminders",
        "schedule": 300.0,
    },
    # Photos a lost task left PROCESSING are queued again after 10 minutes, failed after an hour
    # (activities.media.do_sweep_stale_photos).
    "activities-photos-sweep": {
        "task": "activities.tasks.sweep_stale_photos",
        "schedule": 300.0,
    },
    # Retention (privacy.jobs): every job for every district, daily at 03:30 UTC; a missed day
    # is caught up by the next (everything due by then is done).
    "privacy-retention-daily": {
        "task": "privacy.tasks.run_retention",
        "schedule": crontab(hour=3, minute=30),
    },
    # Dashboard rollups recounted from the facts (dashboards.rebuild), repairing any drift.
    "dashboards-rebuild-nightly": {
        "task": "dashboards.tasks.rebuild_all",
        "schedule": crontab(hour=2, minute=45),
    },
}
CELERY_TASK_ROUTES = {
    "notifications.tasks.*": {"queue": "notifications"},
    "activities.tasks.process_*": {"queue": "media"},
    "privacy.tasks.*": {"queue": "privacy"},
}

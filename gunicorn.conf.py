"""Gunicorn settings for the production web process (docker-compose.yml, Dockerfile).

Run as: gunicorn -c gunicorn.conf.py engage.wsgi:application
Every value can be tuned through the environment without rebuilding the image.
"""

import multiprocessing
import os
import sys


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# Threaded workers (gthread): 2 x cores + 1 processes of GUNICORN_THREADS threads each, so a cheap
# page is not queued behind a submission waiting on the database, and keep-alive connections are
# kept. Processes are capped so a large host does not exhaust PostgreSQL's connections (each
# thread holds one, see DB_CONN_MAX_AGE): workers x threads at most.
worker_class = "gthread"
workers = _int(
    "WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, _int("WEB_MAX_WORKERS", 12))
)
threads = _int("GUNICORN_THREADS", 4)

# A request that runs past this is killed; slow work belongs in Celery, not in a request.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then (bounded memory growth); jitter keeps them from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Request limits: no legitimate Engage request needs more.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Only the reverse proxy in front of us may claim HTTPS (X-Forwarded-Proto); list its addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs go to stdout/stderr for the container runtime to collect. Each request is logged once, by
# Engage itself (engage.middleware: one JSON line with the request id, the route pattern, the
# status and the duration), so gunicorn's access log is off: its request line holds raw paths
# and query strings, where invite and sign-in tokens travel. GUNICORN_ACCESS_LOG=- turns it on
# (without referrer or user agent; %(M)s is the duration in milliseconds).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "").strip() or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms'

# Gunicorn's own lines (workers booting, timing out) in the same JSON as the application's when
# LOG_FORMAT is json, the production default (engage/logging.py imports nothing from Django).
if os.environ.get("LOG_FORMAT", "json").strip() == "json":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "engage.logging.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["error_console"],
                "propagate": False,
                "qualname": "gunicorn.error",
            },
            # With a logging config gunicorn always writes access lines: keep them off unless
            # asked for (above).
            "gunicorn.access": {
                "level": "INFO" if accesslog else "CRITICAL",
                "handlers": ["console"],
                "propagate": False,
                "qualname": "gunicorn.access",
            },
        },
    }

# Heartbeat files on tmpfs: a container's overlay filesystem can stall workers into timeouts.
# No runtime control socket (gunicornc): containers are managed by their orchestrator, and the
# default path under $HOME is not writable for the unprivileged image user.
control_socket_disable = True

# Gunicorn creates its files there with mkstemp (private, unique names).
_TMPFS = "/dev/shm"  # noqa: S108
if os.path.isdir(_TMPFS):
    worker_tmp_dir = _TMPFS

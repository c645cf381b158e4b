"""Readiness (/readyz): can this process serve traffic right now?

Each check answers "ok", "failed" or "not_configured" with the milliseconds it took; the page is
503 as soon as one fails, so a load balancer stops sending requests here (liveness, /healthz,
stays 200: restarting the process would not fix a database outage). Nothing in the answer comes
from the configuration or from an exception's text (which may hold a host, a user or a key):
a failure says only the kind of error.

- database: one `SELECT 1` on the default connection.
- redis: a PING on REDIS_URL (the cache, rate limits and, in production, the broker).
- storage: a cheap call on the default storage: the media directory exists and is writable on
  local disk; a HEAD of the bucket on S3.
- queues: the length of each Celery queue and the age of its oldest task (the publish time
  stamped by engage.task_headers), in Redis; too many or too old fails
  (ENGAGE_READY_QUEUE_MAX_LENGTH, ENGAGE_READY_QUEUE_MAX_AGE_SECONDS): the workers are down or
  cannot keep up.
"""

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import redis
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from kombu.transport.redis import PRIORITY_STEPS, Channel
from redis.backoff import NoBackoff
from redis.retry import Retry

from engage.task_headers import SENT_AT_HEADER

# The queues the workers consume (CELERY_TASK_ROUTES and the default queue).
QUEUES = ("notifications", "media", "privacy", "default")
REDIS_TIMEOUT_SECONDS = 2

# The clock the timings are read from (tests replace it to get exact figures).
clock = time.perf_counter


class CheckFailed(Exception):
    """A check ran and found the service unusable; `reason` is safe to show."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def run_checks() -> tuple[bool, dict]:
    """(ready, {"status": ..., "checks": {name: {...}}}) for every check, in order."""
    checks = {}
    for name, check in CHECKS.items():
        checks[name] = _timed(check)
    ready = all(result["status"] != "failed" for result in checks.values())
    return ready, {"status": "ok" if ready else "failed", "checks": checks}


def _timed(check: Callable[[], dict | None]) -> dict:
    started = clock()
    try:
        details = check()
    except CheckFailed as failure:
        result = {"status": "failed", "error": failure.reason}
    except Exception as error:  # any client's error: report its kind, never its text
        result = {"status": "failed", "error": type(error).__name__}
    else:
        result = {"status": "ok", **(details or {})}  # NOT_CONFIGURED overrides the status
    result["ms"] = round((clock() - started) * 1000, 1)
    return result


NOT_CONFIGURED = {"status": "not_configured"}


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis() -> dict | None:
    if not settings.REDIS_URL:
        return NOT_CONFIGURED
    with _redis_client(settings.REDIS_URL) as client:
        client.ping()
    return None


def check_storage() -> None:
    storage = default_storage
    if isinstance(storage, FileSystemStorage):
        location = Path(storage.location)
        try:  # made on first use, as the storage itself would
            location.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise CheckFailed("not_writable") from None
        if not os.access(location, os.W_OK):
            raise CheckFailed("not_writable")
        return
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:  # S3 (django-storages): one HEAD request on the bucket
        bucket.meta.client.head_bucket(Bucket=bucket.name)
    else:
        storage.exists("readyz-probe")


def check_queues() -> dict:
    broker_url = settings.CELERY_BROKER_URL
    if settings.CELERY_TASK_ALWAYS_EAGER or not broker_url.startswith(("redis://", "rediss://")):
        return NOT_CONFIGURED
    now = time.time()
    with _redis_client(broker_url) as client:
        queues = {name: _queue_state(client, name, now) for name in QUEUES}
    max_length = settings.ENGAGE_READY_QUEUE_MAX_LENGTH
    max_age = settings.ENGAGE_READY_QUEUE_MAX_AGE_SECONDS
    late = sorted(
        name
        for name, state in queues.items()
        if state["length"] > max_length or state["oldest_seconds"] > max_age
    )
    if late:
        raise CheckFailed("behind: " + ",".join(late))
    return {"queues": queues}


def _queue_state(client: redis.Redis, queue: str, now: float) -> dict:
    """Length over kombu's priority lists, and the age of the oldest task (the list's tail)."""
    keys = [f"{queue}{Channel.sep}{step}" if step else queue for step in PRIORITY_STEPS]
    with client.pipeline() as pipe:
        for key in keys:
            pipe.llen(key)
            pipe.lindex(key, -1)
        replies = pipe.execute()
    length = sum(replies[0::2])
    sent = [_sent_at(raw) for raw in replies[1::2] if raw]
    oldest = min((at for at in sent if at is not None), default=now)
    return {"length": length, "oldest_seconds": max(0, round(now - oldest))}


def _sent_at(raw: bytes) -> float | None:
    try:
        return float(json.loads(raw)["headers"][SENT_AT_HEADER])
    except (ValueError, KeyError, TypeError):
        return None  # a task published without the stamp: counted, not aged


def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), retries=0),  # a probe answers now, it does not wait
    )


CHECKS: dict[str, Callable[[], dict | None]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "queues": check_queues,
}

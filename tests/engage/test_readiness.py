"""/readyz: database, Redis, storage and queue lag, each timed; 503 as soon as one fails.

Redis here is a private redis-server on a free port (tests/fakes/services.py), so the queues can
be filled without touching anyone's broker; the failing Redis is a closed port.
"""

import itertools
import json

import pytest
import time_machine
from django.test import override_settings

from engage import readiness
from engage.celery import app as celery_app
from tests.fakes.services import RedisServer, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def celery_configured_first():
    """Celery copies the Django settings once, at its first use: make that happen with the test
    settings, before this module overrides the broker (which only /readyz reads here), or every
    later test would queue to a Redis that is gone."""
    assert celery_app.conf.task_always_eager is True


@pytest.fixture(autouse=True)
def exact_timings(monkeypatch):
    """Each reading of the clock is 1 ms after the last: every check takes exactly 1.0 ms."""
    ticks = itertools.count()
    monkeypatch.setattr(readiness, "clock", lambda: next(ticks) / 1000)


@pytest.fixture(scope="module")
def redis_server():
    with RedisServer() as server:
        yield server


@pytest.fixture
def broker(redis_server, settings):
    """REDIS_URL and the Celery broker on the private Redis, its queues empty."""
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()
    settings.REDIS_URL = redis_server.url
    settings.CELERY_BROKER_URL = redis_server.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return redis_server.url


def publish(broker_url: str, task: str, queue: str) -> None:
    """Send a task through Celery itself (the publish signal stamps it), to the broker."""
    with celery_app.connection_for_write(broker_url) as connection:
        celery_app.send_task(task, queue=queue, connection=connection)


EMPTY_QUEUES = {
    name: {"length": 0, "oldest_seconds": 0}
    for name in ("notifications", "media", "privacy", "default")
}


def test_embedded_mode_is_ready_without_redis(client, settings):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok", "ms": 1.0},
            "redis": {"status": "not_configured", "ms": 1.0},
            "storage": {"status": "ok", "ms": 1.0},
            "queues": {"status": "not_configured", "ms": 1.0},
        },
    }


def test_ready_with_redis_and_its_queues(client, broker):
    with time_machine.travel("2030-01-01 08:00:00Z", tick=False):
        publish(broker, "notifications.tasks.sweep_outbox", "notifications")
        publish(broker, "notifications.tasks.sweep_outbox", "notifications")
    with time_machine.travel("2030-01-01 08:01:40Z", tick=False):
        publish(broker, "privacy.tasks.run_retention", "privacy")
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok", "ms": 1.0},
            "redis": {"status": "ok", "ms": 1.0},
            "storage": {"status": "ok", "ms": 1.0},
            "queues": {
                "status": "ok",
                "queues": {
                    **EMPTY_QUEUES,
                    "notifications": {"length": 2, "oldest_seconds": 100},
                    "privacy": {"length": 1, "oldest_seconds": 0},
                },
                "ms": 1.0,
            },
        },
    }


def test_a_queue_whose_oldest_task_waited_too_long_fails(client, broker, settings):
    settings.ENGAGE_READY_QUEUE_MAX_AGE_SECONDS = 300
    with time_machine.travel("2030-01-01 08:00:00Z", tick=False):
        publish(broker, "activities.tasks.process_photo", "media")
    with time_machine.travel("2030-01-01 08:05:00Z", tick=False):
        at_the_limit = client.get("/readyz")
    with time_machine.travel("2030-01-01 08:05:01Z", tick=False):
        past_it = client.get("/readyz")

    assert at_the_limit.status_code == 200
    assert past_it.status_code == 503
    assert past_it.json()["status"] == "failed"
    assert past_it.json()["checks"]["queues"] == {
        "status": "failed",
        "error": "behind: media",
        "ms": 1.0,
    }


def test_a_queue_too_long_fails(client, broker, settings):
    settings.ENGAGE_READY_QUEUE_MAX_LENGTH = 2
    for _ in range(3):
        publish(broker, "engage.tasks.nothing", "default")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["queues"]["error"] == "behind: default"


def test_redis_on_a_closed_port_fails_without_saying_where(client, settings):
    closed = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = closed
    settings.CELERY_BROKER_URL = closed
    settings.CELERY_TASK_ALWAYS_EAGER = False

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "failed",
        "checks": {
            "database": {"status": "ok", "ms": 1.0},
            "redis": {"status": "failed", "error": "ConnectionError", "ms": 1.0},
            "storage": {"status": "ok", "ms": 1.0},
            "queues": {"status": "failed", "error": "ConnectionError", "ms": 1.0},
        },
    }
    assert b"hunter2" not in response.content
    assert b"127.0.0.1" not in response.content


def test_media_storage_that_cannot_be_written_fails(client, settings, tmp_path):
    settings.REDIS_URL = ""
    not_a_directory = tmp_path / "media"
    not_a_directory.write_text("a file where the media directory should be")
    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(not_a_directory)},
            },
        }
    ):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {
        "status": "failed",
        "error": "not_writable",
        "ms": 1.0,
    }


def test_readyz_is_never_throttled_nor_redirected_to_https(client, settings):
    settings.REDIS_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

    statuses = {client.get("/readyz").status_code for _ in range(80)}

    assert statuses == {200}  # past the API's anonymous rate (60/min): no throttle here
    assert client.get("/accounts/login/").status_code == 301  # the redirect is on for others


def test_a_task_without_the_publish_stamp_is_counted_not_aged(broker, client):
    import redis

    message = {"body": "", "headers": {"task": "x"}, "properties": {}}
    redis.Redis.from_url(broker).lpush("default", json.dumps(message))

    queues = client.get("/readyz").json()["checks"]["queues"]["queues"]

    assert queues["default"] == {"length": 1, "oldest_seconds": 0}

"""Structured logs: one JSON object per line with the request id, on the response too, and in
the worker that runs a task the request queued. Never a name, an address or a phone number."""

import io
import json
import logging

import pytest
import redis
from django.test import override_settings

from engage.celery import app as celery_app
from engage.logging import JsonFormatter, LogContext, bind, current_request_id, unbind
from engage.middleware import request_id_from
from tests.fakes.services import RedisServer

pytestmark = pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")


@pytest.fixture
def json_lines():
    """What the root logger writes through the production formatter, as parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(previous)


def request_lines(lines):
    return [line for line in lines if line["logger"] == "engage.request"]


@pytest.mark.parametrize(
    "offered",
    ["3f2a9c4e-8d1b-4c3a-9f7e-2b6d8e1a0c55", "abcdef0123456789abcdef0123456789", "lb.1234:5678_x"],
)
def test_a_sane_request_id_from_the_proxy_is_kept(offered):
    assert request_id_from(offered) == offered


@pytest.mark.parametrize(
    "offered",
    [
        "",
        "short",
        "x" * 129,
        "has space in it",
        'quote"injection1',
        "line\nbreak-1234",
        "-leading1",
    ],
)
def test_anything_else_gets_a_fresh_id(offered):
    made = request_id_from(offered)
    assert made != offered.strip()
    assert len(made) == 32 and int(made, 16) >= 0


@pytest.mark.django_db
def test_the_response_carries_the_request_id_and_every_line_has_it(client, json_lines):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-req-000123")

    assert response["X-Request-ID"] == "edge-req-000123"
    (line,) = request_lines(json_lines())
    assert set(line) == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "user_id",
        "district_id",
        "method",
        "route",
        "status",
        "duration_ms",
    }
    assert line["time"].endswith("+00:00")
    assert {k: v for k, v in line.items() if k not in {"time", "duration_ms"}} == {
        "level": "INFO",
        "logger": "engage.request",
        "message": "http.request",
        "request_id": "edge-req-000123",
        "user_id": None,
        "district_id": None,
        "method": "GET",
        "route": "healthz",
        "status": 200,
    }


@pytest.mark.django_db
def test_a_forged_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='x" injected="1')

    assert response["X-Request-ID"] != 'x" injected="1'
    assert len(response["X-Request-ID"]) == 32


def test_a_redirect_to_https_carries_the_id_too(client):
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[]):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-req-000124")

    assert response.status_code == 301
    assert response["X-Request-ID"] == "edge-req-000124"


def test_lines_name_the_user_and_district_by_id_only(world, login, json_lines):
    client = login(world.ana, role="guardian")
    logging.getLogger("tests.engage").info(
        "test.family.viewed",
        extra={"email": world.ana.email, "phone": "+15555550123", "child_count": 2},
    )

    response = client.get("/family/", HTTP_X_REQUEST_ID="req-family-0001")

    assert response.status_code == 200
    (line,) = request_lines(json_lines())
    assert line["request_id"] == "req-family-0001"
    assert line["user_id"] == world.ana.id
    assert line["district_id"] == world.lakeside.id
    assert line["route"] == "family/"
    output = json.dumps(json_lines())
    for personal in (world.ana.email, "Ana", "+15555550123"):
        assert personal not in output
    (logged,) = [line for line in json_lines() if line["message"] == "test.family.viewed"]
    assert logged["child_count"] == 2 and "email" not in logged and "phone" not in logged


def test_addresses_and_phone_numbers_in_a_message_are_masked(json_lines):
    logging.getLogger("tests.engage").warning(
        "sms to %s failed for %s", "+1 (555) 555-0123", "ana@example.org"
    )

    (line,) = json_lines()
    assert line["message"] == "sms to [phone] failed for [email]"
    assert line["request_id"] is None


def test_an_exception_is_logged_with_its_traceback(json_lines):
    try:
        raise ValueError("bad value for ana@example.org")
    except ValueError:
        logging.getLogger("tests.engage").exception("test.failed")

    (line,) = json_lines()
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("ValueError: bad value for [email]")


SEEN_IN_WORKER: list[str] = []


@celery_app.task(name="tests.engage.remember_request_id")
def remember_request_id():
    SEEN_IN_WORKER.append(current_request_id())
    logging.getLogger("tests.engage").info("test.task.ran")


def test_a_task_logs_the_id_of_the_request_that_queued_it(json_lines):
    """Published to a real Redis inside a request's context; run the way a worker runs what it
    takes off the queue (celery.worker.request.Request), in this process."""
    from celery.worker.request import Request

    SEEN_IN_WORKER.clear()
    with RedisServer() as server:
        token = bind(LogContext(request_id="req-queued-0001"))
        try:
            with celery_app.connection_for_write(server.url) as connection:
                celery_app.send_task(remember_request_id.name, connection=connection)
        finally:
            unbind(token)
        raw = redis.Redis.from_url(server.url).rpop("default")
        with celery_app.connection_for_read(server.url) as connection:
            message = connection.default_channel.message_to_python(json.loads(raw))
        Request(message, app=celery_app, task=remember_request_id).execute()

    assert message.headers["engage_request_id"] == "req-queued-0001"
    assert SEEN_IN_WORKER == ["req-queued-0001"]
    (line,) = [line for line in json_lines() if line["message"] == "test.task.ran"]
    assert line["request_id"] == "req-queued-0001"
    assert line["task"] == "tests.engage.remember_request_id"
    assert current_request_id() == ""  # the worker's context ends with the task


def test_production_logs_json_and_local_logs_stay_readable():
    from engage.settings import base

    assert base.LOGGING["handlers"]["console"]["formatter"] == "plain"
    assert "%(request_id)s" in base.LOGGING["formatters"]["plain"]["format"]
    assert base.LOGGING["formatters"]["json"] == {"()": "engage.logging.JsonFormatter"}
    assert base.MIDDLEWARE[0] == "engage.middleware.RequestIdMiddleware"


def test_a_task_run_eagerly_keeps_the_requests_context(json_lines):
    """The embedded mode runs tasks inside the request: their lines keep its ids."""
    SEEN_IN_WORKER.clear()
    token = bind(LogContext(request_id="req-eager-0001", known_ids=lambda: (7, 3)))
    try:
        remember_request_id.apply()
        after = current_request_id()
    finally:
        unbind(token)

    (line,) = [line for line in json_lines() if line["message"] == "test.task.ran"]
    assert (line["request_id"], line["user_id"], line["district_id"]) == ("req-eager-0001", 7, 3)
    assert line["task"] == "tests.engage.remember_request_id"
    assert after == "req-eager-0001"  # the request's context is back once the task is done

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tenants.scope import SESSION_KEY, list_scopes_for_user
from tests.world import build_world

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_sessionstart(session):
    """In CI an unreachable PostgreSQL or Redis fails the run instead of skipping anything."""
    if not IN_CI:
        return
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        pytest.exit(f"CI=true but {', '.join(missing)} is not set", returncode=3)
    import redis

    try:
        redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.exit(f"CI=true and Redis is unreachable: {error}", returncode=3)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _engage_celery_app_stays_current():
    """Tasks declared with shared_task run on whichever Celery app is current: a test that made
    another app current (`Celery(...)` is current by default) would send every later test's
    tasks to its broker. Fail that test, not a later one."""
    from celery import _state

    from engage.celery import app

    yield
    assert _state.get_current_app() is app, "a test left another Celery app current"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request as a Spanish-speaking guardian
    activates Spanish for the thread (the person's language wins), and would leak into the next
    test's direct calls."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def login(client):
    """login(user, role=None, school=None): sign `user` in, acting in the given context."""

    def _login(user, role=None, school=None, district=None):
        client.force_login(user)
        scopes = list_scopes_for_user(user)
        chosen = [
            s
            for s in scopes
            if (role is None or s.role == role)
            and (school is None or (s.school and s.school.id == school.id))
            and (district is None or s.district.id == district.id)
        ]
        assert chosen, f"{user} has no such context among {[s.key for s in scopes]}"
        session = client.session
        session[SESSION_KEY] = chosen[0].key
        session["engage_mfa_ok"] = user.id  # two-factor itself is tested in test_two_factor.py
        # The family agreed to the policy (tested in tests/guardians/test_invites.py and
        # test_consent.py); staff are never asked.
        session["engage_consent_ok"] = [s.district.id for s in scopes if s.is_family]
        session.save()
        return client

    return _login


class QueryCounter(CaptureQueriesContext):
    pass


@pytest.fixture
def assert_num_queries():
    """with assert_num_queries(n): ...: exact query count; prints the SQL when it differs."""

    class _Assert:
        def __init__(self, expected):
            self.expected = expected
            self.context = CaptureQueriesContext(connection)

        def __enter__(self):
            self.context.__enter__()
            return self.context

        def __exit__(self, *exc):
            self.context.__exit__(*exc)
            if exc[0] is not None:
                return False
            executed = len(self.context.captured_queries)
            if executed != self.expected:
                sql = "\n".join(
                    f"{i}. {q['sql']}" for i, q in enumerate(self.context.captured_queries, 1)
                )
                pytest.fail(f"expected {self.expected} queries, ran {executed}:\n{sql}")
            return False

    return _Assert

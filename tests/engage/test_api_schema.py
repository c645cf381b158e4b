"""The API against its own OpenAPI schema (drf-spectacular's /api/schema/), fuzzed by schemathesis.

Every operation is called in process (WSGI) with generated parameters and bodies, signed in as a
teacher and as a guardian of the test world: no answer may be a server error, and every
documented answer must match its schema and content type. Path ids are half the time the world's
real objects (so the calls reach past the 404 into the views), half the time generated.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tenants.models import Role
from tests.activities.helpers import quiz_for, task_for
from tests.tenants import test_cross_tenant_sweep as sweep

STATS = []
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES_PER_OPERATION = 6
CSRF_TOKEN = "k" * 32  # a CSRF secret, sent as cookie and header (SessionAuthentication)


@pytest.fixture
def api_schema(world):
    """The schema as served, loaded against Django's WSGI application in this process. The
    connection stays open between calls (as the test client keeps it): the test's transaction
    holds the world."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def session_cookies(client, login, user, role) -> dict[str, str]:
    login(user, role=role)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF_TOKEN}


def real_ids(world) -> dict[str, int]:
    """The world's objects for each path id (those of the cross-tenant sweep)."""
    quiz_for(world), task_for(world)
    return {name: factory(world)[0].id for name, factory in sweep.ID_OBJECTS.items()}


def fuzz(operation, cookies: dict, ids: dict) -> None:
    @given(case=operation.as_strategy(), use_real_ids=st.booleans())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case, use_real_ids):
        if use_real_ids and case.path_parameters:
            case.path_parameters.update(
                {name: ids[name] for name in case.path_parameters if name in ids}
            )
        r = case.call_and_validate(
            cookies=cookies, headers={"X-CSRFToken": CSRF_TOKEN}, checks=CHECKS
        )
        STATS.append((case.method, case.path, use_real_ids, r.status_code))

    run()


@pytest.mark.parametrize(
    ("person", "role"), [("tom", Role.TEACHER), ("ana", Role.GUARDIAN)], ids=["teacher", "guardian"]
)
def test_every_operation_keeps_to_its_schema(world, client, login, api_schema, person, role):
    ids = real_ids(world)
    cookies = session_cookies(client, login, world.people[person], role)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:
        fuzz(operation, cookies, ids)
    import collections

    print(collections.Counter(STATS))


PAGINATED = [
    "/api/v1/activities/",
    "/api/v1/activities/library/",
    "/api/v1/classrooms/",
    "/api/v1/family/children/",
    "/api/v1/family/children/{child_id}/portfolio/",
    "/api/v1/review/submissions/",
    "/api/v1/roster/imports/",
]


def test_paginated_lists_are_documented_in_their_envelope(db, client):
    """Regression (found by the run above): these lists answer {count, next, previous, results}
    but the schema said a bare array (tenants.api_base.PaginatedApi)."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    envelopes = {}
    for path, operations in schema["paths"].items():
        content = operations.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
        reference = content.get("application/json", {}).get("schema", {}).get("$ref", "")
        properties = components.get(reference.rsplit("/", 1)[-1], {}).get("properties", {})
        if "results" in properties:
            envelopes[path] = tuple(sorted(properties))
    assert envelopes == dict.fromkeys(PAGINATED, ("count", "next", "previous", "results"))

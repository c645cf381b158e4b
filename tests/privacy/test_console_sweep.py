"""The cross-tenant sweep (tests/tenants/test_cross_tenant_sweep.py) over the privacy console's
id routes: every outsider gets 404 (or 403 without the capability) and nothing is written, and
the rightful admin reaches each page.

The sweep itself learns the console's kwargs from CONSOLE_ID_OBJECTS / CONSOLE_ROUTE_OBJECTS
below (one import and two `**` lines there); until then this module runs the same checks on the
console's routes alone.
"""

import pytest
from django.urls import reverse

from privacy.actions_settings import do_erase_now
from privacy.archive import purge_archive
from privacy.audit import Actor
from privacy.lifecycle import do_delete_with_restore
from privacy.models import Archive, PrivacyRequest
from privacy.requests import do_create_request
from tenants.models import Role
from tests.tenants.test_cross_tenant_sweep import (
    OUTSIDERS,
    declared_methods,
    id_routes,
    row_counts,
)

SYSTEM = Actor.system()
ADMINS = [("priya", Role.SCHOOL_ADMIN), ("dana", Role.DISTRICT_ADMIN)]


def _correction(world) -> PrivacyRequest:
    return PrivacyRequest.objects.filter(kind="correction").first() or do_create_request(
        world.lakeside,
        kind=PrivacyRequest.Kind.CORRECTION,
        requester=world.ana,
        school=world.a1,
        details="Mia's birthday",
        actor=SYSTEM,
    )


def _open_erasure(world) -> PrivacyRequest:
    return PrivacyRequest.objects.filter(
        kind="erasure", requester=world.ben
    ).first() or do_create_request(
        world.lakeside, kind=PrivacyRequest.Kind.ERASURE, requester=world.ben, actor=SYSTEM
    )


def _erased(world) -> PrivacyRequest:
    """Tess's request to be forgotten (Ivy's mother at a1), carried out from Lakeside
    Elementary's console; she keeps her account, as a teacher in Hillcrest."""
    existing = PrivacyRequest.objects.filter(kind="erasure", requester=world.tess).first()
    if existing:
        return existing
    request = do_create_request(
        world.lakeside, kind=PrivacyRequest.Kind.ERASURE, requester=world.tess, actor=SYSTEM
    )
    do_erase_now(request, school=world.a1, actor=Actor(user=world.priya))
    return request


def _deleted_ivy(world) -> Archive:
    return Archive.objects.filter(state="archived").first() or do_delete_with_restore(
        world.ivy,
        kind=Archive.Kind.CHILD,
        district_id=world.lakeside.id,
        school_id=world.a1.id,
        actor=Actor(user=world.priya),
        reason="sweep",
    )


def _purged(world) -> Archive:
    existing = Archive.objects.filter(state="purged").first()
    if existing:
        return existing
    archive = do_delete_with_restore(
        world.noah,
        kind=Archive.Kind.CHILD,
        district_id=world.lakeside.id,
        school_id=world.a1.id,
        actor=Actor(user=world.priya),
        reason="sweep",
    )
    purge_archive(archive)
    return archive


# For the sweep: the object each console kwarg names, and who rightly reaches it.
CONSOLE_ID_OBJECTS = {
    "privacy_request_id": lambda w: (_correction(w), ADMINS),
    "archive_id": lambda w: (_deleted_ivy(w), ADMINS),
}
CONSOLE_ROUTE_OBJECTS = {
    "privacy:console_erase": {"privacy_request_id": lambda w: (_open_erasure(w), ADMINS)},
    "privacy:console_request_certificate": {"privacy_request_id": lambda w: (_erased(w), ADMINS)},
    "privacy:console_archive_certificate": {"archive_id": lambda w: (_purged(w), ADMINS)},
}


def console_routes():
    return [(name, pattern) for name, pattern in id_routes() if name.startswith("privacy:console")]


def _kwargs(world, route, pattern) -> dict:
    factories = {**CONSOLE_ID_OBJECTS, **CONSOLE_ROUTE_OBJECTS.get(route, {})}
    return {name: factories[name](world)[0].id for name in pattern.pattern.converters}


def test_the_console_has_id_routes_and_each_kwarg_is_known():
    routes = console_routes()
    assert sorted(name for name, _pattern in routes) == [
        "privacy:console_archive_certificate",
        "privacy:console_erase",
        "privacy:console_request",
        "privacy:console_request_certificate",
        "privacy:console_restore",
    ]
    assert {k for _n, p in routes for k in p.pattern.converters} == set(CONSOLE_ID_OBJECTS)


@pytest.mark.parametrize("outsider,role", OUTSIDERS)
def test_outsiders_get_404_or_403_and_nothing_is_written(world, client, login, outsider, role):
    login(world.people[outsider], role=role)
    for route, pattern in console_routes():
        url = reverse(route, kwargs=_kwargs(world, route, pattern))
        for method in declared_methods(pattern.callback):
            before = row_counts()
            response = getattr(client, method.lower())(url)
            expected = 403 if role in (Role.TEACHER, Role.GUARDIAN) else 404
            assert response.status_code == expected, (outsider, method, url)
            assert row_counts() == before, (outsider, method, url)


@pytest.mark.parametrize("insider,role", ADMINS)
def test_insiders_reach_every_console_id_page(world, client, login, insider, role):
    for route, pattern in console_routes():
        if "GET" not in declared_methods(pattern.callback):
            continue
        url = reverse(route, kwargs=_kwargs(world, route, pattern))
        login(world.people[insider], role=role)
        assert client.get(url).status_code == 200, url

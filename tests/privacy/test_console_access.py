"""The privacy console: who may open it, and another tenant's ids (/privacy/console/)."""

import pytest
from django.urls import reverse

from privacy.audit import Actor
from privacy.lifecycle import do_delete_with_restore
from privacy.models import Archive, PrivacyRequest
from privacy.requests import do_create_request
from tenants.models import Role
from tests.tenants.test_cross_tenant_sweep import row_counts

SYSTEM = Actor.system()

PAGES = [
    "privacy:console",
    "privacy:console_settings",
    "privacy:console_deleted",
    "privacy:console_history",
    "privacy:console_inventory",
    "privacy:console_subprocessors",
    "privacy:console_audit",
    "privacy:console_audit_export",
]


def correction_by_ana(world) -> PrivacyRequest:
    return do_create_request(
        world.lakeside,
        kind=PrivacyRequest.Kind.CORRECTION,
        requester=world.ana,
        school=world.a1,
        details="Mia's last name is Álvarez, with an accent.",
        actor=SYSTEM,
    )


def erasure_by_ben(world) -> PrivacyRequest:
    return do_create_request(
        world.lakeside, kind=PrivacyRequest.Kind.ERASURE, requester=world.ben, actor=SYSTEM
    )


def noah_deleted(world) -> Archive:
    return do_delete_with_restore(
        world.noah,
        kind=Archive.Kind.CHILD,
        district_id=world.lakeside.id,
        school_id=world.a1.id,
        actor=Actor(user=world.priya),
        reason="added twice",
    )


def id_urls(world) -> list[tuple[str, str]]:
    """(method, url) of every console route that takes an id, on Lakeside a1's objects."""
    correction = correction_by_ana(world)
    erasure = erasure_by_ben(world)
    archive = noah_deleted(world)
    return [
        ("get", reverse("privacy:console_request", args=[correction.id])),
        ("post", reverse("privacy:console_request", args=[correction.id])),
        ("get", reverse("privacy:console_erase", args=[erasure.id])),
        ("post", reverse("privacy:console_erase", args=[erasure.id])),
        ("post", reverse("privacy:console_restore", args=[archive.id])),
    ]


def test_anonymous_is_sent_to_sign_in(world, client):
    urls = [reverse(name) for name in PAGES] + [url for _m, url in id_urls(world)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    "person,role",
    [
        ("ana", Role.GUARDIAN),
        ("tom", Role.TEACHER),
        ("sam", Role.STAFF),
        ("vera", Role.VIEWER),
    ],
)
def test_families_teachers_staff_and_viewers_are_refused_and_write_nothing(
    world, client, login, person, role
):
    urls = id_urls(world)
    login(world.people[person], role=role)
    before = row_counts()
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403, name
    assert client.post(reverse("privacy:console_settings"), {"restore_days": 7}).status_code == 403
    for method, url in urls:
        data = {"status": "done", "response": "Hacked"} if method == "post" else None
        assert getattr(client, method)(url, data).status_code == 403, url
    assert row_counts() == before


@pytest.mark.parametrize(
    "person,role", [("quinn", Role.SCHOOL_ADMIN), ("hope", Role.SCHOOL_ADMIN), ("hank", None)]
)
def test_another_schools_or_districts_ids_are_404_and_nothing_is_written(
    world, client, login, person, role
):
    """Quinn (Lakeside Middle), Hope (a Hillcrest school) and Hank (Hillcrest's district admin)
    reach their own console, but Lakeside Elementary's requests and deleted items do not exist
    for them: 404 for every method, and not one row changes."""
    urls = id_urls(world)
    login(world.people[person], role=role)
    before = row_counts()
    assert client.get(reverse("privacy:console")).status_code == 200
    for method, url in urls:
        data = {"status": "done", "response": "Hacked"} if method == "post" else None
        assert getattr(client, method)(url, data).status_code == 404, (method, url)
    assert row_counts() == before
    assert PrivacyRequest.objects.filter(status=PrivacyRequest.Status.OPEN).count() == 2
    assert Archive.objects.get().state == Archive.State.ARCHIVED


@pytest.mark.parametrize(
    "person,role,expected",
    [
        ("dana", Role.DISTRICT_ADMIN, True),
        ("priya", Role.SCHOOL_ADMIN, True),
        ("tom", Role.TEACHER, False),
        ("ana", Role.GUARDIAN, False),
    ],
)
def test_the_privacy_entry_is_in_the_menu_of_privacy_admins_only(
    world, client, login, person, role, expected
):
    login(world.people[person], role=role)
    page = client.get(reverse("tenants:preferences")).content.decode()
    link = f'<a href="{reverse("privacy:console")}">Privacy</a>'
    assert (link in page) is expected


def test_the_menu_marks_every_console_page_as_current(world, client, login):
    login(world.priya)
    for name in PAGES[:-1]:
        page = client.get(reverse(name)).content.decode()
        assert f'<a href="{reverse("privacy:console")}" aria-current="page">Privacy</a>' in page

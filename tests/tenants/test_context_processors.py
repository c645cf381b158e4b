"""The page chrome: the main navigation, rendered once per (capabilities, level, page, language)
and cached in the process, and base.html's constant links (tenants.context_processors)."""

import re

import pytest
from django.test.utils import override_script_prefix

from tenants.actions import do_set_preferred_language
from tenants.models import Role
from tests.world import SYSTEM

NAV_LINK = re.compile(r'<li><a href="([^"]+)"( aria-current="page")?>([^<]+)</a></li>')


def nav_links(page: str) -> list[tuple[str, bool, str]]:
    """(href, is current page, label) of each link of the main navigation."""
    nav = re.search(r'<nav class="main" aria-label="([^"]+)">(.*?)</nav>', page, re.S)
    return [(href, bool(current), label) for href, current, label in NAV_LINK.findall(nav[2])]


@pytest.mark.parametrize(
    "person,role,page,links",
    [
        (
            "ben",
            Role.GUARDIAN,
            "/family/",
            [
                ("/family/", True, "My family"),
                ("/inbox/", False, "Messages"),
                ("/privacy/me/", False, "Privacy"),
                ("/preferences/", False, "Settings"),
            ],
        ),
        (
            "tom",
            Role.TEACHER,
            "/teach/",
            [
                ("/teach/", True, "My classes"),
                ("/activities/", False, "Activities"),
                ("/school/", False, "Classrooms"),
                ("/people/", False, "People"),
                ("/dashboards/", False, "Dashboards"),
                ("/review/", False, "Review"),
                ("/leaderboards/school/", False, "Participation"),
                ("/onboarding/invites/", False, "Invitations"),
                ("/messages/", False, "Send messages"),
                ("/inbox/", False, "Messages"),
                ("/preferences/", False, "Settings"),
            ],
        ),
        (
            "dana",
            Role.DISTRICT_ADMIN,
            "/district/",
            [
                ("/district/", True, "District"),
                ("/activities/", False, "Activities"),
                ("/school/", False, "Classrooms"),
                ("/people/", False, "People"),
                ("/dashboards/", False, "Dashboards"),
                ("/staff/", False, "Staff and roles"),
                ("/review/district/", False, "Submissions"),
                ("/leaderboards/district/", False, "Participation"),
                ("/onboarding/invites/", False, "Invitations"),
                ("/messages/", False, "Send messages"),
                ("/inbox/", False, "Messages"),
                ("/privacy/console/", False, "Privacy"),
                ("/preferences/", False, "Settings"),
            ],
        ),
        (
            "vera",
            Role.VIEWER,
            "/overview/",
            [
                ("/dashboards/", True, "Dashboards"),
                ("/leaderboards/district/", False, "Participation"),
                ("/inbox/", False, "Messages"),
                ("/preferences/", False, "Settings"),
            ],
        ),
    ],
)
def test_each_role_sees_its_links_with_the_current_page_marked(
    world, client, login, person, role, page, links
):
    login(world.people[person], role=role)
    response = client.get(page)
    assert response.status_code == 200
    assert nav_links(response.text) == links


def test_the_current_page_follows_the_view(world, client, login):
    login(world.tom, role=Role.TEACHER)
    assert [current for _, current, _ in nav_links(client.get("/teach/").text)][:2] == [
        True,
        False,
    ]
    links = nav_links(client.get("/school/").text)
    assert [label for _, current, label in links if current] == ["Classrooms"]
    links = nav_links(client.get("/messages/new/").text)
    assert [label for _, current, label in links if current] == ["Send messages"]


def test_one_process_serves_each_person_their_language(world, client, login):
    login(world.ana)  # prefers Spanish
    page = client.get("/family/").text
    assert '<nav class="main" aria-label="Principal">' in page
    assert nav_links(page) == [
        ("/family/", True, "Mi familia"),
        ("/inbox/", False, "Mensajes"),
        ("/privacy/me/", False, "Privacidad"),
        ("/preferences/", False, "Configuración"),
    ]
    do_set_preferred_language(world.ana, language="en", actor=SYSTEM)
    page = client.get("/family/").text
    assert '<nav class="main" aria-label="Main">' in page
    assert [label for _, _, label in nav_links(page)] == [
        "My family",
        "Messages",
        "Privacy",
        "Settings",
    ]


def test_the_cached_family_cards_follow_the_language(world, client, login):
    login(world.ana)
    assert '<p class="muted">Maestros: Tom Turner</p>' in client.get("/family/").text
    do_set_preferred_language(world.ana, language="en", actor=SYSTEM)
    page = client.get("/family/").text
    assert '<p class="muted">Teachers: Tom Turner</p>' in page and "Maestros" not in page
    do_set_preferred_language(world.ana, language="es", actor=SYSTEM)
    assert '<p class="muted">Maestros: Tom Turner</p>' in client.get("/family/").text


def test_base_page_links(world, client, login):
    login(world.ben)
    page = client.get("/family/").text
    assert '<link rel="stylesheet" href="/static/css/engage.css">' in page
    assert re.search(
        r'<script src="/static/vendor/htmx-2\.0\.11\.min\.js" nonce="[^"]+" defer>', page
    )
    assert '<a class="brand" href="/">Engage</a>' in page
    assert '<form action="/i18n/setlang/" method="post">' in page
    assert '<form action="/accounts/logout/" method="post">' in page
    assert '<button class="link" type="submit" name="language" value="es" lang="es">' in page


def test_anonymous_pages_have_the_links_and_no_navigation(db, client):
    page = client.get("/accounts/login/").text
    assert '<link rel="stylesheet" href="/static/css/engage.css">' in page
    assert '<nav class="main"' not in page and "/accounts/logout/" not in page


def test_links_follow_the_script_prefix_the_app_is_mounted_at(world, client, login):
    login(world.ben)
    client.get("/family/")  # cached for the root first
    with override_script_prefix("/engage/"):
        page = client.get("/family/").text
    assert [href for href, _, _ in nav_links(page)] == [
        "/engage/family/",
        "/engage/inbox/",
        "/engage/privacy/me/",
        "/engage/preferences/",
    ]
    assert '<a class="brand" href="/engage/">Engage</a>' in page
    assert '<form action="/engage/accounts/logout/" method="post">' in page
    assert f'<a href="/engage/family/children/{world.noah.id}/">Noah Brooks</a>' in page

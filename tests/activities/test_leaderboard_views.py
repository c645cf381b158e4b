"""The leaderboard pages: who reaches which, what they show, the school's settings form, and
query counts that do not grow with the classroom, school or district."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.actions.leaderboards import do_set_leaderboard_choice
from activities.models import SchoolActivitySettings
from privacy.audit import Actor
from privacy.models import AuditEvent
from tenants.models import Role
from tests.activities.helpers import quiz_for
from tests.activities.test_leaderboards import family, task_for
from tests.activities.test_review import submit
from tests.tenants.test_cross_tenant_sweep import row_counts

pytestmark = pytest.mark.django_db


def classroom_url(world):
    return reverse("leaderboards:classroom", args=[world.room1.id])


@pytest.mark.parametrize(
    "person,role,status",
    [
        ("tom", Role.TEACHER, 200),
        ("priya", Role.SCHOOL_ADMIN, 200),
        ("sam", Role.STAFF, 200),
        ("dana", Role.DISTRICT_ADMIN, 200),
        ("tina", Role.TEACHER, 404),
        ("quinn", Role.SCHOOL_ADMIN, 404),
        ("vera", Role.VIEWER, 404),  # board members: aggregates only
        ("ana", Role.GUARDIAN, 404),  # families: on the family pages
        ("hank", Role.DISTRICT_ADMIN, 404),
        ("hugo", Role.TEACHER, 404),
    ],
)
def test_who_reaches_a_classroom_leaderboard(world, client, login, person, role, status):
    login(world.people[person], role=role)
    assert client.get(classroom_url(world)).status_code == status


def test_anonymous_people_sign_in_first(world, client):
    for url in (classroom_url(world), "/leaderboards/school/", "/leaderboards/district/"):
        assert client.get(url).status_code == 302


def test_the_classroom_page_shows_ranked_names_only(world, client, login):
    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz, text="Secret words")
    login(world.tom)
    page = client.get(classroom_url(world)).content.decode()
    assert "<tr><td>1</td><td>Mia A.</td><td>1</td></tr>" in page
    assert "Noah" not in page and "Secret words" not in page and "Alvarez" not in page


def test_the_school_page_ranks_classrooms_and_links_them_for_staff(world, client, login):
    submit(world.ana, world.mia, quiz_for(world))
    login(world.priya)
    page = client.get("/leaderboards/school/").content.decode()
    assert f'<a href="/leaderboards/classrooms/{world.room1.id}/">Room 1</a>' in page
    assert '<td>50% <span class="muted">(1)</span></td>' in page
    assert page.index("Room 1") < page.index("Room 2")
    login(world.vera)  # a governor: the figures, no link to children's names
    response = client.get(f"/leaderboards/school/?school={world.a1.id}")
    assert response.status_code == 200
    assert "/leaderboards/classrooms/" not in response.content.decode()


@pytest.mark.parametrize(
    "person,role,query,status",
    [
        ("tom", Role.TEACHER, "", 200),
        ("sam", Role.STAFF, "", 200),
        ("priya", Role.SCHOOL_ADMIN, "?school=a2", 404),
        ("dana", Role.DISTRICT_ADMIN, "?school=a2", 200),
        ("dana", Role.DISTRICT_ADMIN, "?school=b1", 404),
        ("dana", Role.DISTRICT_ADMIN, "?school=x", 404),
        ("hank", Role.DISTRICT_ADMIN, "?school=a1", 404),
        ("ana", Role.GUARDIAN, "", 404),
        ("ana", Role.GUARDIAN, "?school=a1", 404),
    ],
)
def test_who_reaches_a_school_leaderboard(world, client, login, person, role, query, status):
    for key in ("a1", "a2", "b1"):
        query = query.replace(f"={key}", f"={world.schools[key].id}")
    login(world.people[person], role=role)
    assert client.get(f"/leaderboards/school/{query}").status_code == status


def test_a_district_admin_without_a_school_goes_to_the_district_board(world, client, login):
    login(world.dana)
    response = client.get("/leaderboards/school/")
    assert (response.status_code, response["Location"]) == (302, "/leaderboards/district/")


def test_the_district_page(world, client, login):
    submit(world.ana, world.leo, task_for(world, world.room7))
    login(world.dana)
    page = client.get("/leaderboards/district/").content.decode()
    assert page.index("Lakeside Middle") < page.index("Lakeside Elementary")
    assert f'href="/leaderboards/school/?school={world.a2.id}"' in page
    assert "Hillcrest" not in page
    login(world.quinn)  # a principal sees the district's figures, their school marked
    page = client.get("/leaderboards/district/").content.decode()
    assert '<tr aria-current="true"><td>1</td>' in page and "?school=" not in page
    login(world.ana, role=Role.GUARDIAN)
    assert client.get("/leaderboards/district/").status_code == 404


def test_a_school_admin_chooses_how_names_show(world, client, login):
    submit(world.ana, world.mia, quiz_for(world))
    do_set_leaderboard_choice(world.mia, nickname="Owl", is_on_leaderboard=True, actor=Actor(None))
    login(world.priya)
    response = client.post(
        "/leaderboards/school/", {"name_style": "nickname", "is_leaderboard_shown": "on"}
    )
    assert (response.status_code, response["Location"]) == (302, "/leaderboards/school/")
    settings = SchoolActivitySettings.objects.get(school=world.a1)
    assert (settings.leaderboard_name_style, settings.is_leaderboard_shown) == ("nickname", True)
    assert AuditEvent.objects.get(action="leaderboard.settings").actor == world.priya
    assert "<td>Owl</td>" in client.get(classroom_url(world)).content.decode()

    client.post("/leaderboards/school/", {"name_style": "first_initial"})  # box unticked
    page = client.get(classroom_url(world)).content.decode()
    assert "Families do not see leaderboards at this school." in page
    assert "<td>Mia A.</td>" in page


@pytest.mark.parametrize(
    "person,role,query,status",
    [
        ("tom", Role.TEACHER, "", 403),
        ("sam", Role.STAFF, "", 403),
        ("vera", Role.VIEWER, "?school=a1", 403),
        ("quinn", Role.SCHOOL_ADMIN, "?school=a1", 404),
        ("hank", Role.DISTRICT_ADMIN, "?school=a1", 404),
    ],
)
def test_others_cannot_change_a_schools_settings(world, client, login, person, role, query, status):
    login(world.people[person], role=role)
    before = row_counts()
    url = "/leaderboards/school/" + query.replace("=a1", f"={world.a1.id}")
    assert client.post(url, {"name_style": "nickname"}).status_code == status
    assert row_counts() == before


def test_a_district_admin_sets_a_schools_choice(world, client, login):
    login(world.dana)
    response = client.post(
        "/leaderboards/school/", {"school": world.a2.id, "name_style": "nickname"}
    )
    assert response["Location"] == f"/leaderboards/school/?school={world.a2.id}"
    assert SchoolActivitySettings.objects.get(school=world.a2).is_leaderboard_shown is False


def _count(client, url) -> int:
    client.get(url)  # first-use caches of this process
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_leaderboard_pages_take_the_same_queries_as_they_grow(world, client, login):
    from tenants.actions import do_create_classroom
    from tenants.models import SchoolYear

    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz)
    login(world.dana)
    urls = [classroom_url(world), f"/leaderboards/school/?school={world.a1.id}"]
    urls.append("/leaderboards/district/")
    small = [_count(client, url) for url in urls]
    year = SchoolYear.objects.get(district=world.lakeside, is_current=True)
    for n in range(5):
        parent, child = family(world, f"Kid{n}", "More")
        submit(parent, child, quiz)
        room = do_create_classroom(world.a1, school_year=year, name=f"R{n}", actor=Actor(None))
        other_parent, other = family(world, f"Other{n}", "More", room)
        submit(other_parent, other, task_for(world, room))
    assert [_count(client, url) for url in urls] == small

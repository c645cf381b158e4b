"""The leaderboards API: a classroom, a school, the district; exact rows, who reaches which."""

import pytest

from tenants.models import Role
from tests.activities.helpers import quiz_for
from tests.activities.test_review import submit

pytestmark = pytest.mark.django_db


def test_a_classroom_leaderboard(world, client, login):
    submit(world.ana, world.mia, quiz_for(world))
    login(world.tom)
    response = client.get(f"/api/v1/leaderboards/classrooms/{world.room1.id}/")
    assert response.json() == [{"rank": 1, "display_name": "Mia A.", "completions": 1}]


@pytest.mark.parametrize(
    "person,role,status",
    [
        ("priya", Role.SCHOOL_ADMIN, 200),
        ("dana", Role.DISTRICT_ADMIN, 200),
        ("tina", Role.TEACHER, 404),
        ("vera", Role.VIEWER, 404),
        ("ana", Role.GUARDIAN, 404),
        ("hank", Role.DISTRICT_ADMIN, 404),
    ],
)
def test_who_reaches_a_classroom_leaderboard(world, client, login, person, role, status):
    login(world.people[person], role=role)
    assert client.get(f"/api/v1/leaderboards/classrooms/{world.room1.id}/").status_code == status


def test_school_and_district_leaderboards(world, client, login):
    submit(world.ana, world.mia, quiz_for(world))
    login(world.priya)
    rows = client.get("/api/v1/leaderboards/school/").json()
    assert rows == [
        {
            "rank": 1,
            "id": world.room1.id,
            "name": "Room 1",
            "enrolled": 2,
            "active_this_week": 1,
            "active_this_year": 1,
            "week_percent": 50,
            "year_percent": 50,
        },
        {
            "rank": 2,
            "id": world.room2.id,
            "name": "Room 2",
            "enrolled": 1,
            "active_this_week": 0,
            "active_this_year": 0,
            "week_percent": 0,
            "year_percent": 0,
        },
    ]
    assert client.get(f"/api/v1/leaderboards/school/?school={world.a2.id}").status_code == 404
    district = client.get("/api/v1/leaderboards/district/").json()
    assert [(r["rank"], r["name"], r["week_percent"]) for r in district] == [
        (1, "Lakeside Elementary", 33),
        (2, "Lakeside Middle", 0),
    ]


def test_a_district_admin_names_the_school(world, client, login):
    login(world.dana)
    assert client.get("/api/v1/leaderboards/school/").status_code == 404
    response = client.get(f"/api/v1/leaderboards/school/?school={world.a2.id}")
    assert [r["name"] for r in response.json()] == ["Room 7"]
    assert client.get(f"/api/v1/leaderboards/school/?school={world.b1.id}").status_code == 404
    assert client.get("/api/v1/leaderboards/school/?school=x").status_code == 400


def test_families_use_the_family_pages(world, client, login):
    login(world.ana, role=Role.GUARDIAN)
    assert client.get("/api/v1/leaderboards/district/").status_code == 404
    assert client.get("/api/v1/leaderboards/school/").status_code == 404

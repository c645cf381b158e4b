"""The guardian home page (/family/) runs a fixed number of queries, however big the family.

`manage.py bench --only feed` reports the same count as its feed_queries metric.
"""

from django.core.cache import cache

from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from tenants.actions import do_add_membership, do_create_classroom, do_create_user
from tenants.models import Role, SchoolYear
from tests.world import SYSTEM

# Nothing cached: session, user, the user's roles (scopes), children with their schools, current
# enrollments with classrooms, the classrooms' teachers.
FAMILY_HOME_QUERIES = 6
# Scopes and family home served from the versioned cache: session and user only.
FAMILY_HOME_QUERIES_WARM = 2


def _add_child_in_a_new_classroom(world, number: int, school) -> None:
    year = SchoolYear.objects.get(district_id=school.district_id, is_current=True)
    classroom = do_create_classroom(
        school, school_year=year, name=f"Room X{number}", grade_level="05", actor=SYSTEM
    )
    teacher = do_create_user(
        email=f"teacher-x{number}@example.org",
        first_name="Teacher",
        last_name=f"X{number}",
        actor=SYSTEM,
    )
    do_add_membership(
        teacher, role=Role.TEACHER, district=school.district, classroom=classroom, actor=SYSTEM
    )
    child = do_create_child(school, first_name=f"Kid{number}", last_name="Alvarez", actor=SYSTEM)
    do_enroll_child(child, classroom, actor=SYSTEM)
    do_link_guardian(child, world.ana, actor=SYSTEM)


def test_family_home_runs_as_many_queries_for_seven_children_as_for_two(
    world, login, assert_num_queries
):
    client = login(world.ana, role=Role.GUARDIAN)
    cache.clear()
    with assert_num_queries(FAMILY_HOME_QUERIES):
        response = client.get("/family/")
    assert response.status_code == 200
    assert [card.child.first_name for card in response.context["family"].children] == [
        "Leo",
        "Mia",
    ]

    for number in range(5):
        _add_child_in_a_new_classroom(world, number, world.a1 if number % 2 else world.a2)

    cache.clear()
    with assert_num_queries(FAMILY_HOME_QUERIES):
        response = client.get("/family/")
    assert response.status_code == 200
    with assert_num_queries(FAMILY_HOME_QUERIES_WARM):
        assert client.get("/family/").status_code == 200
    cards = {card.child.first_name: card for card in response.context["family"].children}
    assert sorted(cards) == ["Kid0", "Kid1", "Kid2", "Kid3", "Kid4", "Leo", "Mia"]
    assert [c.name for c in cards["Kid3"].classrooms] == ["Room X3"]
    assert [t.get_full_name() for t in cards["Kid3"].teachers] == ["Teacher X3"]
    assert [t.get_full_name() for t in cards["Mia"].teachers] == ["Tom Turner"]
    assert "Teacher X3" in response.text


def test_family_home_cache_follows_changes(world, login):
    """A cached family page changes as soon as the family, or a classroom's teachers, change."""
    client = login(world.ana, role=Role.GUARDIAN)
    assert "Tom Turner" in client.get("/family/").text
    _add_child_in_a_new_classroom(world, 9, world.a1)
    assert "Kid9" in client.get("/family/").text  # family changed: rebuilt
    newcomer = do_create_user(
        email="nia@example.org", first_name="Nia", last_name="Nolan", actor=SYSTEM
    )
    do_add_membership(
        newcomer, role=Role.TEACHER, district=world.lakeside, classroom=world.room1, actor=SYSTEM
    )
    assert "Nia Nolan" in client.get("/family/").text  # the classroom's teachers changed
    from guardians.actions import do_set_guardian_access
    from guardians.models import GuardianLink

    link = GuardianLink.objects.get(guardian=world.ana, child=world.mia)
    do_set_guardian_access(link, has_access=False, actor=SYSTEM)
    assert "Mia" not in client.get("/family/").text

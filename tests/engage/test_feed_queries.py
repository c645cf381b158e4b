"""The guardian home page (/family/) runs a fixed number of queries, however big the family.

`manage.py bench --only feed` reports the same count as its feed_queries metric.
"""

import re

from django.conf import settings
from django.core.cache import cache

from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from guardians.models import Child
from tenants.actions import do_add_membership, do_create_classroom, do_create_user
from tenants.models import Role, SchoolYear
from tests.world import SYSTEM

# Nothing cached: session, user, the user's roles (scopes), children with their schools, current
# enrollments with classrooms, the classrooms' teachers, the guardian's groups, the activities
# aimed at the children, the children's submissions to open activities.
FAMILY_HOME_QUERIES = 9
# The user with their scopes, and the family's cards, served from the versioned cache: only the
# session, which the cached_db engine (with Redis) reads from the cache too.
FAMILY_HOME_QUERIES_WARM = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1


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
    assert _child_names(response) == ["Leo Alvarez", "Mia Alvarez"]

    for number in range(5):
        _add_child_in_a_new_classroom(world, number, world.a1 if number % 2 else world.a2)

    cache.clear()
    with assert_num_queries(FAMILY_HOME_QUERIES):
        response = client.get("/family/")
    assert response.status_code == 200
    with assert_num_queries(FAMILY_HOME_QUERIES_WARM):
        warm = client.get("/family/")
    assert warm.status_code == 200 and warm.text == response.text.replace(
        _nonce(response), _nonce(warm)
    ).replace(_csrf(response), _csrf(warm))
    assert _child_names(response) == [
        "Kid0 Alvarez",
        "Kid1 Alvarez",
        "Kid2 Alvarez",
        "Kid3 Alvarez",
        "Kid4 Alvarez",
        "Leo Alvarez",
        "Mia Alvarez",
    ]
    kid3 = Child.objects.get(first_name="Kid3")
    assert (
        f'<h2 id="child-{kid3.id}"><a href="/family/children/{kid3.id}/">Kid3 Alvarez</a></h2>\n'
        "    <p>Lakeside Elementary · Room X3</p>\n"
        '    <p class="muted">Maestros: Teacher X3</p>'
    ) in response.text
    assert "<p>Lakeside Elementary · Room 1</p>\n" in response.text
    assert '<p class="muted">Maestros: Tom Turner</p>' in response.text


def _child_names(response) -> list[str]:
    return re.findall(
        r'<h2 id="child-\d+"><a href="/family/children/\d+/">([^<]+)</a></h2>', response.text
    )


def _nonce(response) -> str:
    return re.search(r'nonce="([^"]+)"', response.text).group(1)


def _csrf(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)


def test_family_home_lists_what_each_child_has_to_do(world, login):
    """Real feed content: a published quiz shows on Mia's card until it is done."""
    from activities.actions.submissions import do_submit
    from activities.queries.family import access_child_activity
    from privacy.audit import Actor
    from tests.activities.helpers import family_scope, quiz_for

    quiz = quiz_for(world)
    client = login(world.ana, role=Role.GUARDIAN)
    page = client.get("/family/").text
    link = f'href="/family/children/{world.mia.id}/activities/{quiz.id}/">Counting to ten</a>'
    assert link in page and page.count("Counting to ten") == 1  # Leo is in another classroom
    scope = family_scope(world.ana)
    child, activity = access_child_activity(scope, world.mia.id, quiz.id)
    answers = {str(q.id): 1 if q.kind == "choice" else "7" for q in activity.questions.all()}
    do_submit(scope, child, activity, answers=answers, actor=Actor(user=world.ana))
    assert "Counting to ten" not in client.get("/family/").text  # done: the cache followed


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


def test_a_newly_published_activity_shows_at_once(world, login):
    from activities.actions.authoring import do_close_activity, do_publish_activity
    from privacy.audit import Actor
    from tests.activities.helpers import quiz_for

    draft = quiz_for(world, publish=False)
    client = login(world.ana, role=Role.GUARDIAN)
    assert "Counting to ten" not in client.get("/family/").text  # cached now
    do_publish_activity(draft, actor=Actor(user=world.tom))
    assert "Counting to ten" in client.get("/family/").text
    do_close_activity(draft, actor=Actor(user=world.tom))
    assert "Counting to ten" not in client.get("/family/").text

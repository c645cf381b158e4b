"""A submission changes one card of the family home: the page is rebuilt from its cached layout
with one query (what is done), and only for the families of that child."""

from django.core.cache import cache

from activities.actions.submissions import do_submit
from activities.queries.family import access_child_activity
from guardians.queries import get_family_home_html
from privacy.audit import Actor
from tenants.models import Role
from tests.activities.helpers import family_scope, quiz_for
from tests.engage.test_feed_queries import FAMILY_HOME_QUERIES, FAMILY_HOME_QUERIES_WARM


def submit(guardian, child, activity):
    scope = family_scope(guardian)
    child, activity = access_child_activity(scope, child.id, activity.id)
    answers = {str(q.id): (1 if q.kind == "choice" else "7") for q in activity.questions.all()}
    return do_submit(scope, child, activity, answers=answers, actor=Actor(user=guardian))


def test_after_a_submission_the_home_is_rebuilt_from_its_layout_with_one_query(
    world, login, assert_num_queries
):
    counting, second = quiz_for(world), quiz_for(world)  # two quizzes for Room 1 (Mia)
    client = login(world.ana, role=Role.GUARDIAN)
    cache.clear()
    with assert_num_queries(FAMILY_HOME_QUERIES):
        before = client.get("/family/").text
    link = f'href="/family/children/{world.mia.id}/activities/{{}}/"'
    assert link.format(counting.id) in before and link.format(second.id) in before

    submit(world.ana, world.mia, counting)

    # The layout (children, classrooms, teachers, what reaches them) is cached: only the work.
    with assert_num_queries(FAMILY_HOME_QUERIES_WARM + 1):
        after = client.get("/family/").text
    assert link.format(counting.id) not in after and link.format(second.id) in after
    with assert_num_queries(FAMILY_HOME_QUERIES_WARM):
        assert client.get("/family/").text.count(link.format(second.id)) == 1


def test_a_submission_leaves_other_families_homes_cached(world, assert_num_queries):
    counting = quiz_for(world)  # Room 1: Mia (Ana's) and Noah (Ben's)
    rendered = []

    def render(family):
        rendered.append([card.child.first_name for card in family.children])
        return " ".join(str(a.id) for card in family.children for a in card.open_activities)

    ben = family_scope(world.ben)
    assert get_family_home_html(ben, render) == str(counting.id)
    submit(world.ana, world.mia, counting)
    with assert_num_queries(0):
        assert get_family_home_html(ben, render) == str(counting.id)
    assert rendered == [["Noah"]]
    # Ben's own submission empties his card (his child's work changed).
    submit(world.ben, world.noah, counting)
    assert get_family_home_html(ben, render) == ""
    assert rendered == [["Noah"], ["Noah"]]

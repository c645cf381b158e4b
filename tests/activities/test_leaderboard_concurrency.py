"""Counts stay right under concurrent submissions: real threads, each on its own database
connection, submitting at the same moment for different children, for one child (different
activities, and the same activity twice), and two reviewers deciding one submission at once.

On PostgreSQL the transactions truly overlap (row locks and the unique constraints decide); on
SQLite (IMMEDIATE transactions) they queue for the one writer, which the test tolerates with the
same exact assertions.
"""

import threading

import pytest
from django.db import connections

from activities.actions.review import ReviewError, do_approve_submission
from activities.models import BadgeAward, ChildProgress, Submission
from activities.queries import staff
from activities.queries.leaderboards import LeaderboardRow, get_classroom_leaderboard
from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from privacy.audit import Actor
from tenants.actions import do_create_user
from tests.activities.helpers import quiz_for, scope_of
from tests.activities.test_review import submit
from tests.world import build_world

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ACTIVITIES = 5
FAMILIES = 6


def run_together(jobs) -> list:
    """Run each job in its own thread, released at once; returns [(result, error)] in order."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = (job(), None)
        except Exception as error:
            results[index] = (None, error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a submitting thread hung"
    return results


@pytest.fixture
def world_with_families():
    world = build_world()
    system = Actor.system()
    families = []
    for n in range(FAMILIES):
        parent = do_create_user(email=f"c{n}@example.org", actor=system)
        child = do_create_child(world.a1, first_name=f"Kid{n}", last_name=f"Z{n}", actor=system)
        do_enroll_child(child, world.room1, actor=system)
        do_link_guardian(child, parent, actor=system)
        families.append((parent, child))
    activities = [quiz_for(world) for _ in range(ACTIVITIES)]
    return world, families, activities


def test_concurrent_submissions_add_up_exactly(world_with_families):
    world, families, activities = world_with_families
    jobs = []
    # Every family submits every activity, each submission in its own thread, all at once:
    # for one child, five activities at the same moment.
    for parent, child in families:
        for activity in activities:
            jobs.append(lambda p=parent, c=child, a=activity: submit(p, c, a))
    # And Mia's mother sends the same activity twice at the same moment.
    jobs += [lambda: submit(world.ana, world.mia, activities[0])] * 2

    results = run_together(jobs)

    assert [error for _, error in results if error] == []
    assert Submission.objects.filter(child=world.mia).count() == 1
    for _parent, child in families:
        assert Submission.objects.filter(child=child).count() == ACTIVITIES
        progress = ChildProgress.objects.get(child=child)
        assert (progress.completions, progress.points, progress.streak_weeks) == (
            ACTIVITIES,
            10 * ACTIVITIES,
            1,
        )
        assert sorted(BadgeAward.objects.filter(child=child).values_list("kind", flat=True)) == [
            "first",
            "five",
        ]
    mia = ChildProgress.objects.get(child=world.mia)
    assert (mia.completions, mia.points) == (1, 10)
    assert list(BadgeAward.objects.filter(child=world.mia).values_list("kind", flat=True)) == [
        "first"
    ]
    rows = get_classroom_leaderboard(world.room1)
    assert rows == [
        *(LeaderboardRow(1, f"Kid{n} Z.", ACTIVITIES) for n in range(FAMILIES)),
        LeaderboardRow(FAMILIES + 1, "Mia A.", 1),
    ]


def test_two_reviewers_deciding_at_once_leave_one_decision(world_with_families):
    world, _families, activities = world_with_families
    submission = submit(world.ana, world.mia, activities[0])

    def approve(person):
        scope = scope_of(person)
        found = staff.access_submission(scope, submission.id)
        return do_approve_submission(scope, found, feedback=person.first_name, actor=Actor(person))

    results = run_together([lambda: approve(world.tom), lambda: approve(world.priya)])

    errors = [error for _, error in results if error]
    assert len(errors) == 1 and isinstance(errors[0], ReviewError), errors
    decided = Submission.objects.get(id=submission.id)
    winner = next(result for result, error in results if error is None)
    assert (decided.status, decided.reviewed_by_id, decided.feedback) == (
        "approved",
        winner.reviewed_by_id,
        winner.feedback,
    )
    assert decided.feedback in ("Tom", "Priya")

"""A guardian's submission runs a fixed number of statements (the load benchmark's hot path):
the first of a child also creates their progress, badge and dashboard rows; a later one in the
same week finds every row there and only moves counters."""

from activities.actions.submissions import do_submit
from activities.models import ChildProgress, Submission
from activities.queries.family import access_child_activity
from dashboards.models import FamilyPeriod, PeriodStats
from privacy.audit import Actor
from tests.activities.helpers import family_scope, quiz_for

# Savepoint; the submission locked (none) and inserted; progress looked up, created, locked and
# counted; the first badge looked up and awarded; the family's period rows looked up, their
# language read, created, locked and counted; the school's stats rows the same (without the
# language); the family's last activity (updated, else created); the activity log; release.
FIRST_SUBMISSION_QUERIES = 22
# Every row is there: savepoint; the submission locked and inserted; progress locked and
# counted; period rows locked and counted; stats rows locked and counted; last activity; the
# activity log; release. No guardian is looked up (the family home depends on the child's work).
NEXT_SUBMISSION_QUERIES = 12


def test_a_submission_runs_a_fixed_number_of_statements(world, assert_num_queries):
    first, second = quiz_for(world), quiz_for(world)
    scope = family_scope(world.ana)
    mia, activity = access_child_activity(scope, world.mia.id, first.id)
    answers = {str(q.id): (1 if q.kind == "choice" else "7") for q in activity.questions.all()}
    with assert_num_queries(FIRST_SUBMISSION_QUERIES):
        do_submit(scope, mia, activity, answers=answers, actor=Actor(user=world.ana))
    mia, activity = access_child_activity(scope, world.mia.id, second.id)
    answers = {str(q.id): (1 if q.kind == "choice" else "7") for q in activity.questions.all()}
    with assert_num_queries(NEXT_SUBMISSION_QUERIES):
        do_submit(scope, mia, activity, answers=answers, actor=Actor(user=world.ana))

    assert Submission.objects.filter(child=world.mia).count() == 2
    assert ChildProgress.objects.get(child=world.mia).completions == 2
    assert (
        sorted(FamilyPeriod.objects.filter(child=world.mia).values_list("completions", "language"))
        == [(2, "es")] * 3
    )
    counted = PeriodStats.objects.filter(school=world.a1, dim="all").values_list(
        "completions", "families_completed"
    )
    assert sorted(counted) == [(2, 1)] * 3

"""Who sees what (PROMISES V1-V6), as query-level tests: families see their own children's
activities and submissions only; teachers their classrooms; school admins their school; a district
admin only a school they opened."""

import pytest
from django.http import Http404

from activities.actions.submissions import do_submit
from activities.queries import family, staff
from privacy.audit import Actor
from tests.activities.helpers import family_scope, quiz_for, scope_of, task_for

pytestmark = pytest.mark.django_db


def answer(world, guardian, child, activity):
    scope = family_scope(guardian)
    child, activity = family.access_child_activity(scope, child.id, activity.id)
    return do_submit(
        scope,
        child,
        activity,
        answers={str(q.id): (1 if q.kind == "choice" else "7") for q in activity.questions.all()},
        actor=Actor(user=guardian),
    )


def test_V2_a_classroom_activity_reaches_only_that_classrooms_children(world):
    quiz = quiz_for(world)
    ana = family_scope(world.ana)
    feed = family.get_child_feed(ana, world.mia)
    assert [item.activity.id for item in feed.open] == [quiz.id]
    assert family.get_child_feed(ana, world.leo).open == []  # Leo is in Room 7
    assert family.get_child_feed(family_scope(world.tess), world.ivy).open == []  # Room 2


def test_a_school_activity_reaches_every_child_of_the_school(world):
    task = task_for(world)
    assert [
        i.activity.id for i in family.get_child_feed(family_scope(world.tess), world.ivy).open
    ] == [task.id]
    assert family.get_child_feed(family_scope(world.ana), world.leo).open == []  # other school


def test_drafts_and_templates_never_reach_families(world):
    quiz_for(world, publish=False)
    assert family.get_child_feed(family_scope(world.ana), world.mia).open == []


def test_V6_another_familys_child_or_an_unreached_activity_is_404(world):
    quiz = quiz_for(world)
    with pytest.raises(Http404):
        family.access_child_activity(family_scope(world.ben), world.mia.id, quiz.id)
    with pytest.raises(Http404):
        family.access_child_activity(family_scope(world.ana), world.leo.id, quiz.id)
    with pytest.raises(Http404):  # "no access" to Mia: nothing of her
        family.access_child_activity(family_scope(world.cal), world.mia.id, quiz.id)


def test_V3_guardians_never_reach_another_familys_photo(world):
    from tests.activities.helpers import jpeg_upload

    quiz = quiz_for(world)
    ana = family_scope(world.ana)
    child, activity = family.access_child_activity(ana, world.mia.id, quiz.id)
    submission = do_submit(
        ana,
        child,
        activity,
        answers={str(q.id): 1 if q.kind == "choice" else "7" for q in activity.questions.all()},
        photos=[jpeg_upload()],
        actor=Actor(user=world.ana),
    )
    photo = submission.photos.get()
    assert family.access_family_photo(ana, photo.id) == photo
    for other in (world.ben, world.cal, world.dee):
        with pytest.raises(Http404):
            family.access_family_photo(family_scope(other), photo.id)


def test_V5_staff_see_their_own_classrooms_and_school(world):
    quiz = quiz_for(world)
    mia = answer(world, world.ana, world.mia, quiz)
    noah = answer(world, world.ben, world.noah, quiz)
    ids = {mia.id, noah.id}
    assert set(staff.list_review_queue(scope_of(world.tom)).values_list("id", flat=True)) == ids
    assert list(staff.list_review_queue(scope_of(world.tina))) == []  # Room 2's teacher
    assert list(staff.list_review_queue(scope_of(world.mo))) == []  # another school
    assert set(staff.list_review_queue(scope_of(world.priya)).values_list("id", flat=True)) == ids
    assert list(staff.list_review_queue(scope_of(world.quinn))) == []
    assert list(staff.list_review_queue(scope_of(world.hank))) == []


def test_a_district_admin_sees_submissions_only_of_an_opened_school(world):
    quiz = quiz_for(world)
    submission = answer(world, world.ana, world.mia, quiz)
    dana = scope_of(world.dana)
    assert list(staff.list_review_queue(dana)) == []
    with pytest.raises(Http404):
        staff.access_submission(dana, submission.id)
    opened = frozenset({world.a1.id})
    assert staff.access_submission(dana, submission.id, opened_school_ids=opened) == submission
    other = frozenset({world.a2.id})
    with pytest.raises(Http404):
        staff.access_submission(dana, submission.id, opened_school_ids=other)

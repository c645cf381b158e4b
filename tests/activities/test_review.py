"""Reviewing: approve, return with feedback, teacher's badges; the family told in their language;
a decision taken once; the review items (answers right or wrong) in a fixed number of queries."""

import pytest
from django.db.models import Q

from activities.actions.review import (
    ReviewError,
    do_approve_submission,
    do_award_badge,
    do_return_submission,
)
from activities.actions.submissions import do_submit
from activities.models import ActivityEvent, BadgeAward, Submission
from activities.queries import family, staff
from activities.queries.review import (
    AnswerLine,
    access_submission_to_review,
    build_review_items,
    list_submissions_to_review,
)
from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from notifications.models import Kind, Message
from privacy.audit import Actor
from privacy.models import AuditEvent
from tenants.actions import do_create_user
from tests.activities.helpers import family_scope, jpeg_upload, quiz_for, scope_of

pytestmark = pytest.mark.django_db


def submit(guardian, child, activity, *, choice=1, short="7", **extra) -> Submission:
    scope = family_scope(guardian)
    child, activity = family.access_child_activity(scope, child.id, activity.id)
    answers = {
        str(q.id): (choice if q.kind == "choice" else short) for q in activity.questions.all()
    }
    return do_submit(scope, child, activity, answers=answers, actor=Actor(user=guardian), **extra)


def reviewable(world, submission, person=None):
    scope = scope_of(person or world.tom)
    return scope, staff.access_submission(scope, submission.id)


def feedback():
    return Message.objects.filter(kind=Kind.FEEDBACK)


def written() -> tuple[int, int, int, int]:
    return (
        ActivityEvent.objects.count(),
        AuditEvent.objects.count(),
        feedback().count(),
        BadgeAward.objects.count(),
    )


def test_approving_records_the_decision_the_log_the_audit_and_tells_the_family(world):
    quiz = quiz_for(world)
    submission = submit(world.ana, world.mia, quiz)
    scope, found = reviewable(world, submission)

    done = do_approve_submission(scope, found, feedback="  Well done!  ", actor=Actor(world.tom))

    submission.refresh_from_db()
    assert (submission.status, submission.feedback) == ("approved", "Well done!")
    assert (submission.reviewed_by, done.reviewed_at) == (world.tom, submission.reviewed_at)
    assert submission.reviewed_at is not None
    event = ActivityEvent.objects.get(kind=ActivityEvent.Kind.APPROVED)
    assert (event.child, event.activity, event.classroom, event.school, event.actor) == (
        world.mia,
        quiz,
        world.room1,
        world.a1,
        world.tom,
    )
    audit = AuditEvent.objects.get(action="submission.approved")
    assert (audit.actor, audit.target_id, audit.school_id) == (
        world.tom,
        str(submission.id),
        world.a1.id,
    )
    assert audit.metadata == {"child_id": world.mia.id, "has_feedback": True}
    message = feedback().get()
    assert (message.kind, message.school, message.author) == (Kind.FEEDBACK, world.a1, world.tom)
    # Mia's guardians with access: Ana (Spanish). Cal, "no access", is never told.
    assert message.audience == {"type": "guardians", "ids": [world.ana.id]}
    assert (message.source_type, message.source_id) == ("submission", str(submission.id))
    assert set(message.content) == {"en", "es"} and message.default_language == "en"
    assert message.content["en"] == {
        "subject": "Mia's work was approved",
        "body": "Tom Turner approved Mia's “Counting to ten”.\n\nWell done!\n\n"
        "See it on Engage: http://127.0.0.1:8000/family/",
    }


def test_the_family_reads_the_activity_title_in_their_language(world):
    quiz = quiz_for(world, translations={"es": {"title": "Contar hasta diez"}})
    scope, found = reviewable(world, submit(world.ana, world.mia, quiz))
    do_approve_submission(scope, found, actor=Actor(world.tom))
    content = feedback().get().content
    assert "“Contar hasta diez”" in content["es"]["body"]
    assert "“Counting to ten”" in content["en"]["body"]


def test_returning_needs_feedback_and_sends_it_back_to_the_family(world):
    quiz = quiz_for(world)
    scope, found = reviewable(world, submit(world.ben, world.noah, quiz))
    before = written()
    with pytest.raises(ReviewError, match="Write a few words of feedback"):
        do_return_submission(scope, found, feedback="   ", actor=Actor(world.tom))
    assert written() == before

    do_return_submission(scope, found, feedback="Try question 1 again.", actor=Actor(world.tom))

    found.refresh_from_db()
    assert (found.status, found.feedback, found.reviewed_by) == (
        "returned",
        "Try question 1 again.",
        world.tom,
    )
    assert ActivityEvent.objects.filter(kind="returned", child=world.noah).count() == 1
    assert AuditEvent.objects.filter(action="submission.returned").count() == 1
    message = feedback().get()
    assert message.audience == {"type": "guardians", "ids": [world.ben.id]}
    assert message.content["en"] == {
        "subject": "Noah's work needs another look",
        "body": "Tom Turner sent back Noah's “Counting to ten” with feedback. You can change it "
        "and send it again.\n\nTry question 1 again.\n\n"
        "See it on Engage: http://127.0.0.1:8000/family/",
    }


def test_a_returned_submission_sent_again_waits_for_review_again(world):
    quiz = quiz_for(world)
    scope, found = reviewable(world, submit(world.ben, world.noah, quiz, choice=0))
    do_return_submission(scope, found, feedback="Look again.", actor=Actor(world.tom))
    again = submit(world.ben, world.noah, quiz, choice=1)
    assert (again.id, again.status) == (found.id, "submitted")
    do_approve_submission(scope, staff.access_submission(scope, found.id), actor=Actor(world.tom))
    assert Submission.objects.get(id=found.id).status == "approved"


@pytest.mark.parametrize("first", ["approve", "return"])
def test_deciding_an_already_decided_submission_is_refused_and_writes_nothing(world, first):
    quiz = quiz_for(world)
    submission = submit(world.ana, world.mia, quiz)
    scope, found = reviewable(world, submission)
    if first == "approve":
        do_approve_submission(scope, found, actor=Actor(world.tom))
    else:
        do_return_submission(scope, found, feedback="Again", actor=Actor(world.tom))
    stale = staff.access_submission(scope_of(world.priya), submission.id)
    stale.status = "submitted"  # what a second reviewer's page still showed
    before, row = written(), Submission.objects.values().get(id=submission.id)

    with pytest.raises(ReviewError, match="already been reviewed"):
        do_approve_submission(scope_of(world.priya), stale, actor=Actor(world.priya))
    with pytest.raises(ReviewError, match="already been reviewed"):
        do_return_submission(
            scope_of(world.priya),
            stale,
            feedback="No",
            badge_label="Star",
            actor=Actor(world.priya),
        )
    assert written() == before
    assert Submission.objects.values().get(id=submission.id) == row


def test_a_teachers_badge_names_what_it_is_for(world):
    quiz = quiz_for(world)
    scope, found = reviewable(world, submit(world.ana, world.mia, quiz))
    with pytest.raises(ReviewError, match="Say what the badge is for"):
        do_award_badge(scope, found, label=" ", actor=Actor(world.tom))
    with pytest.raises(ReviewError, match="at most 80"):
        do_award_badge(scope, found, label="x" * 81, actor=Actor(world.tom))

    award = do_award_badge(scope, found, label="Great counting!", actor=Actor(world.tom))

    assert (award.kind, award.label, award.child, award.submission, award.awarded_by) == (
        BadgeAward.Kind.TEACHER,
        "Great counting!",
        world.mia,
        found,
        world.tom,
    )
    assert (award.district, award.school) == (world.lakeside, world.a1)
    assert ActivityEvent.objects.filter(kind="badge", child=world.mia).count() == 1
    assert AuditEvent.objects.get(action="badge.awarded").metadata == {
        "child_id": world.mia.id,
        "submission_id": found.id,
    }
    assert feedback().get().content["en"]["body"] == (
        "Tom Turner gave Mia a badge: Great counting!\n\n"
        "See it on Engage: http://127.0.0.1:8000/family/"
    )
    # A second one for the same child is another award (milestones are the ones kept unique).
    do_award_badge(scope, found, label="Kind helper", actor=Actor(world.tom))
    assert BadgeAward.objects.filter(kind="teacher", child=world.mia).count() == 2


def test_approving_with_a_badge_tells_the_family_once(world):
    quiz = quiz_for(world)
    scope, found = reviewable(world, submit(world.ana, world.mia, quiz))
    do_approve_submission(scope, found, badge_label="Star counter", actor=Actor(world.tom))
    assert BadgeAward.objects.get(kind="teacher").label == "Star counter"
    assert sorted(ActivityEvent.objects.filter(child=world.mia).values_list("kind", flat=True)) == [
        "approved",
        "badge",
        "submitted",
    ]
    assert feedback().count() == 1
    assert feedback().get().content["en"]["body"] == (
        "Tom Turner approved Mia's “Counting to ten”.\n\n"
        "Tom Turner gave Mia a badge: Star counter\n\n"
        "See it on Engage: http://127.0.0.1:8000/family/"
    )


def test_nobody_is_told_when_no_guardian_with_access_is_linked(world):
    quiz = quiz_for(world)
    submission = submit(world.ana, world.mia, quiz)
    from guardians.models import GuardianLink

    GuardianLink.objects.filter(child=world.mia, guardian=world.ana).update(has_access=False)
    scope, found = reviewable(world, submission)
    do_approve_submission(scope, found, actor=Actor(world.tom))
    assert feedback().count() == 0
    assert Submission.objects.get(id=submission.id).status == "approved"


def test_a_school_admin_decides_for_any_classroom_of_their_school(world):
    quiz = quiz_for(world)
    scope, found = reviewable(world, submit(world.ben, world.noah, quiz), person=world.priya)
    do_approve_submission(scope, found, actor=Actor(world.priya))
    assert Submission.objects.get(id=found.id).reviewed_by == world.priya


# --- review items -------------------------------------------------------------------------------


def test_a_review_item_marks_multiple_choice_answers_right_or_wrong(world):
    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz, choice=1, short="Seven", text="We counted apples.")
    submit(world.ben, world.noah, quiz, choice=2, short="3", rating=4, comment="Fun!")
    items = build_review_items(list_submissions_to_review(scope_of(world.tom)))
    assert [(i.child_first_name, i.activity_title) for i in items] == [
        ("Mia", "Counting to ten"),
        ("Noah", "Counting to ten"),
    ]
    assert items[0].answers == [
        AnswerLine("2 + 3?", "5", True),
        AnswerLine("Your favourite number?", "Seven", None),
    ]
    assert items[1].answers == [
        AnswerLine("2 + 3?", "6", False),
        AnswerLine("Your favourite number?", "3", None),
    ]
    assert (items[0].submission.text, items[1].submission.rating) == ("We counted apples.", 4)
    assert (items[0].submission.score, items[1].submission.score) == (1, 0)


def test_the_review_list_by_status(world):
    quiz = quiz_for(world)
    mia = submit(world.ana, world.mia, quiz)
    noah = submit(world.ben, world.noah, quiz)
    scope = scope_of(world.tom)
    do_approve_submission(scope, staff.access_submission(scope, mia.id), actor=Actor(world.tom))
    assert [s.id for s in list_submissions_to_review(scope)] == [noah.id]
    assert [s.id for s in list_submissions_to_review(scope, status="approved")] == [mia.id]
    assert list(list_submissions_to_review(scope, status="returned")) == []


def test_review_items_take_three_queries_however_many_submissions(world, assert_num_queries):
    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz, photos=[jpeg_upload()])
    scope = scope_of(world.tom)
    with assert_num_queries(3):  # submissions with child and activity; photos; questions
        small = build_review_items(list_submissions_to_review(scope))
    _more_families(world, 6, quiz)
    with assert_num_queries(3):
        large = build_review_items(list_submissions_to_review(scope))
    assert (len(small), len(large)) == (1, 7)
    assert [len(i.photos) for i in large] == [1, 0, 0, 0, 0, 0, 0]


def test_a_single_review_item_is_404_outside_the_scope(world):
    from django.http import Http404

    quiz = quiz_for(world)
    submission = submit(world.ana, world.mia, quiz)
    assert access_submission_to_review(scope_of(world.priya), submission.id).id == submission.id
    for outsider in (world.tina, world.mo, world.quinn, world.hugo, world.hope, world.dana):
        with pytest.raises(Http404):
            access_submission_to_review(scope_of(outsider), submission.id)


def _more_families(world, count: int, activity) -> None:
    system = Actor.system()
    for n in range(count):
        parent = do_create_user(email=f"more{n}@example.org", first_name="More", actor=system)
        child = do_create_child(world.a1, first_name=f"Kid{n}", last_name="More", actor=system)
        do_enroll_child(child, world.room1, actor=system)
        do_link_guardian(child, parent, actor=system)
        submit(parent, child, activity, photos=[], short=str(n))


def test_nothing_here_reaches_another_district(world):
    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz)
    assert not Submission.objects.filter(~Q(district=world.lakeside)).exists()
    assert list(list_submissions_to_review(scope_of(world.hugo))) == []

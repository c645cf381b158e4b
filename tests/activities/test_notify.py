"""Families hear about activities (issue 5, item 1): a message when one is published (now or by
the beat at its scheduled time), a reminder before it is due to families who have not completed
it; each once, at the boundaries, through the notifications engine."""

import datetime

import pytest
import time_machine
from django.db import connection, transaction

from activities import notify, tasks
from activities.actions.authoring import (
    TargetSpec,
    do_close_activity,
    do_create_activity,
    do_publish_activity,
    do_publish_due_activities,
    do_schedule_activity,
)
from activities.actions.submissions import do_submit
from activities.models import Activity
from activities.queries import family
from notifications.models import Delivery, Kind, Message
from notifications.tasks import fan_out_message
from privacy.audit import Actor
from privacy.models import AuditEvent
from tests.activities.helpers import family_scope, quiz_for, scope_of, task_for
from tests.guardians.helpers import PHONES, give_phones, outbox_to

pytestmark = pytest.mark.django_db

# 09:00 in Chicago (Lakeside), outside families' quiet hours.
MORNING = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)
DUE = datetime.datetime(2026, 11, 26, 15, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
SECOND = datetime.timedelta(seconds=1)


def activity_messages(activity, kind=None):
    messages = Message.objects.filter(source_type="activity", source_id=str(activity.id))
    return list(messages.filter(kind=kind) if kind else messages)


def delivered_to(message):
    return sorted(
        Delivery.objects.filter(message=message).values_list(
            "recipient__first_name", "channel", "language"
        )
    )


def submit(world, guardian, child, activity):
    scope = family_scope(guardian)
    child, activity = family.access_child_activity(scope, child.id, activity.id)
    return do_submit(
        scope,
        child,
        activity,
        answers={str(q.id): (1 if q.kind == "choice" else "7") for q in activity.questions.all()},
        actor=Actor(user=guardian),
    )


# --- published: NEW_ACTIVITY ------------------------------------------------------------------


@time_machine.travel(MORNING, tick=False)
def test_publishing_tells_the_families_reached_once_in_their_language(
    world, django_capture_on_commit_callbacks
):
    give_phones(world)
    quiz = quiz_for(
        world,
        publish=False,
        due_at=DUE,
        translations={"es": {"title": "Contar hasta diez"}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        do_publish_activity(quiz, actor=Actor(user=world.tom))
    [message] = activity_messages(quiz)
    assert (message.kind, message.school_id, message.author_id, message.status) == (
        Kind.NEW_ACTIVITY,
        world.a1.id,
        world.tom.id,
        Message.Status.SENT,
    )
    # Room 1: Mia (Ana; Cal has "no access") and Noah (Ben).
    assert message.audience == {"type": "guardians", "ids": sorted([world.ana.id, world.ben.id])}
    assert message.channels == ["sms", "email"]
    assert message.content["en"] == {
        "subject": "New activity: Counting to ten",
        "body": "Lakeside Elementary has a new activity for your family: Counting to ten (due "
        "Nov. 26, 2026, 9 a.m.). Open it in Engage: http://127.0.0.1:8000/family/",
    }
    assert message.content["es"]["subject"].endswith("Contar hasta diez")
    assert "Contar hasta diez" in message.content["es"]["body"]
    assert delivered_to(message) == [
        ("Ana", "email", "es"),
        ("Ana", "sms", "es"),
        ("Ben", "email", "en"),
        ("Ben", "sms", "en"),
    ]
    assert len(outbox_to(PHONES["ben"])) == 1 and outbox_to(PHONES["cal"]) == []
    assert outbox_to(PHONES["ben"])[0].body.startswith("New activity: Counting to ten\n")


@time_machine.travel(MORNING, tick=False)
def test_publishing_again_after_closing_tells_nobody_twice(
    world, django_capture_on_commit_callbacks
):
    quiz = quiz_for(world, publish=False)
    with django_capture_on_commit_callbacks(execute=True):
        do_publish_activity(quiz, actor=Actor(user=world.tom))
        do_publish_activity(quiz, actor=Actor(user=world.tom))
        do_close_activity(quiz, actor=Actor(user=world.tom))
        do_publish_activity(quiz, actor=Actor(user=world.tom))
    assert len(activity_messages(quiz)) == 1


@time_machine.travel(MORNING, tick=False)
def test_a_school_wide_task_reaches_every_family_of_the_school(world):
    task = task_for(world)
    [message] = activity_messages(task)
    # Lakeside Elementary: Mia (Ana), Noah (Ben), Ivy (Tess); not Leo's school-only family.
    assert message.audience["ids"] == sorted([world.ana.id, world.ben.id, world.tess.id])
    assert message.content["en"]["body"] == (
        "Lakeside Elementary has a new activity for your family: Cook something together. "
        "Open it in Engage: http://127.0.0.1:8000/family/"
    )


@time_machine.travel(MORNING, tick=False)
def test_an_activity_that_reaches_no_family_queues_nothing(world):
    activity = do_create_activity(
        scope_of(world.tina),
        kind=Activity.Kind.TASK,
        title="Nobody home",
        response="photo",
        targets=[TargetSpec(school=world.a1, grade_level="05")],
        actor=Actor(user=world.tina),
    )
    do_publish_activity(activity, actor=Actor(user=world.tina))
    assert activity_messages(activity) == []


def test_a_publish_that_rolls_back_tells_nobody(world):
    quiz = quiz_for(world, publish=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        do_publish_activity(quiz, actor=Actor(user=world.tom))
        raise RuntimeError
    quiz.refresh_from_db()
    assert (quiz.status, activity_messages(quiz)) == ("draft", [])


# --- scheduled: the beat publishes at the time -------------------------------------------------


def test_the_beat_publishes_a_scheduled_activity_at_its_time_once(world):
    publish_at = MORNING + HOUR
    with time_machine.travel(MORNING, tick=False):
        quiz = quiz_for(world, publish=False, due_at=DUE)
        do_schedule_activity(quiz, publish_at=publish_at, actor=Actor(user=world.tom))
    with time_machine.travel(publish_at - SECOND, tick=False):
        tasks.publish_due_activities()
        quiz.refresh_from_db()
        assert (quiz.status, activity_messages(quiz)) == ("scheduled", [])
    with time_machine.travel(publish_at, tick=False):
        assert do_publish_due_activities() == [quiz.id]
        assert do_publish_due_activities() == []
        tasks.publish_due_activities()
    quiz.refresh_from_db()
    assert (quiz.status, quiz.published_at) == ("published", publish_at)
    [message] = activity_messages(quiz)
    assert (message.kind, message.author_id) == (Kind.NEW_ACTIVITY, world.tom.id)
    assert list(
        AuditEvent.objects.filter(action="activity.published", target_id=str(quiz.id)).values_list(
            "actor_id", flat=True
        )
    ) == [None]


def test_a_scheduled_activity_that_can_no_longer_be_published_goes_back_to_draft(world):
    with time_machine.travel(MORNING, tick=False):
        quiz = quiz_for(world, publish=False)
        do_schedule_activity(quiz, publish_at=MORNING + HOUR, actor=Actor(user=world.tom))
        quiz.targets.all().delete()  # e.g. the classroom was removed from the roster
    with time_machine.travel(MORNING + HOUR, tick=False):
        assert do_publish_due_activities() == []
    quiz.refresh_from_db()
    assert (quiz.status, quiz.publish_at, activity_messages(quiz)) == ("draft", None, [])


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_row_locked_by_another_beat_run_is_skipped_not_published_twice(world):
    import threading

    from django.db import close_old_connections

    with time_machine.travel(MORNING, tick=False):
        quiz = quiz_for(world, publish=False)
        do_schedule_activity(quiz, publish_at=MORNING + HOUR, actor=Actor(user=world.tom))
    locked, release, results = threading.Event(), threading.Event(), {}

    def other_run():
        try:
            with transaction.atomic():
                Activity.objects.select_for_update().get(id=quiz.id)
                locked.set()
                release.wait(10)
        finally:
            close_old_connections()

    thread = threading.Thread(target=other_run)
    thread.start()
    locked.wait(10)
    with time_machine.travel(MORNING + HOUR, tick=False):
        results["while_locked"] = do_publish_due_activities()
        release.set()
        thread.join(10)
        results["after"] = do_publish_due_activities()
        results["again"] = do_publish_due_activities()
    assert results == {"while_locked": [], "after": [quiz.id], "again": []}
    assert len(activity_messages(quiz)) == 1


# --- reminders ---------------------------------------------------------------------------------


def published_quiz(world, due_at=DUE, at=MORNING):
    with time_machine.travel(at, tick=False):
        return quiz_for(world, due_at=due_at)


def test_the_reminder_goes_24_hours_before_the_due_date_once(
    world, django_capture_on_commit_callbacks
):
    give_phones(world)
    quiz = published_quiz(world)
    with time_machine.travel(DUE - 24 * HOUR - SECOND, tick=False):
        tasks.send_activity_reminders()
    assert activity_messages(quiz, Kind.REMINDER) == []
    with (
        time_machine.travel(DUE - 24 * HOUR, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert notify.do_send_due_reminders() == [quiz.id]
        assert notify.do_send_due_reminders() == []
        tasks.send_activity_reminders()
    [reminder] = activity_messages(quiz, Kind.REMINDER)
    quiz.refresh_from_db()
    assert quiz.reminder_sent_at == DUE - 24 * HOUR
    assert reminder.audience == {"type": "guardians", "ids": sorted([world.ana.id, world.ben.id])}
    assert reminder.content["en"] == {
        "subject": "Reminder: Counting to ten",
        "body": "Reminder from Lakeside Elementary: Counting to ten is waiting for your family "
        "(due Nov. 26, 2026, 9 a.m.). Open it in Engage: http://127.0.0.1:8000/family/",
    }
    assert len(outbox_to(PHONES["ben"])) == 1


def test_the_reminder_goes_only_to_families_who_have_not_submitted(world):
    quiz = published_quiz(world)
    with time_machine.travel(MORNING + HOUR, tick=False):
        submit(world, world.ben, world.noah, quiz)
    with time_machine.travel(DUE - 2 * HOUR, tick=False):
        assert notify.do_send_due_reminders() == [quiz.id]
    [reminder] = activity_messages(quiz, Kind.REMINDER)
    assert reminder.audience["ids"] == [world.ana.id]


def test_when_everyone_submitted_the_reminder_is_claimed_but_nothing_is_sent(world):
    quiz = published_quiz(world)
    with time_machine.travel(MORNING + HOUR, tick=False):
        submit(world, world.ben, world.noah, quiz)
        submit(world, world.ana, world.mia, quiz)
    with time_machine.travel(DUE - HOUR, tick=False):
        assert notify.do_send_due_reminders() == [quiz.id]
        assert notify.do_send_due_reminders() == []
    assert activity_messages(quiz, Kind.REMINDER) == []


def test_no_reminder_once_it_is_due(world):
    published_quiz(world)
    for moment in (DUE, DUE + HOUR):
        with time_machine.travel(moment, tick=False):
            assert notify.do_send_due_reminders() == []
    assert Message.objects.filter(kind=Kind.REMINDER).count() == 0


def test_no_reminder_for_a_closed_activity(world):
    quiz = published_quiz(world)
    with time_machine.travel(MORNING + HOUR, tick=False):
        do_close_activity(quiz, actor=Actor(user=world.tom))
    with time_machine.travel(DUE - HOUR, tick=False):
        assert notify.do_send_due_reminders() == []


def test_no_reminder_for_an_activity_published_within_the_lead_time(world):
    published_quiz(world, at=DUE - 24 * HOUR + SECOND)  # families were told a moment ago
    with time_machine.travel(DUE - HOUR, tick=False):
        assert notify.do_send_due_reminders() == []
    on_time = published_quiz(world, at=DUE - 24 * HOUR)
    with time_machine.travel(DUE - HOUR, tick=False):
        assert notify.do_send_due_reminders() == [on_time.id]


def test_the_reminder_lead_time_is_a_setting(world, settings):
    settings.ENGAGE_ACTIVITY_REMINDER_HOURS = 2
    quiz = published_quiz(world)
    with time_machine.travel(DUE - 2 * HOUR - SECOND, tick=False):
        assert notify.do_send_due_reminders() == []
    with time_machine.travel(DUE - 2 * HOUR, tick=False):
        assert notify.do_send_due_reminders() == [quiz.id]


def test_a_reminder_that_fails_to_queue_is_left_for_the_next_run(world, monkeypatch):
    quiz = published_quiz(world)

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(notify, "do_queue_message", broken)
    with time_machine.travel(DUE - HOUR, tick=False), pytest.raises(RuntimeError):
        notify.do_send_due_reminders()
    quiz.refresh_from_db()
    assert quiz.reminder_sent_at is None
    monkeypatch.undo()
    with time_machine.travel(DUE - HOUR, tick=False):
        assert notify.do_send_due_reminders() == [quiz.id]
    assert len(activity_messages(quiz, Kind.REMINDER)) == 1


def test_a_fanned_out_reminder_reaches_the_engine_like_any_message(world):
    give_phones(world)
    quiz = published_quiz(world)
    with time_machine.travel(DUE - HOUR, tick=False):
        notify.do_send_due_reminders()
        [reminder] = activity_messages(quiz, Kind.REMINDER)
        fan_out_message(reminder.id)
    assert delivered_to(reminder) == [
        ("Ana", "email", "es"),
        ("Ana", "sms", "es"),
        ("Ben", "email", "en"),
        ("Ben", "sms", "en"),
    ]

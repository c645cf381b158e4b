"""Staff compose and follow up; families read their inbox and choose how they hear from school."""

import datetime

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Message, NotificationPreference, Suppression
from privacy.models import AuditEvent
from tests.notifications.helpers import send
from tests.notifications.test_engine import MORNING, give_phones


def compose_data(**overrides):
    data = {
        "audience_type": "classrooms",
        "channels": ["sms", "email"],
        "subject": "Picnic",
        "body": "Picnic on Friday at noon.",
        "subject_es": "Picnic",
        "body_es": "Picnic el viernes al mediodía.",
    }
    data.update(overrides)
    return data


@time_machine.travel(MORNING, tick=False)
def test_teacher_sends_a_class_announcement_and_reads_the_report(
    world, client, login, django_capture_on_commit_callbacks
):
    give_phones(world)
    login(world.tom)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/messages/new/", compose_data(classroom_ids=[world.room1.id]))
    message = Message.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/messages/{message.id}/"
    assert (message.kind, message.school_id, message.author_id, message.recipients_count) == (
        "announcement",
        world.a1.id,
        world.tom.id,
        2,
    )
    report = client.get(response["Location"])
    assert report.context["report"]["sms"]["sent"] == 2
    assert report.context["report"]["email"]["sent"] == 2
    assert list(report.context["unreachable"]) == []


def test_reach_preview_counts_each_channel_and_writes_nothing(world, client, login):
    give_phones(world)
    Suppression.objects.create(channel="sms", address="+13125550102", reason="stop")
    world.ben.email = None
    world.ben.save()
    login(world.priya)
    before = Message.objects.count(), AuditEvent.objects.count()
    response = client.post(
        "/messages/reach/", compose_data(classroom_ids=[world.room1.id]), HTTP_HX_REQUEST="true"
    )
    reach = response.context["reach"]
    assert (reach.families, reach.sms, reach.email, reach.unreachable) == (2, 1, 1, 1)
    assert "2 families" in response.content.decode()
    assert (Message.objects.count(), AuditEvent.objects.count()) == before


def test_teacher_cannot_address_another_classroom(world, client, login):
    login(world.tom)
    response = client.post("/messages/new/", compose_data(classroom_ids=[world.room2.id]))
    assert response.status_code == 200  # not a choice: a form error, nothing queued
    assert "classroom_ids" in response.context["form"].errors
    response = client.post(
        "/messages/reach/", compose_data(audience_type="guardians", guardian_ids=[world.dee.id])
    )
    assert Message.objects.count() == 0


def test_school_admin_sends_to_the_school_but_not_the_district(world, client, login):
    login(world.priya)
    response = client.post("/messages/new/", compose_data(audience_type="district"))
    assert "audience_type" in response.context["form"].errors
    response = client.post(
        "/messages/new/", compose_data(audience_type="schools", school_ids=[world.a1.id])
    )
    assert response.status_code == 302
    assert Message.objects.get().audience == {"type": "schools", "ids": [world.a1.id]}


def test_scheduled_message_waits_for_its_time(world, client, login):
    login(world.priya)
    with time_machine.travel(MORNING, tick=False):
        client.post(
            "/messages/new/",
            compose_data(
                audience_type="schools", school_ids=[world.a1.id], scheduled_for="2026-11-25T08:00"
            ),
        )
    message = Message.objects.get()
    assert message.status == "scheduled"
    # 08:00 in the school's time zone (America/Chicago) is 14:00 UTC.
    assert message.scheduled_for == datetime.datetime(2026, 11, 25, 14, 0, tzinfo=datetime.UTC)


@time_machine.travel(MORNING, tick=False)
def test_family_inbox_in_their_language(world, client, login):
    send(world.lakeside, {"type": "classrooms", "ids": [world.room1.id]}, school=world.a1)
    login(world.ana)
    inbox = client.get("/inbox/")
    message = Message.objects.get()
    assert f'href="/inbox/{message.id}/">Excursión</a>' in inbox.content.decode()
    page = client.get(f"/inbox/{message.id}/")
    assert "Traigan abrigo." in page.content.decode()
    login(world.dee)
    assert client.get(f"/inbox/{message.id}/").status_code == 404


@time_machine.travel(MORNING, tick=False)
def test_message_pages_query_counts_do_not_grow(world, client, login):
    login(world.ana)
    send(world.lakeside, {"type": "classrooms", "ids": [world.room1.id]}, school=world.a1)
    client.get("/inbox/")
    with CaptureQueriesContext(connection) as one:
        client.get("/inbox/")
    for _ in range(4):
        send(world.lakeside, {"type": "classrooms", "ids": [world.room1.id]}, school=world.a1)
    with CaptureQueriesContext(connection) as five:
        client.get("/inbox/")
    assert len(five.captured_queries) == len(one.captured_queries)
    login(world.priya)
    client.get("/messages/")
    with CaptureQueriesContext(connection) as listing:
        assert client.get("/messages/").status_code == 200
    message = Message.objects.first()
    with CaptureQueriesContext(connection) as report:
        client.get(f"/messages/{message.id}/")
    send(world.lakeside, {"type": "schools", "ids": [world.a1.id]}, school=world.a1)
    with CaptureQueriesContext(connection) as listing_more:
        client.get("/messages/")
    assert len(listing_more.captured_queries) == len(listing.captured_queries)
    assert len(report.captured_queries) <= 10


def test_family_sets_preferences(world, client, login):
    login(world.ben)
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200
    response = client.post(
        "/notifications/preferences/",
        {
            "channels": "email",
            "language": "es",
            "quiet_start": "21:00",
            "quiet_end": "06:30",
            "daily_cap": "2",
            "mode_new_activity": "digest",
            "mode_reminder": "instant",
            "mode_feedback": "instant",
            "mode_announcement": "off",
        },
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=world.ben)
    assert (
        preference.channels,
        preference.daily_cap,
        preference.quiet_start,
        preference.quiet_end,
    ) == ("email", 2, datetime.time(21), datetime.time(6, 30))
    assert preference.modes == {
        "new_activity": "digest",
        "reminder": "instant",
        "feedback": "instant",
        "announcement": "off",
    }
    world.ben.refresh_from_db()
    assert world.ben.preferred_language == "es"
    assert (
        AuditEvent.objects.filter(
            action="consent.preferences_changed", target_id=str(world.ben.id)
        ).count()
        == 1
    )

"""The messaging engine end to end, with the real twilio and sendgrid clients and a local fake."""

import datetime

import time_machine
from django.core.mail import send_mail

from notifications import dispatch
from notifications.actions import do_update_preferences
from notifications.models import Delivery, Kind, Message, NotificationPreference, Suppression
from notifications.tasks import send_delivery_batch, sweep_outbox
from privacy.audit import Actor
from tests.notifications.helpers import send

# 09:00 in Chicago (Lakeside's time zone) on a Monday.
MORNING = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)


def give_phones(world):
    for key, phone in [("ana", "+13125550101"), ("ben", "+13125550102"), ("cal", "+13125550103")]:
        user = world.people[key]
        user.phone = phone
        user.save(update_fields=["phone"])


@time_machine.travel(MORNING, tick=False)
def test_announcement_reaches_each_family_once_in_their_language(world, providers):
    give_phones(world)
    message = send(world.lakeside, {"type": "classrooms", "ids": [world.room1.id]}, school=world.a1)
    assert message.status == Message.Status.SENT and message.recipients_count == 2
    sms = sorted((m["to"], m["body"], m["messaging_service_sid"]) for m in providers.sms)
    assert sms == [
        (
            "+13125550101",
            "Excursión\nTraigan abrigo.\nResponda STOP para no recibir más mensajes.",
            "MGplatform",
        ),
        ("+13125550102", "Field trip\nBring a coat.\nReply STOP to stop texts.", "MGplatform"),
    ]
    emails = {m["to"]: m for m in providers.email}
    assert sorted(emails) == ["ana@example.org", "ben@example.org"]  # not Cal: "no access"
    assert emails["ana@example.org"]["subject"] == "Excursión"
    assert emails["ben@example.org"]["subject"] == "Field trip"
    assert emails["ben@example.org"]["headers"]["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    assert emails["ben@example.org"]["headers"]["List-Unsubscribe"].startswith(
        "<https://engage.example.org/notifications/unsubscribe/"
    )
    statuses = sorted(message.deliveries.values_list("channel", "status", "provider"))
    assert statuses == [
        ("email", "sent", "sendgrid"),
        ("email", "sent", "sendgrid"),
        ("sms", "sent", "twilio"),
        ("sms", "sent", "twilio"),
    ]
    assert all(message.deliveries.values_list("provider_message_id", flat=True))


@time_machine.travel(MORNING, tick=False)
def test_a_duplicated_task_sends_nothing(world, providers):
    message = send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["email"])
    ids = list(message.deliveries.values_list("id", flat=True))
    send_delivery_batch(ids)
    send_delivery_batch(ids)
    assert [m["to"] for m in providers.email] == ["ben@example.org"]


@time_machine.travel(MORNING, tick=False)
def test_invites_and_reminders_go_through_the_engine(world, providers):
    invite = send(
        world.lakeside,
        {"type": "guardians", "ids": [world.ben.id]},
        kind=Kind.INVITE,
        channels=["email"],
    )
    reminder = send(
        world.lakeside,
        {"type": "guardians", "ids": [world.ana.id]},
        kind=Kind.REMINDER,
        channels=["email"],
    )
    assert [(m["to"], m["reference"]) for m in providers.email] == [
        ("ben@example.org", f"d{invite.deliveries.get().id}"),
        ("ana@example.org", f"d{reminder.deliveries.get().id}"),
    ]


def test_quiet_hours_hold_until_morning_but_urgent_goes_now(world, providers):
    give_phones(world)
    evening = datetime.datetime(2026, 11, 24, 3, 30, tzinfo=datetime.UTC)  # 21:30 in Chicago
    with time_machine.travel(evening, tick=False):
        routine = send(
            world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["sms"]
        )
        urgent = send(
            world.lakeside,
            {"type": "guardians", "ids": [world.ben.id]},
            channels=["sms"],
            is_urgent=True,
            content={"en": {"subject": "Closed", "body": "Snow day."}},
        )
        assert [m["body"].split("\n")[0] for m in providers.sms] == ["Closed"]
        held = routine.deliveries.get()
        assert held.status == "pending"
        assert held.not_before == datetime.datetime(2026, 11, 24, 13, 0, tzinfo=datetime.UTC)
        assert urgent.deliveries.get().status == "sent"
    with time_machine.travel(
        datetime.datetime(2026, 11, 24, 13, 1, tzinfo=datetime.UTC), tick=False
    ):
        sweep_outbox()
    assert [m["body"].split("\n")[0] for m in providers.sms] == ["Closed", "Field trip"]


def test_daily_cap_merges_the_rest_into_one_digest(world, providers):
    with time_machine.travel(MORNING, tick=False):
        for n in range(5):
            send(
                world.lakeside,
                {"type": "guardians", "ids": [world.ben.id]},
                channels=["email"],
                content={"en": {"subject": f"Note {n}", "body": f"Body {n}"}},
            )
        assert [m["subject"] for m in providers.email] == ["Note 0", "Note 1", "Note 2"]
        assert Delivery.objects.filter(status="held").count() == 2
    # 17:00 in Chicago is 23:00 UTC: the digest goes out.
    with time_machine.travel(
        datetime.datetime(2026, 11, 23, 23, 1, tzinfo=datetime.UTC), tick=False
    ):
        sweep_outbox()
        sweep_outbox()  # re-running changes nothing
    digest = providers.email[3]
    assert len(providers.email) == 4
    assert digest["subject"] == "Today's messages from school"
    body = digest["content"][0]["value"]
    assert "• Note 3\nBody 3" in body and "• Note 4\nBody 4" in body
    assert Delivery.objects.filter(status="digested").count() == 2


@time_machine.travel(MORNING, tick=False)
def test_family_preferences_digest_off_and_channel(world, providers):
    give_phones(world)
    do_update_preferences(
        world.ben,
        channels=NotificationPreference.Channels.SMS,
        modes={Kind.ANNOUNCEMENT: "off", Kind.REMINDER: "digest"},
        quiet_start=datetime.time(20),
        quiet_end=datetime.time(7),
        daily_cap=3,
        language="en",
        actor=Actor(user=world.ben),
    )
    announcement = send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]})
    reminder = send(
        world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, kind=Kind.REMINDER
    )
    required = send(
        world.lakeside,
        {"type": "guardians", "ids": [world.ben.id]},
        kind=Kind.PRIVACY_NOTICE,
        is_required=True,
    )
    assert announcement.deliveries.count() == 0
    assert list(reminder.deliveries.values_list("channel", "status")) == [("sms", "held")]
    assert sorted(required.deliveries.values_list("channel", "status")) == [
        ("email", "sent"),
        ("sms", "sent"),
    ]


@time_machine.travel(MORNING, tick=False)
def test_inactive_accounts_receive_nothing(world, providers):
    world.ben.is_active = False
    world.ben.save()
    message = send(
        world.lakeside, {"type": "classrooms", "ids": [world.room1.id]}, channels=["email"]
    )
    assert [m["to"] for m in providers.email] == ["ana@example.org"]
    assert message.recipients_count == 1


@time_machine.travel(MORNING, tick=False)
def test_21610_fails_and_suppresses_the_number(world, providers):
    give_phones(world)
    providers.fail("+13125550102", 400, 21610)
    message = send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["sms"])
    delivery = message.deliveries.get()
    assert (delivery.status, delivery.error_code) == ("failed", "21610")
    assert Suppression.objects.get(address="+13125550102").reason == "stop"
    send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["sms"])
    assert providers.sms == []


def test_transient_errors_retry_with_backoff(world, providers):
    give_phones(world)
    providers.fail("+13125550102", 429, 20429, times=1)
    providers.fail("ben@example.org", 503, times=1)
    with time_machine.travel(MORNING, tick=False):
        message = send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]})
        rows = list(message.deliveries.order_by("channel"))
        assert [(d.channel, d.status, d.attempts) for d in rows] == [
            ("email", "pending", 1),
            ("sms", "pending", 1),
        ]
        assert all(
            MORNING + datetime.timedelta(seconds=15)
            <= d.not_before
            <= MORNING + datetime.timedelta(seconds=30)
            for d in rows
        )
    with time_machine.travel(MORNING + datetime.timedelta(seconds=31), tick=False):
        sweep_outbox()
    assert sorted(message.deliveries.values_list("channel", "status", "attempts")) == [
        ("email", "sent", 2),
        ("sms", "sent", 2),
    ]
    assert len(providers.sms) == 1 and len(providers.email) == 1


def test_backoff_is_exponential_capped_and_jittered():
    assert 15 <= dispatch.backoff_seconds(1) <= 30
    assert 60 <= dispatch.backoff_seconds(3) <= 120
    assert 1800 <= dispatch.backoff_seconds(20) <= 3600


@time_machine.travel(MORNING, tick=False)
def test_crashed_sends_are_confirmed_with_the_provider_not_repeated(world, providers):
    """A worker died after the provider accepted one message and before sending another."""
    give_phones(world)
    message = send(
        world.lakeside, {"type": "guardians", "ids": [world.ben.id, world.ana.id]}, channels=["sms"]
    )
    sent = message.deliveries.get(address="+13125550102")
    lost = message.deliveries.get(address="+13125550101")
    # Simulate the crash: both rows claimed; only Ben's reached the provider.
    Delivery.objects.filter(id__in=[sent.id, lost.id]).update(
        status="sending",
        status_rank=1,
        provider_message_id="",
        claimed_at=MORNING - datetime.timedelta(minutes=10),
    )
    providers.state.sms = [m for m in providers.sms if m["to"] == "+13125550102"]
    assert dispatch.recover_stale_claims() == {"confirmed": 1, "released": 1}
    sweep_outbox()
    assert sorted(m["to"] for m in providers.sms) == ["+13125550101", "+13125550102"]
    assert set(message.deliveries.values_list("status", flat=True)) == {"sent"}


@time_machine.travel(MORNING, tick=False)
def test_mail_django_sends_goes_through_sendgrid(world, providers):
    send_mail("Your code", "123456", None, ["ben@example.org"])
    assert [(m["to"], m["subject"]) for m in providers.email] == [("ben@example.org", "Your code")]


@time_machine.travel(MORNING, tick=False)
def test_district_sender_identity(world, providers):
    from notifications.models import DistrictMessagingSettings

    DistrictMessagingSettings.objects.create(
        district=world.lakeside,
        twilio_messaging_service_sid="MGlakeside",
        email_from_name="Lakeside Unified",
        email_reply_to="office@lakeside.example.org",
    )
    give_phones(world)
    send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]})
    assert providers.sms[0]["messaging_service_sid"] == "MGlakeside"
    assert providers.email[0]["from"]["name"] == "Lakeside Unified"
    assert providers.email[0]["reply_to"]["email"] == "office@lakeside.example.org"


@time_machine.travel(MORNING, tick=False)
def test_emails_go_in_one_call_per_batch_with_each_family_own_link(world, providers):
    message = send(
        world.lakeside,
        {"type": "guardians", "ids": [world.ben.id, world.tess.id]},
        channels=["email"],
        content={"en": {"subject": "S", "body": "B"}},
    )
    emails = {m["to"]: m for m in providers.email}
    assert emails["ben@example.org"]["msg_id"] == emails["tess@example.org"]["msg_id"]
    ben_body = emails["ben@example.org"]["content"][0]["value"]
    tess_body = emails["tess@example.org"]["content"][0]["value"]
    ben_link = emails["ben@example.org"]["headers"]["List-Unsubscribe"][1:-1]
    assert ben_link in ben_body and ben_link not in tess_body
    assert "-engage_unsubscribe_url-" not in ben_body + tess_body
    assert {d.provider_message_id for d in message.deliveries.all()} == {
        emails["ben@example.org"]["msg_id"]
    }


@time_machine.travel(MORNING, tick=False)
def test_a_rejected_address_fails_alone_in_its_batch(world, providers):
    providers.fail("ben@example.org", 400, times=2)
    message = send(
        world.lakeside,
        {"type": "guardians", "ids": [world.ben.id, world.tess.id]},
        channels=["email"],
    )
    assert dict(message.deliveries.values_list("address", "status")) == {
        "ben@example.org": "failed",
        "tess@example.org": "sent",
    }
    assert [m["to"] for m in providers.email] == ["tess@example.org"]


@time_machine.travel(MORNING, tick=False)
def test_a_batch_past_half_its_claim_time_hands_deliveries_back(world, providers, settings):
    settings.ENGAGE_CLAIM_TIMEOUT = 0
    message = send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["email"])
    delivery = message.deliveries.get()
    assert (delivery.status, delivery.error_code, delivery.claimed_at) == (
        "pending",
        "deferred",
        None,
    )
    assert providers.email == []

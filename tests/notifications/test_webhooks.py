"""Provider webhooks: signatures, STOP/START/HELP, status callbacks, SendGrid events."""

import datetime
import json
import time

import pytest
import time_machine
from twilio.request_validator import RequestValidator

from notifications.models import (
    Delivery,
    DistrictMessagingSettings,
    ProcessedWebhookEvent,
    Suppression,
)
from notifications.rendering import unsubscribe_token
from notifications.webhooks import classify_inbound
from privacy.models import AuditEvent
from tests.notifications.conftest import TWILIO_TOKEN, sign_sendgrid
from tests.notifications.helpers import send
from tests.notifications.test_engine import MORNING, give_phones

BASE = "https://engage.example.org"


def twilio_post(client, path, params, *, signature=None):
    signature = signature or RequestValidator(TWILIO_TOKEN).compute_signature(BASE + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def sendgrid_post(client, events, private_key, *, timestamp=None, signature=None):
    payload = json.dumps(events)
    timestamp = timestamp or str(int(time.time()))
    signature = signature or sign_sendgrid(private_key, payload, timestamp)
    return client.post(
        "/webhooks/sendgrid/events/",
        payload,
        content_type="application/json",
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=signature,
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp,
    )


def row_counts():
    return (
        Delivery.objects.values_list("status", flat=True).count(),
        list(Delivery.objects.order_by("id").values_list("status", flat=True)),
        Suppression.objects.count(),
        ProcessedWebhookEvent.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(
    "text,intent",
    [
        ("STOP", "stop"),
        ("stop", "stop"),
        (" Stopall ", "stop"),
        ("UNSUBSCRIBE", "stop"),
        ("cancel", "stop"),
        ("END", "stop"),
        ("quit", "stop"),
        ("please stop texting me", "stop"),
        ("No more messages please", "stop"),
        ("remove me from this list", "stop"),
        ("por favor dejen de mandarme mensajes", "stop"),
        ("START", "start"),
        ("unstop", "start"),
        ("HELP", "help"),
        ("Thanks, see you at the trip!", ""),
        ("Can't stop smiling at the photos", ""),
    ],
)
def test_inbound_intents(text, intent):
    assert classify_inbound(text) == intent


def test_stop_start_and_help_by_text(world, providers, client):
    give_phones(world)
    DistrictMessagingSettings.objects.create(
        district=world.lakeside, help_text="Lakeside office: 555-0100"
    )
    response = twilio_post(
        client,
        "/webhooks/twilio/inbound/",
        {"From": "+13125550102", "Body": "please stop texting me"},
    )
    assert response.status_code == 200
    assert "You will get no more texts from Engage" in response.content.decode()
    assert Suppression.objects.get(address="+13125550102").reason == "stop"
    assert AuditEvent.objects.filter(
        action="consent.opted_out", target_id=str(world.ben.id)
    ).exists()
    with time_machine.travel(MORNING, tick=False):
        send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["sms"])
    assert providers.sms == []
    response = twilio_post(
        client, "/webhooks/twilio/inbound/", {"From": "+13125550102", "Body": "START"}
    )
    assert "Texts from your school are back on" in response.content.decode()
    assert not Suppression.objects.filter(address="+13125550102").exists()
    response = twilio_post(
        client, "/webhooks/twilio/inbound/", {"From": "+13125550102", "Body": "help"}
    )
    assert "Lakeside office: 555-0100" in response.content.decode()


def test_start_never_lifts_a_bounce(db, client, providers):
    Suppression.objects.create(channel="sms", address="+13125550109", reason="invalid")
    twilio_post(client, "/webhooks/twilio/inbound/", {"From": "+13125550109", "Body": "START"})
    assert Suppression.objects.get(address="+13125550109").reason == "invalid"


def test_forged_twilio_requests_get_403_and_write_nothing(world, providers, client):
    give_phones(world)
    before = row_counts()
    for path, params in [
        ("/webhooks/twilio/inbound/", {"From": "+13125550102", "Body": "STOP"}),
        ("/webhooks/twilio/status/", {"MessageSid": "SM1", "MessageStatus": "delivered"}),
    ]:
        assert twilio_post(client, path, params, signature="forged").status_code == 403
        assert client.post(path, params).status_code == 403  # unsigned
    # A signature made for another URL does not validate here either.
    other = RequestValidator(TWILIO_TOKEN).compute_signature(
        "https://evil.example/webhooks/twilio/inbound/", {"From": "+13125550102", "Body": "STOP"}
    )
    assert (
        twilio_post(
            client,
            "/webhooks/twilio/inbound/",
            {"From": "+13125550102", "Body": "STOP"},
            signature=other,
        ).status_code
        == 403
    )
    assert row_counts() == before


@time_machine.travel(MORNING, tick=False)
def test_twilio_status_callbacks_in_and_out_of_order(world, providers, client):
    give_phones(world)
    message = send(
        world.lakeside, {"type": "guardians", "ids": [world.ben.id, world.ana.id]}, channels=["sms"]
    )
    ben = message.deliveries.get(address="+13125550102")
    ana = message.deliveries.get(address="+13125550101")
    path = "/webhooks/twilio/status/"
    for status in ["sent", "delivered"]:
        twilio_post(
            client,
            path,
            {"MessageSid": ben.provider_message_id, "MessageStatus": status, "To": ben.address},
        )
    for status in ["delivered", "sent", "queued"]:  # out of order: 'sent' arrives last
        twilio_post(
            client,
            path,
            {"MessageSid": ana.provider_message_id, "MessageStatus": status, "To": ana.address},
        )
    ben.refresh_from_db()
    ana.refresh_from_db()
    assert (ben.status, ana.status) == ("delivered", "delivered")


@time_machine.travel(MORNING, tick=False)
def test_undelivered_callback_marks_the_number_unreachable(world, providers, client):
    give_phones(world)
    message = send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["sms"])
    delivery = message.deliveries.get()
    twilio_post(
        client,
        "/webhooks/twilio/status/",
        {
            "MessageSid": delivery.provider_message_id,
            "MessageStatus": "undelivered",
            "ErrorCode": "30006",
            "To": delivery.address,
        },
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error_code) == ("failed", "30006")
    assert Suppression.objects.get(address=delivery.address).reason == "invalid"


@time_machine.travel(MORNING, tick=False)
def test_sendgrid_events_dedupe_order_bounce_and_spam(world, providers, client, sendgrid_key):
    message = send(
        world.lakeside,
        {"type": "guardians", "ids": [world.ben.id, world.ana.id]},
        channels=["email"],
    )
    ben = message.deliveries.get(address="ben@example.org")
    ana = message.deliveries.get(address="ana@example.org")
    private = sendgrid_key[0]
    events = [
        {"event": "open", "email": ben.address, "sg_event_id": "e1", "engage_ref": f"d{ben.id}"},
        {
            "event": "delivered",
            "email": ben.address,
            "sg_event_id": "e2",
            "engage_ref": f"d{ben.id}",
        },
        {"event": "open", "email": ben.address, "sg_event_id": "e1", "engage_ref": f"d{ben.id}"},
        {
            "event": "bounce",
            "email": ana.address,
            "sg_event_id": "e3",
            "engage_ref": f"d{ana.id}",
            "type": "bounce",
        },
    ]
    with time_machine.travel(MORNING, tick=True):
        assert sendgrid_post(client, events, private).status_code == 204
        assert sendgrid_post(client, events, private).status_code == 204  # SendGrid repeats
    ben.refresh_from_db()
    ana.refresh_from_db()
    assert (ben.status, ana.status) == ("opened", "bounced")
    assert ProcessedWebhookEvent.objects.count() == 3
    assert Suppression.objects.get(address=ana.address).reason == "bounce"
    with time_machine.travel(MORNING, tick=True):
        sendgrid_post(
            client,
            [
                {
                    "event": "spamreport",
                    "email": ben.address,
                    "sg_event_id": "e4",
                    "engage_ref": f"d{ben.id}",
                }
            ],
            private,
        )
    assert Suppression.objects.get(address=ben.address).reason == "spam"
    send(
        world.lakeside,
        {"type": "guardians", "ids": [world.ben.id, world.ana.id]},
        channels=["email"],
    )
    assert len(providers.email) == 2  # nothing more to suppressed addresses


def test_forged_or_stale_sendgrid_events_get_403_and_write_nothing(
    world, providers, client, sendgrid_key
):
    events = [{"event": "unsubscribe", "email": "ben@example.org", "sg_event_id": "x1"}]
    before = row_counts()
    assert sendgrid_post(client, events, sendgrid_key[0], signature="Zm9yZ2Vk").status_code == 403
    stale = str(int(time.time()) - 3600)
    assert sendgrid_post(client, events, sendgrid_key[0], timestamp=stale).status_code == 403
    response = client.post(
        "/webhooks/sendgrid/events/", json.dumps(events), content_type="application/json"
    )
    assert response.status_code == 403
    assert row_counts() == before


def test_email_unsubscribe_link_and_one_click(db, client):
    token = unsubscribe_token("email", "ben@example.org")
    page = client.get(f"/notifications/unsubscribe/{token}/")
    assert page.status_code == 200 and b"ben@example.org" in page.content
    assert not Suppression.objects.exists()
    # RFC 8058 one-click: a POST with no CSRF token from the mail client.
    response = client.post(
        f"/notifications/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert Suppression.objects.get(address="ben@example.org").reason == "unsubscribe"
    forged = client.post("/notifications/unsubscribe/not-a-token/")
    assert forged.status_code == 400
    assert Suppression.objects.count() == 1


def test_sendgrid_unsubscribe_event_suppresses(world, providers, client, sendgrid_key):
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=True):
        sendgrid_post(
            client,
            [{"event": "group_unsubscribe", "email": "ana@example.org", "sg_event_id": "u1"}],
            sendgrid_key[0],
        )
    assert Suppression.objects.get(address="ana@example.org").reason == "unsubscribe"

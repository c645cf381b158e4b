from django.core.mail import send_mail

from notifications.models import OutboxEntry
from notifications.sms import send_sms

ENGAGE_MAILERS = {"default": {"BACKEND": "notifications.email_backend.EngageEmailBackend"}}


def test_mail_django_sends_lands_in_the_outbox(db, settings):
    settings.MAILERS = ENGAGE_MAILERS
    assert send_mail("Hello", "Body text", None, ["a@example.org", "b@example.org"]) == 1
    rows = list(OutboxEntry.objects.order_by("id").values_list("channel", "to", "subject", "body"))
    assert rows == [
        ("email", "a@example.org", "Hello", "Body text"),
        ("email", "b@example.org", "Hello", "Body text"),
    ]


def test_sms_lands_in_the_outbox(db):
    message_id = send_sms(to="+13125550142", body="Code 123456")
    entry = OutboxEntry.objects.get()
    assert message_id == f"outbox-{entry.id}"
    assert (entry.channel, entry.to, entry.body) == ("sms", "+13125550142", "Code 123456")


def test_outbox_page_is_for_operators_only(world, client, login, settings):
    send_sms(to="+13125550142", body="Code 123456")
    settings.DEBUG = False
    login(world.dana)
    assert client.get("/outbox/").status_code == 403
    world.dana.is_staff = True
    world.dana.save()
    response = client.get("/outbox/")
    assert response.status_code == 200
    assert b"Code 123456" in response.content


def test_outbox_page_is_open_in_local_development(db, client, settings):
    settings.DEBUG = True
    send_sms(to="+13125550142", body="Code 654321")
    response = client.get("/outbox/?to=%2B13125550142")
    assert response.status_code == 200 and b"Code 654321" in response.content


def test_outbox_page_is_off_when_providers_are_configured(db, client, settings):
    settings.ENGAGE_OUTBOX_PAGE = False
    settings.DEBUG = True
    assert client.get("/outbox/").status_code == 404


def test_outbox_list_refreshes_by_htmx(db, client, settings):
    settings.DEBUG = True
    send_sms(to="+13125550142", body="Code 111222")
    response = client.get("/outbox/", HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.startswith('\n<div id="outbox-entries"')
    assert "Code 111222" in content and "<html" not in content

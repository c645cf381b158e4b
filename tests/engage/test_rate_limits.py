"""Rate limits of invites and provider webhooks (engage.ratelimits), and of the codes an invite
link sends.

The other doors are tested where they live: wrong passwords lock the identifier and the address
(tests/tenants/test_auth.py: test_five_bad_passwords_lock_the_identifier_from_that_ip_only,
test_twenty_bad_passwords_a_minute_lock_the_ip_for_everyone), sign-in codes per number and per
address (test_code_requests_are_limited_per_number_however_it_is_typed,
test_code_requests_are_limited_per_ip, test_wrong_codes_are_limited_then_even_the_right_code_fails)
and self-registration (tests/guardians/test_joining.py: test_self_registration_is_rate_limited_per_ip,
test_codes_to_one_address_are_rate_limited, test_a_code_allows_three_guesses).
"""

import pytest
from django.urls import reverse
from twilio.request_validator import RequestValidator

from guardians.models import Invite
from guardians.tokens import invite_token
from notifications.models import OutboxEntry, Suppression
from tests.guardians.helpers import PHONES, give_phones, outbox_to
from tests.notifications.conftest import TWILIO_TOKEN, providers, sendgrid_key
from tests.notifications.test_webhooks import BASE, sendgrid_post, twilio_post

__all__ = ["providers", "sendgrid_key"]
STOP = {"From": "+13125550102", "Body": "STOP"}


@pytest.fixture
def invite_link(world, client, login):
    give_phones(world)
    login(world.priya)
    client.post(
        reverse("onboarding:classroom_invites", args=[world.room1.id]), {"channels": ["sms"]}
    )
    client.logout()
    invite = Invite.objects.get(guardian=world.ben)
    return f"/join/i/{invite_token(invite.id)}/"


def test_an_invite_link_texts_three_codes_then_429(world, client, invite_link):
    sent_before = len(outbox_to(PHONES["ben"]))
    statuses = [client.post(invite_link, {"channel": "sms"}).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(outbox_to(PHONES["ben"])) == sent_before + 3


def test_one_familys_invite_is_resent_at_most_three_times_a_day(world, client, login, invite_link):
    login(world.priya)
    url = reverse("onboarding:classroom_invites", args=[world.room1.id])
    pages = [
        client.post(url, {"channels": ["sms"], "guardian": world.ben.id}, follow=True)
        for _ in range(4)
    ]
    assert "Too many invitations sent just now. Try again later." in pages[3].content.decode()
    assert ["Too many" in p.content.decode() for p in pages] == [False] * 3 + [True]
    assert Invite.objects.filter(guardian=world.ben).count() == 1 + 3
    # Another family is not held back by Ben's budget.
    other = client.post(url, {"channels": ["sms"], "guardian": world.ana.id}, follow=True)
    assert "1 invitation sent." in other.content.decode()


def test_a_staff_member_sends_thirty_invite_batches_an_hour(world, client, login):
    give_phones(world)
    login(world.priya)
    url = reverse("onboarding:classroom_invites", args=[world.room1.id])
    for _ in range(30):
        client.post(url, {"channels": ["sms"]})
    invites = Invite.objects.count()
    refused = client.post(url, {"channels": ["sms"], "guardian": world.ana.id}, follow=True)
    assert "Too many invitations sent just now." in refused.content.decode()
    assert Invite.objects.count() == invites


def test_webhooks_answer_429_after_twenty_bad_signatures_from_one_address(
    world, providers, client, sendgrid_key
):
    statuses = [
        twilio_post(client, "/webhooks/twilio/inbound/", STOP, signature="forged").status_code
        for _ in range(20)
    ]
    assert statuses == [403] * 20
    # The budget is the address's, across the webhooks; even a good signature waits now.
    assert twilio_post(client, "/webhooks/twilio/inbound/", STOP).status_code == 429
    assert twilio_post(client, "/webhooks/twilio/status/", {"MessageSid": "SM1"}).status_code == 429
    assert sendgrid_post(client, [], sendgrid_key[0]).status_code == 429
    assert Suppression.objects.count() == 0
    # Another address is served.
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        BASE + "/webhooks/twilio/inbound/", STOP
    )
    other = client.post(
        "/webhooks/twilio/inbound/",
        STOP,
        HTTP_X_TWILIO_SIGNATURE=signature,
        REMOTE_ADDR="198.51.100.7",
    )
    assert other.status_code == 200 and Suppression.objects.count() == 1


def test_signed_webhooks_are_never_limited(world, providers, client):
    statuses = {
        twilio_post(client, "/webhooks/twilio/status/", {"MessageSid": f"SM{n}"}).status_code
        for n in range(40)
    }
    assert statuses == {204}
    assert OutboxEntry.objects.count() == 0

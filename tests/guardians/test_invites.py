"""Invites: staff invite families by SMS and email, families open a single-use link that expires,
confirm their contact by code, consent, and land on their home (issue 4, items 5 and 6)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from guardians.models import GuardianProfile, Invite
from guardians.tokens import invite_token
from notifications.models import Delivery, Message, OutboxEntry
from privacy.models import AuditEvent, Consent
from tests.counts import SESSION_QUERIES
from tests.guardians.helpers import (
    MORNING,
    PHONES,
    give_phones,
    invite_path_in,
    last_code_sent_to,
    outbox_to,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited(world, client, login, django_capture_on_commit_callbacks):
    """Priya invites every family of Room 1 by SMS and email (frozen at 09:00 in Chicago)."""
    give_phones(world)
    login(world.priya)
    url = reverse("onboarding:classroom_invites", args=[world.room1.id])
    with (
        time_machine.travel(MORNING, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(url, {"channels": ["sms", "email"]})
    assert response.status_code == 302
    client.logout()
    return world


def test_invites_go_to_each_family_of_the_classroom_in_their_language(invited):
    world = invited
    invites = Invite.objects.order_by("guardian__first_name")
    # Cal has "no access" to Mia: not a family of the classroom for invites.
    assert [i.guardian.first_name for i in invites] == ["Ana", "Ben"]
    assert {i.school_id for i in invites} == {world.a1.id}
    assert all(i.expires_at == MORNING + datetime.timedelta(days=14) for i in invites)
    assert Message.objects.filter(kind="invite").count() == 2
    ana_sms, ana_email = outbox_to(PHONES["ana"]), outbox_to("ana@example.org")
    assert len(ana_sms) == 1 and len(ana_email) == 1
    assert ana_sms[0].body.startswith("Lakeside Elementary le invita a Engage")
    assert "/join/i/" in ana_sms[0].body and "-engage_invite_url-" not in ana_sms[0].body
    assert outbox_to(PHONES["ben"])[0].body.startswith("Lakeside Elementary invites you to Engage")
    # The link is re-derived when rendering: the stored message holds only the placeholder.
    stored = Message.objects.get(source_id=str(invites[0].id)).content["en"]["body"]
    assert "-engage_invite_url-" in stored and "/join/i/" not in stored
    assert AuditEvent.objects.filter(action="invite.sent").count() == 2


def test_the_invite_link_is_the_same_in_sms_and_email_and_matches_the_token(invited):
    invite = Invite.objects.get(guardian=invited.ana)
    path = f"/join/i/{invite_token(invite.id)}/"
    assert invite_path_in(outbox_to(PHONES["ana"])[0].body) == path
    email = outbox_to("ana@example.org")[0]
    assert invite_path_in(email.body) == path
    assert f'<a href="http://127.0.0.1:8000{path}">' in email.html_body


def test_the_whole_journey_invite_code_consent_profile_home(invited, client):
    world = invited
    invite = Invite.objects.get(guardian=world.ana)
    path = invite_path_in(outbox_to(PHONES["ana"])[0].body)
    page = client.get(path)
    assert page.status_code == 200
    # The page speaks the invited guardian's language (Ana reads Spanish).
    assert "Bienvenido/a, Ana" in page.content.decode() and "•••• 0101" in page.content.decode()

    response = client.post(path, {"channel": "sms"})
    assert response.status_code == 302 and response.url == f"{path}code/"
    code = last_code_sent_to(PHONES["ana"])
    assert "Su código de Engage es" in outbox_to(PHONES["ana"])[-1].body  # her language

    wrong = "000000" if code != "000000" else "111111"
    response = client.post(f"{path}code/", {"code": wrong})
    assert "Puede intentarlo 2 veces más." in response.content.decode()
    response = client.post(f"{path}code/", {"code": code})
    assert response.status_code == 302 and response.url == reverse("join:consent")
    invite.refresh_from_db()
    world.ana.refresh_from_db()
    assert invite.accepted_at is not None and world.ana.phone_verified is True

    response = client.post(reverse("join:consent"), {"photo_promotion": "on"})
    assert response.status_code == 200  # the policy must be accepted
    assert Consent.objects.count() == 0
    response = client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    assert response.status_code == 302 and response.url == reverse("join:profile")
    consents = {
        c.kind: (c.is_granted, c.policy_version.version if c.policy_version else None)
        for c in Consent.objects.filter(user=world.ana, district=world.lakeside)
    }
    assert consents == {
        "privacy_policy": (True, "engage-2026-11"),
        "photo_promotion": (False, None),
        "non_essential": (False, None),
    }

    response = client.post(reverse("join:profile"), {"skip": "1"})
    assert response.status_code == 302 and response.url == reverse("guardians:home")
    assert GuardianProfile.objects.get(guardian=world.ana).is_skipped is True
    home = client.get(reverse("guardians:home")).content.decode()
    assert "Mia Alvarez" in home and "Leo Alvarez" in home

    # Single use: the same link now says so (in Ana's Spanish, as she is signed in).
    again = client.get(path)
    assert again.status_code == 410 and "Esta invitación ya se usó" in again.content.decode()


def test_a_visitor_who_chose_a_language_keeps_it(invited, client):
    path = invite_path_in(outbox_to(PHONES["ana"])[0].body)
    client.cookies["django_language"] = "en"
    assert "Welcome, Ana" in client.get(path).content.decode()


def test_the_profile_saves_only_what_is_given(invited, client):
    from guardians.actions.joining import do_save_join_profile
    from privacy.audit import Actor

    profile = do_save_join_profile(
        invited.ben,
        invited.lakeside,
        values={"relationship": "father", "children_grades": "", "children_at_school": 2},
        is_skipped=False,
        actor=Actor.system(),
    )
    assert (profile.relationship, profile.children_grades, profile.children_at_school) == (
        "father",
        "",
        2,
    )
    assert profile.ethnicity == "" and profile.is_skipped is False


def test_an_expired_invite_says_so_and_sends_nothing(invited, client):
    path = invite_path_in(outbox_to(PHONES["ben"])[0].body)
    before = OutboxEntry.objects.count()
    with time_machine.travel(MORNING + datetime.timedelta(days=14, seconds=1), tick=False):
        page = client.get(path)
        assert page.status_code == 410 and "has expired" in page.content.decode()
        assert client.post(path, {"channel": "sms"}).status_code == 410
    assert OutboxEntry.objects.count() == before
    with time_machine.travel(MORNING + datetime.timedelta(days=13, hours=23), tick=False):
        assert client.get(path).status_code == 200


def test_an_invite_stops_working_when_the_school_unlinks_the_family(invited, client):
    from guardians.actions import do_set_guardian_access
    from guardians.models import GuardianLink
    from privacy.audit import Actor

    path = invite_path_in(outbox_to(PHONES["ben"])[0].body)
    link = GuardianLink.objects.get(guardian=invited.ben, child=invited.noah)
    do_set_guardian_access(link, has_access=False, actor=Actor.system())
    page = client.get(path)
    assert page.status_code == 410 and "no longer valid" in page.content.decode()
    assert client.post(path, {"channel": "sms"}).status_code == 410
    assert len(outbox_to(PHONES["ben"])) == 1  # no code was sent


def test_a_forged_or_mangled_token_is_404(invited, client):
    invite = Invite.objects.get(guardian=invited.ben)
    token = invite_token(invite.id)
    assert client.get(f"/join/i/{invite.id}.forged/").status_code == 404
    assert client.get(f"/join/i/{token[:-2]}xx/").status_code == 404
    other = invite_token(invite.id + 1000)  # well signed, but no such invite
    assert client.get(f"/join/i/{other}/").status_code == 404


def test_resend_revokes_the_old_link(invited, client, login, django_capture_on_commit_callbacks):
    world = invited
    old_path = invite_path_in(outbox_to(PHONES["ben"])[0].body)
    login(world.priya)
    url = reverse("onboarding:classroom_invites", args=[world.room1.id])
    with (
        time_machine.travel(MORNING + datetime.timedelta(hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(url, {"channels": ["sms"], "guardian": world.ben.id})
    client.logout()
    invites = list(Invite.objects.filter(guardian=world.ben).order_by("id"))
    assert len(invites) == 2 and invites[0].revoked_at is not None and invites[1].revoked_at is None
    assert len(outbox_to(PHONES["ben"])) == 2 and len(outbox_to("ben@example.org")) == 1
    page = client.get(old_path)
    assert page.status_code == 410 and "newer invitation" in page.content.decode()
    new_path = invite_path_in(outbox_to(PHONES["ben"])[1].body)
    assert new_path != old_path and client.get(new_path).status_code == 200
    assert AuditEvent.objects.filter(action="invite.resent").count() == 1


def test_inviting_again_skips_invited_and_joined_families(invited, client, login):
    world = invited
    Invite.objects.filter(guardian=world.ana).update(accepted_at=MORNING)
    login(world.priya)
    url = reverse("onboarding:classroom_invites", args=[world.room1.id])
    response = client.post(url, {"channels": ["sms", "email"]}, follow=True)
    assert "Everyone here has been invited already." in response.content.decode()
    response = client.post(url, {"channels": ["sms"], "guardian": world.ana.id}, follow=True)
    assert "1 family has already joined." in response.content.decode()
    assert Invite.objects.count() == 2


def test_an_invitation_never_waits_for_the_digest(
    world, client, login, django_capture_on_commit_callbacks
):
    """Three announcements today fill the daily cap; an invitation still goes at once."""
    from tests.notifications.helpers import send

    give_phones(world)
    with time_machine.travel(MORNING, tick=False):
        for _ in range(3):
            send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["sms"])
        login(world.priya)
        url = reverse("onboarding:classroom_invites", args=[world.room1.id])
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"channels": ["sms"], "guardian": world.ben.id})
    bodies = [entry.body for entry in outbox_to(PHONES["ben"])]
    assert len(bodies) == 4 and "/join/i/" in bodies[-1]


def test_families_receive_school_messages_before_they_accept(invited):
    from tests.notifications.helpers import send

    with time_machine.travel(MORNING, tick=False):
        message = send(invited.lakeside, {"type": "classrooms", "ids": [invited.room1.id]})
    assert message.recipients_count == 2
    assert not Invite.objects.filter(accepted_at__isnull=False).exists()


def test_invites_never_appear_in_the_inbox(invited, client, login):
    login(invited.ben, role="guardian")
    assert "invites you" not in client.get(reverse("notifications:inbox")).content.decode()


def test_funnel_counts_per_classroom(invited, client, login, assert_num_queries):
    world = invited
    ben_invite = Invite.objects.get(guardian=world.ben)
    Invite.objects.filter(id=ben_invite.id).update(accepted_at=MORNING)
    world.ben.last_login = MORNING
    world.ben.save(update_fields=["last_login"])
    # The outbox "delivers" at once in the embedded mode; a Twilio SMS only on its callback.
    Delivery.objects.filter(recipient=world.ana).update(status="sent", provider="twilio")
    login(world.priya)
    with time_machine.travel(MORNING + datetime.timedelta(days=1), tick=False):
        from guardians.queries.invites import get_invite_funnel
        from tenants.scope import list_scopes_for_user

        scope = list_scopes_for_user(world.priya)[0]
        with assert_num_queries(7):
            rows = get_invite_funnel(scope)
        page = client.get(reverse("onboarding:funnel"))
    figures = {
        r.classroom.name: (r.families, r.invited, r.delivered, r.accepted, r.active) for r in rows
    }
    assert figures == {"Room 1": (2, 2, 1, 1, 1), "Room 2": (1, 0, 0, 0, 0)}
    assert page.status_code == 200 and "Room 1" in page.content.decode()


def test_funnel_query_count_does_not_grow_with_classrooms(world, client, login, assert_num_queries):
    from guardians.actions import do_create_child, do_enroll_child
    from privacy.audit import Actor
    from tenants.actions import do_create_classroom
    from tenants.models import SchoolYear

    login(world.priya)
    year = SchoolYear.objects.get(district=world.lakeside, is_current=True)
    for n in range(5):
        room = do_create_classroom(
            world.a1, school_year=year, name=f"Extra {n}", actor=Actor.system()
        )
        child = do_create_child(world.a1, first_name="C", last_name=str(n), actor=Actor.system())
        do_enroll_child(child, room, actor=Actor.system())
    client.get(reverse("onboarding:funnel"))  # warm the scope cache
    with assert_num_queries(SESSION_QUERIES + 8):  # the user, and the funnel's 7
        assert client.get(reverse("onboarding:funnel")).status_code == 200


def test_classroom_invite_page_lists_families_with_their_status(invited, client, login):
    login(invited.tom)
    page = client.get(reverse("onboarding:classroom_invites", args=[invited.room1.id]))
    content = page.content.decode()
    assert page.status_code == 200
    assert "Ana Alvarez" in content and "Ben Brooks" in content and "Cal" not in content
    assert content.count("Resend") == 2


@pytest.mark.parametrize(
    "person,role,status",
    [
        ("tina", "teacher", 404),
        ("quinn", "school_admin", 404),
        ("hank", "district_admin", 404),
        ("vera", "viewer", 403),
        ("ana", "guardian", 403),
    ],
)
def test_only_staff_of_the_classroom_may_invite(world, client, login, person, role, status):
    give_phones(world)
    login(world.people[person], role=role)
    url = reverse("onboarding:classroom_invites", args=[world.room1.id])
    assert client.post(url, {"channels": ["sms"]}).status_code == status
    assert Invite.objects.count() == 0 and Message.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    url = reverse("onboarding:classroom_invites", args=[world.room1.id])
    response = client.post(url, {"channels": ["sms"]})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert Invite.objects.count() == 0

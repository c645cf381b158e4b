"""Account closure (R2), inactivity (R3) and children removed by both sides (R4), with frozen
time at every boundary."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from rest_framework.authtoken.models import Token

from guardians.models import Child, GuardianLink, Invite
from notifications import fanout
from notifications.actions import do_queue_message
from notifications.models import Delivery, Kind, Message
from privacy.audit import Actor
from privacy.lifecycle import do_close_account, schedule_child_deletions
from privacy.models import LifecycleTimer
from privacy.timers import sweep
from tenants.models import User

T0 = datetime.datetime(2026, 1, 5, 15, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
SYSTEM = Actor.system()


def at(moment):
    return time_machine.travel(moment, tick=False)


def announce(world, when):
    """An announcement to every family of Room 1, fanned out at `when`."""
    with at(when):
        message = do_queue_message(
            world.lakeside,
            kind=Kind.ANNOUNCEMENT,
            audience={"type": "classrooms", "ids": [world.room1.id]},
            content={"en": {"subject": "Trip", "body": "Trip on Friday"}},
            channels=["email"],
            is_urgent=True,
            actor=SYSTEM,
        )
        fanout.fan_out(message.id, now=when)
    return set(Delivery.objects.filter(message=message).values_list("recipient_id", flat=True))


# --- R2 -------------------------------------------------------------------------------------


def test_R2_closed_account_is_deactivated_at_once_then_deleted_after_the_hold(world, client):
    ana = world.ana
    client.force_login(ana)
    Token.objects.create(user=ana)
    with at(T0 - DAY):
        invite = Invite.objects.create(
            district=world.lakeside, guardian=ana, token_hash="x" * 64, expires_at=T0 + 10 * DAY
        )
        pending = do_queue_message(
            world.lakeside,
            kind=Kind.ANNOUNCEMENT,
            audience={"type": "classrooms", "ids": [world.room1.id]},
            content={"en": {"subject": "Later", "body": "Held for later"}},
            channels=["email"],
            scheduled_for=None,
            actor=SYSTEM,
        )
        fanout.fan_out(pending.id, now=T0 - DAY)
    Delivery.objects.filter(message=pending).update(status=Delivery.Status.PENDING)

    with at(T0):
        timer = do_close_account(ana, district=world.lakeside, actor=Actor(user=ana))
    ana.refresh_from_db()
    assert ana.is_active is False
    assert timer.due_at == T0 + 90 * DAY
    # Stop every message: the queued one is cancelled, and a new one leaves them out.
    assert Delivery.objects.get(message=pending, recipient=ana).status == "cancelled"
    assert ana.id not in announce(world, T0 + DAY)
    assert world.ben.id in announce(world, T0 + DAY)
    assert Invite.objects.get(id=invite.id).revoked_at == T0
    assert not Token.objects.filter(user=ana).exists()
    # The session no longer signs them in.
    assert client.get(reverse("guardians:home")).status_code == 302

    sweep(now=T0 + 89 * DAY)
    assert User.objects.filter(id=ana.id).exists()
    result = sweep(now=T0 + 90 * DAY)
    assert dict(result.counts) == {"account_deletion:deleted": 1}
    assert not User.objects.filter(id=ana.id).exists()
    assert not GuardianLink.objects.filter(guardian_id=ana.id).exists()
    assert sweep(now=T0 + 91 * DAY).counts == {}


def test_R2_reopened_during_the_hold_is_not_deleted(world):
    from privacy.lifecycle import do_reopen_account

    with at(T0):
        do_close_account(world.ana, district=world.lakeside, actor=SYSTEM)
    with at(T0 + 10 * DAY):
        do_reopen_account(world.ana, district=world.lakeside, actor=Actor(user=world.priya))
    assert sweep(now=T0 + 95 * DAY).counts.get("account_deletion:deleted") is None
    assert User.objects.get(id=world.ana.id).is_active is True


# --- R3 -------------------------------------------------------------------------------------


def sign_in(client, user, when):
    with at(when):
        client.force_login(user)  # sends user_logged_in, as every way of signing in does
    user.refresh_from_db()


def inactivity_timers(user):
    return dict(
        LifecycleTimer.objects.filter(subject_id=user.id, state="pending").values_list(
            "kind", "due_at"
        )
    )


def notices_to(user):
    return Message.objects.filter(kind=Kind.PRIVACY_NOTICE, audience__ids=[user.id])


def test_R3_inactivity_notice_at_11_months_closure_at_12(world, client):
    sign_in(client, world.ana, T0)
    closure = datetime.datetime(2027, 1, 5, 15, 0, tzinfo=datetime.UTC)
    assert inactivity_timers(world.ana) == {
        "inactivity_notice": closure - 30 * DAY,
        "inactivity_closure": closure,
    }
    sweep(now=closure - 31 * DAY)
    assert notices_to(world.ana).count() == 0
    result = sweep(now=closure - 30 * DAY)
    assert dict(result.counts) == {"inactivity_notice:notified": 1}
    notice = notices_to(world.ana).get()
    assert notice.is_required is True
    assert notice.content["en"]["subject"] == "Your Engage account will close on Jan. 5, 2027"
    assert "5 de enero de 2027" in notice.content["es"]["body"]
    sweep(now=closure - DAY)
    assert User.objects.get(id=world.ana.id).is_active is True
    result = sweep(now=closure)
    assert dict(result.counts) == {"inactivity_closure:closed": 1}
    assert User.objects.get(id=world.ana.id).is_active is False
    assert LifecycleTimer.objects.get(kind="account_deletion").due_at == closure + 90 * DAY


def test_R3_signing_in_resets_the_clock(world, client):
    sign_in(client, world.ana, T0)
    later = T0 + 300 * DAY
    sign_in(client, world.ana, later)
    old_closure = datetime.datetime(2027, 1, 5, 15, 0, tzinfo=datetime.UTC)
    assert sweep(now=old_closure).counts == {}  # nothing due any more
    new_closure = datetime.datetime(2027, 11, 1, 15, 0, tzinfo=datetime.UTC)
    assert inactivity_timers(world.ana)["inactivity_closure"] == new_closure
    assert User.objects.get(id=world.ana.id).is_active is True


def test_R3_a_late_timer_for_someone_who_signed_in_since_does_nothing(world, client):
    """A clock moved by a sign-in that raced a sweep: the handler re-checks last sign-in."""
    sign_in(client, world.ana, T0)
    User.objects.filter(id=world.ana.id).update(last_login=T0 + 200 * DAY)
    result = sweep(now=T0 + 366 * DAY)
    assert dict(result.counts) == {
        "inactivity_notice:skipped": 1,
        "inactivity_closure:skipped": 1,
    }
    assert notices_to(world.ana).count() == 0
    assert User.objects.get(id=world.ana.id).is_active is True


def test_R3_staff_who_are_parents_and_contacts_who_never_joined_have_no_clock(world, client):
    sign_in(client, world.tess, T0)  # a teacher at Hillcrest and a mother at Lakeside
    assert inactivity_timers(world.tess) == {}
    from privacy.lifecycle import schedule_inactivity_timers

    User.objects.filter(id=world.ben.id).update(last_login=T0)
    assert schedule_inactivity_timers(world.lakeside.id, now=T0) == 1  # ben; ana never signed in
    assert set(inactivity_timers(world.ben)) == {"inactivity_notice", "inactivity_closure"}


# --- R4 -------------------------------------------------------------------------------------


def remove_by_school(child, when):
    Child.objects.filter(id=child.id).update(is_active=False, removed_at=when)


def remove_by_guardians(child):
    GuardianLink.objects.filter(child_id=child.id).update(is_active=False)


def test_R4_child_removed_by_the_school_only_stays_for_the_family(world):
    remove_by_school(world.noah, T0)
    assert schedule_child_deletions(world.lakeside.id, now=T0 + 200 * DAY) == {
        "started": 0,
        "stopped": 0,
    }
    sweep(now=T0 + 400 * DAY)
    assert Child.objects.filter(id=world.noah.id).exists()


def test_R4_child_removed_by_the_family_only_stays_for_the_school(world):
    remove_by_guardians(world.noah)
    assert schedule_child_deletions(world.lakeside.id, now=T0)["started"] == 0
    assert Child.objects.get(id=world.noah.id).is_active is True


def test_R4_child_removed_by_both_is_deleted_90_days_after_the_last_removal(world):
    remove_by_school(world.noah, T0)
    removed_by_family = T0 + 10 * DAY
    remove_by_guardians(world.noah)
    assert schedule_child_deletions(world.lakeside.id, now=removed_by_family) == {
        "started": 1,
        "stopped": 0,
    }
    timer = LifecycleTimer.objects.get(kind="child_deletion")
    assert timer.due_at == removed_by_family + 90 * DAY
    sweep(now=removed_by_family + 89 * DAY)
    assert Child.objects.filter(id=world.noah.id).exists()
    result = sweep(now=removed_by_family + 90 * DAY)
    assert dict(result.counts) == {"child_deletion:deleted": 1}
    assert not Child.objects.filter(id=world.noah.id).exists()
    assert not GuardianLink.objects.filter(child_id=world.noah.id).exists()


def test_R4_a_school_that_tightened_the_window_deletes_sooner(world):
    from privacy.models import PrivacySettings

    PrivacySettings.objects.create(
        district=world.lakeside, school=world.a1, values={"removed_child_days": 30}
    )
    remove_by_school(world.noah, T0)
    remove_by_guardians(world.noah)
    schedule_child_deletions(world.lakeside.id, now=T0)
    assert LifecycleTimer.objects.get(kind="child_deletion").due_at == T0 + 30 * DAY


def test_R4_a_child_taken_back_before_the_end_is_kept(world):
    remove_by_school(world.noah, T0)
    remove_by_guardians(world.noah)
    schedule_child_deletions(world.lakeside.id, now=T0)
    GuardianLink.objects.filter(child_id=world.noah.id).update(is_active=True)
    assert schedule_child_deletions(world.lakeside.id, now=T0 + DAY) == {"started": 0, "stopped": 1}
    sweep(now=T0 + 100 * DAY)
    assert Child.objects.filter(id=world.noah.id).exists()


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    translation.activate("en")


# --- R13 ------------------------------------------------------------------------------------


def test_R13_restriction_stops_what_was_already_waiting_but_privacy_notices(world):
    from privacy.requests import do_restrict_processing

    waiting = {}
    for kind in ("announcement", "privacy_notice"):
        message = Message.objects.create(
            district=world.lakeside,
            kind=kind,
            audience={"type": "people", "ids": [world.ben.id]},
            content={"en": {"body": "x"}},
            channels=["sms"],
        )
        waiting[kind] = Delivery.objects.create(
            district=world.lakeside,
            message=message,
            recipient=world.ben,
            channel="sms",
            address="+15550001234",
            status=Delivery.Status.HELD,
        )
    do_restrict_processing(world.ben, world.lakeside, actor=Actor(user=world.ben))
    statuses = {k: Delivery.objects.get(id=d.id).status for k, d in waiting.items()}
    assert statuses == {"announcement": "cancelled", "privacy_notice": "held"}

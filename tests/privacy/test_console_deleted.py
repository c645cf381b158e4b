"""The privacy console's deleted items: what can still be restored, and restoring it (R1)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from guardians.models import Child, GuardianLink
from privacy.audit import Actor
from privacy.lifecycle import do_delete_with_restore
from privacy.models import Archive, AuditEvent, LifecycleTimer
from tenants.actions import do_create_user
from tests.counts import SESSION_QUERIES
from tests.tenants.test_cross_tenant_sweep import row_counts

MONDAY = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)
LIST = "privacy:console_deleted"


def _delete_child(world, child, by, *, when=MONDAY, reason="added twice"):
    with time_machine.travel(when, tick=False):
        return do_delete_with_restore(
            child,
            kind=Archive.Kind.CHILD,
            district_id=child.district_id,
            school_id=child.school_id,
            actor=Actor(user=by),
            reason=reason,
        )


def _delete_account(world, user, by, *, when=MONDAY):
    with time_machine.travel(when, tick=False):
        return do_delete_with_restore(
            user,
            kind=Archive.Kind.ACCOUNT,
            district_id=world.lakeside.id,
            school_id=None,
            actor=Actor(user=by),
            reason="duplicate account",
        )


def _rows(response):
    return [
        (a.get_kind_display(), a.what, str(a.deleted_by), a.reason, a.days_left)
        for a in response.context["page"]
    ]


def _get(client, url, when=MONDAY + datetime.timedelta(days=2)):
    with time_machine.travel(when, tick=False):
        return client.get(url)


def test_school_admin_lists_what_their_school_can_restore(world, client, login):
    _delete_child(world, world.noah, world.priya)
    _delete_child(world, world.leo, world.quinn)  # Lakeside Middle's
    _delete_account(world, world.cal, world.dana)  # an account: the district's
    login(world.priya)
    response = _get(client, reverse(LIST))
    assert _rows(response) == [
        (
            "Child",
            [("Child", 1), ("Enrollment", 1), ("Guardian link", 1)],
            "Priya Patel",
            "added twice",
            28,
        )
    ]
    page = response.content.decode()
    assert "Noah" not in page  # counts, not content
    assert "28 days left" in page


def test_district_admin_lists_every_school_and_accounts(world, client, login):
    _delete_child(world, world.noah, world.priya)
    _delete_child(world, world.leo, world.quinn, when=MONDAY - datetime.timedelta(days=5))
    _delete_account(world, world.cal, world.dana, when=MONDAY + datetime.timedelta(days=1))
    login(world.dana)
    response = _get(client, reverse(LIST))
    assert [(row[0], row[2], row[4]) for row in _rows(response)] == [
        ("Child", "Quinn Quade", 23),
        ("Child", "Priya Patel", 28),
        ("Account", "Dana Diaz", 29),
    ]
    assert "Lakeside Middle" in response.content.decode()
    login(world.hank)
    assert _rows(_get(client, reverse(LIST))) == []


def test_items_past_their_window_are_no_longer_listed(world, client, login):
    _delete_child(world, world.noah, world.priya)
    with time_machine.travel(MONDAY + datetime.timedelta(days=29), tick=False):
        login(world.priya)  # sessions last 14 days
    day_29 = _get(client, reverse(LIST), MONDAY + datetime.timedelta(days=29))
    assert [row[4] for row in _rows(day_29)] == [1]
    last_hour = _get(client, reverse(LIST), MONDAY + datetime.timedelta(days=29, hours=23))
    assert [row[4] for row in _rows(last_hour)] == [0]
    assert "Due today" in last_hour.content.decode()
    day_30 = _get(client, reverse(LIST), MONDAY + datetime.timedelta(days=30, seconds=1))
    assert _rows(day_30) == []


def test_R1_restore_from_the_console(world, client, login):
    noah_id, link_id = world.noah.id, GuardianLink.objects.get(child=world.noah).id
    archive = _delete_child(world, world.noah, world.priya)
    assert not Child.objects.filter(id=noah_id).exists()
    login(world.priya)
    with time_machine.travel(MONDAY + datetime.timedelta(days=3), tick=False):
        response = client.post(
            reverse("privacy:console_restore", args=[archive.id]),
            REMOTE_ADDR="198.51.100.2",
            follow=True,
        )
    assert response.redirect_chain == [(reverse(LIST), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Restored: everything deleted with it is back."
    ]
    noah = Child.objects.get(id=noah_id)
    assert (noah.first_name, noah.pupil_number, noah.school_id) == ("Noah", "P-NOAH", world.a1.id)
    assert GuardianLink.objects.get(id=link_id).guardian == world.ben
    archive.refresh_from_db()
    assert (archive.state, archive.restored_by, archive.restored_at) == (
        "restored",
        world.priya,
        MONDAY + datetime.timedelta(days=3),
    )
    timer = LifecycleTimer.objects.get(kind="archive_purge", subject_id=archive.id)
    assert timer.state == "cancelled"
    event = AuditEvent.objects.get(action="child.restored")
    assert (event.actor, event.school_id, event.ip_address) == (
        world.priya,
        world.a1.id,
        "198.51.100.2",
    )
    assert _rows(response) == []


def test_R1_a_restore_that_would_collide_says_why_and_changes_nothing(world, client, login):
    archive = _delete_account(world, world.cal, world.dana)
    do_create_user(email="cal@example.org", first_name="Someone", actor=Actor.system())
    login(world.dana)
    before = row_counts()
    response = client.post(reverse("privacy:console_restore", args=[archive.id]), follow=True)
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith(
        "It cannot be restored: something created since uses the same details"
    )
    assert row_counts() == before
    archive.refresh_from_db()
    assert archive.state == "archived"


def test_R1_restore_after_the_window_is_refused(world, client, login):
    archive = _delete_child(world, world.noah, world.priya)
    with time_machine.travel(MONDAY + datetime.timedelta(days=31), tick=False):
        login(world.priya)
        response = client.post(reverse("privacy:console_restore", args=[archive.id]), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["The restore window has passed."]
    assert not Child.objects.filter(id=world.noah.id).exists()


@pytest.mark.parametrize("person", ["quinn", "hope", "hank"])
def test_another_schools_archive_is_404_and_stays_deleted(world, client, login, person):
    archive = _delete_child(world, world.noah, world.priya)
    login(world.people[person])
    before = row_counts()
    assert client.post(reverse("privacy:console_restore", args=[archive.id])).status_code == 404
    assert row_counts() == before


def test_the_restore_route_answers_only_post(world, client, login):
    archive = _delete_child(world, world.noah, world.priya)
    login(world.priya)
    assert client.get(reverse("privacy:console_restore", args=[archive.id])).status_code == 405


def test_deleted_list_query_count_is_fixed(world, client, login, assert_num_queries):
    """The count and the archives with who deleted them and the school (dana: no school)."""
    _delete_child(world, world.noah, world.priya)
    login(world.dana)
    _get(client, reverse(LIST))
    with assert_num_queries(SESSION_QUERIES + 2):
        _get(client, reverse(LIST))
    _delete_child(world, world.leo, world.quinn)
    _delete_child(world, world.ivy, world.priya)
    _delete_account(world, world.cal, world.dana)
    with assert_num_queries(SESSION_QUERIES + 2):
        response = _get(client, reverse(LIST))
    assert len(response.context["page"]) == 4

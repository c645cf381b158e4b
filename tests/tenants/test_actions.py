"""Actions copy tenant columns from parents and audit in the same transaction."""

import pytest
from django.db import transaction

from guardians.actions import do_link_guardian
from guardians.models import GuardianLink
from privacy.audit import Actor
from privacy.models import AuditEvent
from tenants.actions import ActionError, do_add_membership, do_create_classroom, do_grant_role
from tenants.models import Membership, Role, SchoolYear
from tenants.scope import list_scopes_for_user


def test_classroom_takes_district_from_its_school(world):
    year = SchoolYear.objects.get(district=world.hillcrest, is_current=True)
    room = do_create_classroom(world.b1, school_year=year, name="H9", actor=Actor.system())
    assert (room.district_id, room.school_id) == (world.hillcrest.id, world.b1.id)


def test_classroom_refuses_a_school_year_of_another_district(world):
    year = SchoolYear.objects.get(district=world.hillcrest, is_current=True)
    with pytest.raises(ActionError):
        do_create_classroom(world.a1, school_year=year, name="X", actor=Actor.system())


def test_linking_a_guardian_audits_and_grants_the_guardian_role(world):
    actor = Actor(user=world.priya, ip="203.0.113.9")
    link = do_link_guardian(world.noah, world.dee, actor=actor)
    assert link.district_id == world.lakeside.id
    event = AuditEvent.objects.get(action="guardian.linked", target_id=str(link.id))
    assert (event.actor_id, event.district_id, event.school_id, event.ip_address) == (
        world.priya.id,
        world.lakeside.id,
        world.a1.id,
        "203.0.113.9",
    )
    assert [s.role for s in list_scopes_for_user(world.dee)] == [Role.GUARDIAN, Role.GUARDIAN]


def test_audit_rolls_back_with_the_change(world):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        do_link_guardian(world.noah, world.dee, actor=Actor.system())
        raise RuntimeError("boom")
    assert AuditEvent.objects.count() == before
    assert not GuardianLink.objects.filter(guardian=world.dee, child=world.noah).exists()


def test_teacher_role_needs_a_classroom(world):
    with pytest.raises(ActionError):
        do_add_membership(
            world.ben,
            role=Role.TEACHER,
            district=world.lakeside,
            school=world.a1,
            actor=Actor.system(),
        )


def test_district_admin_grants_across_schools_but_not_other_districts(world):
    (scope,) = list_scopes_for_user(world.dana)
    membership = do_grant_role(
        scope, world.ben, role=Role.STAFF, school=world.a2, actor=Actor(user=world.dana)
    )
    assert (membership.district_id, membership.school_id) == (world.lakeside.id, world.a2.id)
    with pytest.raises(ActionError):
        do_grant_role(
            scope,
            world.ben,
            role=Role.TEACHER,
            classroom=world.roomh1,
            actor=Actor(user=world.dana),
        )
    assert not Membership.objects.filter(user=world.ben, classroom=world.roomh1).exists()


def test_membership_grant_is_idempotent(world):
    first = do_add_membership(
        world.ben, role=Role.VIEWER, district=world.lakeside, actor=Actor.system()
    )
    again = do_add_membership(
        world.ben, role=Role.VIEWER, district=world.lakeside, actor=Actor.system()
    )
    assert first.id == again.id
    assert (
        AuditEvent.objects.filter(action="membership.granted", target_id=str(first.id)).count() == 1
    )


def test_phone_numbers_are_stored_in_e164(db):
    from tenants.actions import do_create_user

    user = do_create_user(phone="(312) 555-0142", actor=Actor.system())
    assert user.phone == "+13125550142"
    with pytest.raises(ActionError):
        do_create_user(phone="12", actor=Actor.system())


def test_views_run_in_the_schools_timezone(world, rf):
    from django.http import HttpResponse
    from django.utils import timezone

    from tenants.middleware import _RequestScope
    from tenants.views_base import scoped_view

    @scoped_view("school:view")
    def probe(request, scope):
        return HttpResponse(str(timezone.get_current_timezone()))

    request = rf.get("/")
    request.user, request.session = world.hope, {}
    request.engage = _RequestScope(request)
    assert probe(request).content == b"Europe/London"
    assert str(timezone.get_current_timezone()) == "UTC"


def test_client_ip_behind_trusted_proxies(rf, settings):
    from privacy.audit import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7, 10.0.0.1")
    assert client_ip(request) == "10.0.0.2"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "10.0.0.1"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "198.51.100.7"

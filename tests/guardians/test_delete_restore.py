"""School and district admins delete a child or a guardian's account; it can be restored exactly
from the privacy console within the restore window (PROMISES R1)."""

import pytest
from django.urls import reverse

from guardians.models import Child, GuardianLink
from privacy.audit import Actor
from privacy.lifecycle import do_restore
from privacy.models import Archive, AuditEvent, LifecycleTimer
from tenants.models import Role, User

pytestmark = pytest.mark.django_db


def test_R1_a_school_admin_deletes_a_child_and_the_console_restores_them(world, client, login):
    login(world.priya)
    url = reverse("manage:child_delete", args=[world.noah.id])
    page = client.get(url).content.decode()
    assert "for 30 days" in page
    assert client.post(url, {"reason": ""}).status_code == 200  # a reason is needed
    assert Child.objects.filter(id=world.noah.id).exists()
    response = client.post(url, {"reason": "added twice by mistake"})
    assert response.status_code == 302
    assert not Child.objects.filter(id=world.noah.id).exists()
    assert not GuardianLink.objects.filter(child_id=world.noah.id).exists()
    archive = Archive.objects.get()
    assert (archive.kind, archive.school_id, archive.reason) == (
        "child",
        world.a1.id,
        "added twice by mistake",
    )
    assert archive.deleted_by_id == world.priya.id
    assert LifecycleTimer.objects.get(kind="archive_purge").subject_id == archive.id
    do_restore(archive, actor=Actor(user=world.priya))
    noah = Child.objects.get(id=world.noah.id)
    assert (noah.first_name, noah.school_id) == ("Noah", world.a1.id)
    assert GuardianLink.objects.filter(child=noah, guardian=world.ben).exists()


def test_R1_an_account_that_serves_only_this_school_is_deleted(world, client, login):
    login(world.priya)
    response = client.post(
        reverse("manage:guardian_delete", args=[world.ben.id]), {"reason": "left the area"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(id=world.ben.id).exists()
    assert Archive.objects.get().kind == "account"


def test_an_account_used_elsewhere_is_not_deleted_from_one_school(world, client, login):
    # Ana has children at Lakeside Elementary and Lakeside Middle: Priya's school is one of two.
    login(world.priya)
    url = reverse("manage:guardian_delete", args=[world.ana.id])
    assert "also used elsewhere" in client.get(url).content.decode()
    client.post(url, {"reason": "x"})
    assert User.objects.filter(id=world.ana.id).exists()
    assert not Archive.objects.exists()
    # The district admin covers both schools.
    login(world.dana)
    client.post(url, {"reason": "asked by the family"})
    assert not User.objects.filter(id=world.ana.id).exists()


def test_a_teacher_mother_keeps_her_account(world, client, login):
    from guardians.actions import do_link_guardian

    do_link_guardian(world.noah, world.tess, actor=Actor.system())  # a Hillcrest teacher
    login(world.priya)
    client.post(reverse("manage:guardian_delete", args=[world.tess.id]), {"reason": "x"})
    assert User.objects.filter(id=world.tess.id).exists()


@pytest.mark.parametrize(
    ("person", "role", "status"),
    [
        ("tom", Role.TEACHER, 403),
        ("ana", Role.GUARDIAN, 403),
        ("vera", Role.VIEWER, 403),
        ("quinn", Role.SCHOOL_ADMIN, 404),  # another school
        ("hank", Role.DISTRICT_ADMIN, 404),  # another district
    ],
)
def test_others_cannot_delete_and_nothing_is_written(world, client, login, person, role, status):
    login(world.people[person], role=role)
    audit_before = AuditEvent.objects.count()
    for url in (
        reverse("manage:child_delete", args=[world.noah.id]),
        reverse("manage:guardian_delete", args=[world.ben.id]),
    ):
        assert client.post(url, {"reason": "x"}).status_code == status
    assert Child.objects.filter(id=world.noah.id).exists()
    assert User.objects.filter(id=world.ben.id).exists()
    assert not Archive.objects.exists()
    assert AuditEvent.objects.count() == audit_before

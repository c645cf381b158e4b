"""People management, guardians: list, edit (verified contacts protected) and remove from school."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from guardians.models import GuardianLink
from privacy.audit import Actor
from privacy.models import AuditEvent
from tenants.actions import do_create_user
from tenants.models import Membership, Role, User
from tests.tenants.test_cross_tenant_sweep import row_counts

SYSTEM = Actor.system()


def _rows(response):
    return [
        (str(g), [link.child.first_name for link in g.scope_links])
        for g in response.context["page"]
    ]


def _edit(client, guardian, **changes):
    data = {
        "first_name": guardian.first_name,
        "last_name": guardian.last_name,
        "email": guardian.email or "",
        "phone": guardian.phone or "",
        "preferred_language": guardian.preferred_language,
        **changes,
    }
    return client.post(reverse("manage:guardian_edit", args=[guardian.id]), data)


# --- the list --------------------------------------------------------------------------------


def test_school_admin_lists_the_guardians_of_their_schools_children(world, client, login):
    login(world.priya)
    response = client.get(reverse("manage:guardian_list"))
    assert response.status_code == 200
    # Ana's Leo is at Lakeside Middle: not shown to Lakeside Elementary's admin.
    assert _rows(response) == [
        ("Ana Alvarez", ["Mia"]),
        ("Cal Alvarez", ["Mia"]),
        ("Ben Brooks", ["Noah"]),
        ("Tess Taylor", ["Ivy"]),
    ]


def test_district_admin_sees_each_guardian_with_all_their_children(world, client, login):
    login(world.dana)
    rows = _rows(client.get(reverse("manage:guardian_list")))
    assert rows[0] == ("Ana Alvarez", ["Leo", "Mia"])
    assert [name for name, _children in rows] == [
        "Ana Alvarez",
        "Cal Alvarez",
        "Ben Brooks",
        "Tess Taylor",
    ]


def test_teacher_sees_the_guardians_of_their_classroom(world, client, login):
    login(world.tina)
    assert _rows(client.get(reverse("manage:guardian_list"))) == [("Tess Taylor", ["Ivy"])]
    assert client.get(reverse("manage:guardian_detail", args=[world.ben.id])).status_code == 404


@pytest.mark.parametrize(
    "q,expected",
    [
        ("brooks", ["Ben Brooks"]),
        ("ana alv", ["Ana Alvarez"]),
        ("tess@example", ["Tess Taylor"]),
        ("312 555 0199", ["Ben Brooks"]),
        ("dee", []),
    ],
)
def test_search_by_name_email_or_mobile(world, client, login, q, expected):
    world.ben.phone = "+13125550199"
    world.ben.save(update_fields=["phone"])
    login(world.priya)
    response = client.get(reverse("manage:guardian_list"), {"q": q})
    assert [name for name, _children in _rows(response)] == expected


def test_guardian_list_query_count_does_not_grow(world, client, login, assert_num_queries):
    login(world.priya)
    url = reverse("manage:guardian_list")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for i in range(6):
        child = do_create_child(world.a1, first_name=f"Kid{i}", last_name="Zed", actor=SYSTEM)
        do_enroll_child(child, world.room1, actor=SYSTEM)
        for j in range(2):
            parent = do_create_user(email=f"p{i}-{j}@example.org", actor=SYSTEM)
            do_link_guardian(child, parent, actor=SYSTEM)
        do_link_guardian(child, world.ben, actor=SYSTEM)
    with assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.context["page"].paginator.count == 16


# --- who may ---------------------------------------------------------------------------------


def test_V4_role_matrix(world, client, login):
    urls = {
        "list": reverse("manage:guardian_list"),
        "detail": reverse("manage:guardian_detail", args=[world.ben.id]),
        "edit": reverse("manage:guardian_edit", args=[world.ben.id]),
        "remove": reverse("manage:guardian_remove", args=[world.ben.id]),
    }
    for url in urls.values():
        assert client.get(url)["Location"] == f"/accounts/login/?next={url}"
    expected = {
        ("ana", Role.GUARDIAN): {"list": 403, "detail": 403, "edit": 403, "remove": 403},
        ("vera", Role.VIEWER): {"list": 403, "detail": 403, "edit": 403, "remove": 403},
        ("tom", Role.TEACHER): {"list": 200, "detail": 200, "edit": 403, "remove": 403},
        ("priya", Role.SCHOOL_ADMIN): {"list": 200, "detail": 200, "edit": 200, "remove": 200},
        ("dana", Role.DISTRICT_ADMIN): {"list": 200, "detail": 200, "edit": 200, "remove": 200},
        ("quinn", Role.SCHOOL_ADMIN): {"list": 200, "detail": 404, "edit": 404, "remove": 404},
        ("hank", Role.DISTRICT_ADMIN): {"list": 200, "detail": 404, "edit": 404, "remove": 404},
    }
    before = _counts_without_sessions()
    for (person, role), statuses in expected.items():
        login(world.people[person], role=role)
        got = {name: client.get(url).status_code for name, url in urls.items()}
        assert got == statuses, person
        if statuses["edit"] != 200:
            assert _edit(client, world.ben, first_name="Hacked").status_code == statuses["edit"]
            response = client.post(urls["remove"])
            assert response.status_code == statuses["remove"]
    assert _counts_without_sessions() == before
    world.ben.refresh_from_db()
    assert world.ben.first_name == "Ben"


def _counts_without_sessions():
    """Row counts, less what signing in itself writes: the session, the inactivity clock a
    guardian's sign-in restarts (privacy.lifecycle, PROMISES R3), and the dashboards' count of
    active families (dashboards.actions.record_sign_in)."""
    signing_in = {
        "sessions.Session",
        "privacy.LifecycleTimer",
        "dashboards.FamilyPeriod",
        "dashboards.FamilyState",
        "dashboards.PeriodStats",
    }
    return {k: v for k, v in row_counts().items() if k not in signing_in}


# --- edit ------------------------------------------------------------------------------------


def test_editing_a_guardian_normalises_the_phone_and_audits(world, client, login):
    login(world.priya)
    response = _edit(
        client,
        world.ben,
        first_name="Benjamin",
        email="benjamin@example.org",
        phone="(312) 555-0142",
        preferred_language="es",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:guardian_detail", args=[world.ben.id])
    ben = User.objects.get(id=world.ben.id)
    assert (ben.first_name, ben.email, ben.phone, ben.preferred_language) == (
        "Benjamin",
        "benjamin@example.org",
        "+13125550142",
        "es",
    )
    event = AuditEvent.objects.get(action="guardian.updated")
    assert (event.actor_id, event.target_id, event.district_id, event.school_id) == (
        world.priya.id,
        str(ben.id),
        world.lakeside.id,
        world.a1.id,
    )
    assert event.metadata == {"fields": ["email", "first_name", "phone", "preferred_language"]}


def test_a_verified_contact_shows_as_such_and_cannot_be_changed(world, client, login):
    world.ana.email_verified = True
    world.ana.phone = "+13125550100"
    world.ana.phone_verified = True
    world.ana.save(update_fields=["email_verified", "phone", "phone_verified"])
    login(world.priya)
    page = client.get(reverse("manage:guardian_edit", args=[world.ana.id]))
    assert page.content.decode().count("Confirmed by the guardian: only they can change it.") == 2
    assert b"readonly" in page.content
    before = row_counts()
    response = _edit(client, world.ana, email="someone-else@example.org", first_name="Anita")
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["The guardian confirmed this email address; only they can change it."]
    }
    response = _edit(client, world.ana, phone="(312) 555-0101")
    assert response.context["form"].errors == {
        "phone": ["The guardian confirmed this mobile number; only they can change it."]
    }
    assert row_counts() == before
    ana = User.objects.get(id=world.ana.id)
    assert (ana.first_name, ana.email, ana.phone) == ("Ana", "ana@example.org", "+13125550100")
    # The rest of the record can still be corrected, the verified contacts kept as they are.
    assert _edit(client, world.ana, first_name="Anita").status_code == 302
    assert User.objects.get(id=world.ana.id).first_name == "Anita"


@pytest.mark.parametrize(
    "changes,field,message",
    [
        (
            {"phone": "12345"},
            "phone",
            "That mobile number is not valid. Include the area code, e.g. (312) 555-0142.",
        ),
        ({"email": "ana@example.org"}, "email", "Another person already uses that email address."),
        ({"email": "ANA@example.org"}, "email", "Another person already uses that email address."),
        ({"phone": "+1 312 555 0177"}, "phone", "Another person already uses that mobile number."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        (
            {"email": "", "phone": ""},
            "__all__",
            "Give an email address or a mobile number (or both).",
        ),
    ],
)
def test_bad_contacts_are_refused_and_nothing_is_written(
    world, client, login, changes, field, message
):
    world.cal.phone = "+13125550177"
    world.cal.save(update_fields=["phone"])
    login(world.priya)
    before = row_counts()
    response = _edit(client, world.ben, **changes)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert row_counts() == before
    assert User.objects.get(id=world.ben.id).email == "ben@example.org"


def test_staff_cannot_change_the_sign_in_of_someone_with_other_roles(world, client, login):
    login(world.priya)  # Tess is Ivy's mother here and a teacher in Hillcrest
    response = _edit(client, world.tess, email="tess.new@example.org")
    assert response.context["form"].errors == {
        "email": ["This person signs in to Engage for other roles too; only they can change how."]
    }
    assert User.objects.get(id=world.tess.id).email == "tess@example.org"


def test_staff_cannot_change_the_contact_of_a_guardian_who_signs_in(world, client, login):
    """Their contact is how they sign in: changing it would hand over the account."""
    User.objects.filter(id=world.ben.id).update(last_login="2026-11-01T10:00:00Z")
    login(world.priya)
    response = _edit(client, world.ben, email="someone.else@example.org")
    assert response.context["form"].errors == {
        "email": ["This guardian already signs in to Engage; only they can change their contacts."]
    }
    assert User.objects.get(id=world.ben.id).email == "ben@example.org"


def test_a_school_admin_cannot_change_the_contact_of_a_family_of_another_school_too(
    world, client, login
):
    login(world.priya)  # Ana also has Leo at Lakeside Middle
    response = _edit(client, world.ana, email="ana.new@example.org")
    assert response.context["form"].errors == {
        "email": [
            "This guardian also has children at another school; ask the district to change it."
        ]
    }
    login(world.dana)  # the district admin's scope covers both schools
    assert _edit(client, world.ana, email="ana.new@example.org").status_code == 302
    assert User.objects.get(id=world.ana.id).email == "ana.new@example.org"


def test_a_platform_operator_is_never_linked_or_changed_by_school_staff(world, client, login):
    root = User.objects.create_superuser(email="root@engage.example", password="x" * 16)
    login(world.priya)
    response = client.post(
        reverse("manage:link_add", args=[world.ivy.id]),
        {
            "email": "root@engage.example",
            "relationship": "father",
            "contact_role": "primary",
            "preferred_language": "en",
        },
    )
    assert response.status_code == 200
    assert "belongs to an Engage account in another district" in response.content.decode()
    assert not GuardianLink.objects.filter(guardian=root).exists()


# --- remove from the school ------------------------------------------------------------------


def test_removing_a_guardian_ends_their_links_here_only(world, client, login):
    login(world.priya)
    url = reverse("manage:guardian_remove", args=[world.ana.id])
    assert b"Remove Ana Alvarez from the school?" in client.get(url).content
    response = client.post(url)
    assert response["Location"] == reverse("manage:guardian_list")
    links = GuardianLink.objects.filter(guardian=world.ana).order_by("id")
    assert [(link.child.first_name, link.is_active) for link in links] == [
        ("Mia", False),
        ("Leo", True),  # at Lakeside Middle, outside this admin's school
    ]
    assert Membership.objects.filter(user=world.ana, role=Role.GUARDIAN, is_active=True).exists()
    removed = AuditEvent.objects.get(action="guardian.removed")
    assert (removed.target_id, removed.school_id, removed.metadata) == (
        str(world.ana.id),
        world.a1.id,
        {"guardian_link_ids": [links[0].id]},
    )
    assert AuditEvent.objects.filter(action="guardian.unlinked", actor=world.priya).count() == 1
    assert client.get(reverse("manage:guardian_detail", args=[world.ana.id])).status_code == 404


def test_a_guardian_removed_from_their_only_school_keeps_the_account(world, client, login):
    login(world.priya)
    client.post(reverse("manage:guardian_remove", args=[world.ben.id]))
    ben = User.objects.get(id=world.ben.id)
    assert ben.is_active is True
    assert not GuardianLink.objects.filter(guardian=ben, is_active=True).exists()
    membership = Membership.objects.get(user=ben, role=Role.GUARDIAN)
    assert membership.is_active is False and membership.revoked_at is not None
    client.force_login(ben)
    assert client.get("/").status_code == 403  # signs in, with no role left: no family page

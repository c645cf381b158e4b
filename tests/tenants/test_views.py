"""Tenant pages: the happy path with exact values, a role matrix, and query counts."""

import pytest
from django.urls import reverse

from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from privacy.audit import Actor
from privacy.models import AuditEvent
from tenants.actions import do_add_membership, do_create_classroom, do_create_user
from tenants.models import Membership, Role, SchoolYear
from tenants.scope import SESSION_KEY

SYSTEM = Actor.system()


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(reverse("tenants:school_home"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/school/"


@pytest.mark.parametrize(
    "person,role,home",
    [
        ("dana", Role.DISTRICT_ADMIN, "/district/"),
        ("priya", Role.SCHOOL_ADMIN, "/school/"),
        ("tom", Role.TEACHER, "/teach/"),
        ("sam", Role.STAFF, "/school/"),
        ("vera", Role.VIEWER, "/overview/"),
        ("ana", Role.GUARDIAN, "/family/"),
    ],
)
def test_each_role_lands_on_its_home(world, client, login, person, role, home):
    login(world.people[person], role=role)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == home
    assert client.get(home).status_code == 200


def test_person_without_role_sees_explanation(db, client):
    user = do_create_user(email="nobody@example.org", password="x" * 12, actor=SYSTEM)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    assert b"You have no role in Engage yet" in response.content


def test_switching_roles_without_signing_out(world, client, login):
    login(world.tess, role=Role.TEACHER)
    assert client.get("/")["Location"] == "/teach/"
    guardian_key = f"guardian:{world.lakeside.id}:0"
    response = client.post(reverse("tenants:switch_scope"), {"context": guardian_key})
    assert response.status_code == 302 and response["Location"] == "/family/"
    assert client.session[SESSION_KEY] == guardian_key
    page = client.get("/family/")
    assert page.status_code == 200
    assert b"Ivy Taylor" in page.content


def test_switching_to_someone_elses_context_is_404(world, client, login):
    login(world.tess, role=Role.TEACHER)
    response = client.post(
        reverse("tenants:switch_scope"), {"context": f"district_admin:{world.lakeside.id}:0"}
    )
    assert response.status_code == 404


# Capability matrix: who may open which page (200) and who is refused (403). A school admin
# asking for the district page is sent to their school's (302).
PAGES = {
    "tenants:district_home": {"dana", "priya"},
    "tenants:school_home": {"dana", "priya", "sam", "tom"},
    "tenants:teacher_home": {"dana", "priya", "tom"},
    "tenants:viewer_home": {"dana", "priya", "sam", "tom", "vera"},
    "tenants:staff_list": {"dana", "priya"},
    "guardians:home": {"ana"},
}


@pytest.mark.parametrize("url_name,allowed", PAGES.items())
def test_role_matrix(world, client, login, url_name, allowed):
    for person in ["dana", "priya", "sam", "tom", "vera", "ana"]:
        login(world.people[person])
        response = client.get(reverse(url_name))
        expected = 403
        if person in allowed:
            expected = 302 if (person, url_name) == ("priya", "tenants:district_home") else 200
        assert response.status_code == expected, (person, url_name, response.status_code)


def test_school_home_lists_the_schools_classrooms_with_counts(world, client, login):
    login(world.priya)
    response = client.get(reverse("tenants:school_home"))
    rows = [(c.name, c.children_count) for c in response.context["classrooms"]]
    assert rows == [("Room 1", 2), ("Room 2", 1)]
    assert response.context["counts"] == {
        "schools": 1,
        "classrooms": 2,
        "children": 3,
        "families": 4,
    }


def test_district_home_counts(world, client, login):
    login(world.dana)
    response = client.get(reverse("tenants:district_home"))
    assert response.context["counts"] == {
        "schools": 2,
        "classrooms": 3,
        "children": 4,
        "families": 4,
    }
    assert [s.name for s in response.context["schools"]] == [
        "Lakeside Elementary",
        "Lakeside Middle",
    ]


def test_teacher_sees_only_their_classrooms(world, client, login):
    login(world.tom)
    response = client.get(reverse("tenants:teacher_home"))
    assert [c.name for c in response.context["classrooms"]] == ["Room 1"]


def test_classroom_page_lists_children_and_guardians(world, client, login):
    login(world.tom)
    response = client.get(reverse("tenants:classroom_detail", args=[world.room1.id]))
    assert response.status_code == 200
    assert [e.child.display_name for e in response.context["enrollments"]] == [
        "Mia Alvarez",
        "Noah Brooks",
    ]
    assert [t.first_name for t in response.context["teachers"]] == ["Tom"]
    assert b"no access" in response.content  # Cal's custody restriction is visible to staff


def _grow_room1(world, extra: int):
    year = SchoolYear.objects.get(district=world.lakeside, is_current=True)
    for i in range(extra):
        child = do_create_child(world.a1, first_name=f"Kid{i}", last_name="Extra", actor=SYSTEM)
        do_enroll_child(child, world.room1, actor=SYSTEM)
        parent = do_create_user(email=f"parent{i}@example.org", actor=SYSTEM)
        do_link_guardian(child, parent, actor=SYSTEM)
        room = do_create_classroom(world.a1, school_year=year, name=f"Extra {i}", actor=SYSTEM)
        teacher = do_create_user(email=f"teacher{i}@example.org", actor=SYSTEM)
        do_add_membership(
            teacher, role=Role.TEACHER, district=world.lakeside, classroom=room, actor=SYSTEM
        )


@pytest.mark.parametrize(
    "url_name,person,args",
    [
        ("tenants:school_home", "priya", []),
        ("tenants:district_home", "dana", []),
        ("tenants:staff_list", "priya", []),
        ("tenants:classroom_detail", "tom", ["room1"]),
    ],
)
def test_list_pages_query_count_does_not_grow(
    world, client, login, assert_num_queries, url_name, person, args
):
    login(world.people[person])
    url = reverse(url_name, args=[world.classrooms[a].id for a in args])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow_room1(world, 6)
    with assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_staff_list_shows_school_roles_only(world, client, login):
    login(world.priya)
    response = client.get(reverse("tenants:staff_list"))
    assert [(m.user.first_name, m.role) for m in response.context["memberships"]] == [
        ("Priya", Role.SCHOOL_ADMIN),
        ("Sam", Role.STAFF),
        ("Tina", Role.TEACHER),
        ("Tom", Role.TEACHER),
    ]


def test_school_admin_grants_and_revokes_a_teacher_role(world, client, login):
    login(world.priya)
    newcomer = do_create_user(email="newt@example.org", first_name="Newt", actor=SYSTEM)
    response = client.post(
        reverse("tenants:staff_list"),
        {"email": "NEWT@example.org", "role": Role.TEACHER, "classroom_id": world.room2.id},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer, is_active=True)
    assert (
        membership.role,
        membership.district_id,
        membership.school_id,
        membership.classroom_id,
    ) == (
        Role.TEACHER,
        world.lakeside.id,
        world.a1.id,
        world.room2.id,
    )
    granted = AuditEvent.objects.get(action="membership.granted", target_id=str(membership.id))
    assert (granted.actor_id, granted.district_id, granted.school_id) == (
        world.priya.id,
        world.lakeside.id,
        world.a1.id,
    )
    response = client.post(reverse("tenants:membership_revoke", args=[membership.id]))
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.is_active is False and membership.revoked_at is not None
    assert (
        AuditEvent.objects.filter(
            action="membership.revoked", target_id=str(membership.id), actor=world.priya
        ).count()
        == 1
    )


def test_school_admin_cannot_grant_district_admin_or_outside_their_school(world, client, login):
    login(world.priya)
    do_create_user(email="newt@example.org", actor=SYSTEM)
    response = client.post(
        reverse("tenants:staff_list"), {"email": "newt@example.org", "role": Role.DISTRICT_ADMIN}
    )
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    response = client.post(
        reverse("tenants:staff_list"),
        {"email": "newt@example.org", "role": Role.TEACHER, "classroom_id": world.room7.id},
    )
    assert response.status_code == 200  # Room 7 is not a choice for Lakeside Elementary's admin
    assert Membership.objects.filter(user__email="newt@example.org").count() == 0


def test_grant_for_unknown_email_is_a_clear_error(world, client, login):
    login(world.priya)
    response = client.post(
        reverse("tenants:staff_list"), {"email": "ghost@example.org", "role": Role.STAFF}
    )
    assert response.context["form"].non_field_errors() == [
        "Nobody with that email address has an Engage account yet."
    ]


def test_admin_cannot_revoke_own_role(world, client, login):
    login(world.priya)
    own = Membership.objects.get(user=world.priya)
    client.post(reverse("tenants:membership_revoke", args=[own.id]))
    own.refresh_from_db()
    assert own.is_active is True


def test_preferred_language_picks_spanish(world, client, login):
    login(world.ana)
    response = client.get(reverse("guardians:home"))
    assert response["Content-Language"] == "es"
    assert b'<html lang="es">' in response.content

"""People management, children: list, add, edit, move and remove (/people/)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from guardians.models import Child, Enrollment, GuardianLink
from privacy.audit import Actor
from privacy.models import AuditEvent
from tenants.actions import do_create_user
from tenants.models import Membership, Role
from tests.tenants.test_cross_tenant_sweep import row_counts

SYSTEM = Actor.system()


def _rows(response):
    """(name, classrooms, guardians) of each child listed."""
    return [
        (
            child.display_name,
            [e.classroom.name for e in child.current_enrollments],
            [str(link.guardian) for link in child.active_links],
        )
        for child in response.context["page"]
    ]


# --- the list --------------------------------------------------------------------------------


def test_school_admin_lists_their_schools_children(world, client, login):
    login(world.priya)
    response = client.get(reverse("manage:child_list"))
    assert response.status_code == 200
    assert _rows(response) == [
        ("Mia Alvarez", ["Room 1"], ["Ana Alvarez", "Cal Alvarez"]),
        ("Noah Brooks", ["Room 1"], ["Ben Brooks"]),
        ("Ivy Taylor", ["Room 2"], ["Tess Taylor"]),
    ]
    assert response.context["can_manage"] is True
    assert reverse("manage:child_add").encode() in response.content


def test_district_admin_lists_every_school_of_their_district(world, client, login):
    login(world.dana)
    response = client.get(reverse("manage:child_list"))
    assert [row[0] for row in _rows(response)] == [
        "Leo Alvarez",
        "Mia Alvarez",
        "Noah Brooks",
        "Ivy Taylor",
    ]


def test_teacher_reads_only_their_classroom_and_cannot_manage(world, client, login):
    login(world.tom)
    response = client.get(reverse("manage:child_list"))
    assert [row[0] for row in _rows(response)] == ["Mia Alvarez", "Noah Brooks"]
    assert response.context["can_manage"] is False
    assert reverse("manage:child_add").encode() not in response.content
    assert client.get(reverse("manage:child_detail", args=[world.ivy.id])).status_code == 404


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"q": "mia"}, ["Mia Alvarez"]),
        ({"q": "ALVAREZ"}, ["Mia Alvarez"]),
        ({"q": "p-noah"}, ["Noah Brooks"]),
        ({"q": "ivy tay"}, ["Ivy Taylor"]),
        ({"q": "nobody"}, []),
        ({"classroom_id": "room2"}, ["Ivy Taylor"]),
        ({"classroom_id": "room1", "q": "noah"}, ["Noah Brooks"]),
    ],
)
def test_search_and_classroom_filter(world, client, login, query, expected):
    login(world.priya)
    if "classroom_id" in query:
        query["classroom_id"] = world.classrooms[query["classroom_id"]].id
    response = client.get(reverse("manage:child_list"), query)
    assert [row[0] for row in _rows(response)] == expected


def test_a_classroom_outside_the_scope_is_not_a_filter(world, client, login):
    login(world.priya)
    response = client.get(reverse("manage:child_list"), {"classroom_id": world.room7.id})
    assert "classroom_id" in response.context["search"].errors
    assert [row[0] for row in _rows(response)] == ["Mia Alvarez", "Noah Brooks", "Ivy Taylor"]
    assert b"Leo" not in response.content


def _add_children(world, count: int, classroom=None):
    classroom = classroom or world.room2
    start = Child.objects.filter(last_name="Zed").count()
    for i in range(start, start + count):
        child = do_create_child(
            classroom.school, first_name=f"Kid{i:02}", last_name="Zed", actor=SYSTEM
        )
        do_enroll_child(child, classroom, actor=SYSTEM)
        parent = do_create_user(email=f"zed{i}@example.org", first_name="Pat", actor=SYSTEM)
        do_link_guardian(child, parent, actor=SYSTEM)


def test_the_list_is_paginated_keeping_the_search(world, client, login):
    _add_children(world, 52)
    login(world.priya)
    first = client.get(reverse("manage:child_list"), {"q": "zed"})
    assert first.context["page"].paginator.count == 52
    assert len(first.context["page"].object_list) == 50
    assert b'href="?q=zed&amp;page=2"' in first.content
    second = client.get(reverse("manage:child_list"), {"q": "zed", "page": 2})
    assert [row[0] for row in _rows(second)] == ["Kid50 Zed", "Kid51 Zed"]


@pytest.mark.parametrize("person", ["priya", "dana", "tom"])
def test_list_query_count_does_not_grow(world, client, login, assert_num_queries, person):
    login(world.people[person])
    url = reverse("manage:child_list")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _add_children(world, 8)
    _add_children(world, 3, classroom=world.room1)
    _add_children(world, 3, classroom=world.room7)
    with assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_child_page_query_count_does_not_grow(world, client, login, assert_num_queries):
    login(world.priya)
    url = reverse("manage:child_detail", args=[world.noah.id])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(4):
        parent = do_create_user(email=f"extra{i}@example.org", actor=SYSTEM)
        do_link_guardian(world.noah, parent, actor=SYSTEM)
    with assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["child"].active_links) == 5


# --- who may -------------------------------------------------------------------------------

READ_PAGES = ["manage:child_list"]
WRITE_PAGES = ["manage:child_add"]
CHILD_READ_PAGES = ["manage:child_detail"]
CHILD_WRITE_PAGES = [
    "manage:child_edit",
    "manage:child_move",
    "manage:child_remove",
    "manage:link_add",
]


def _urls(world, names, child=True):
    return [reverse(n, args=[world.mia.id]) if child else reverse(n) for n in names]


def test_anonymous_is_sent_to_sign_in(world, client):
    for url in [
        *_urls(world, READ_PAGES + WRITE_PAGES, child=False),
        *_urls(world, CHILD_READ_PAGES + CHILD_WRITE_PAGES),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    "person,role,can_read",
    [
        ("ana", Role.GUARDIAN, False),
        ("vera", Role.VIEWER, False),
        ("tom", Role.TEACHER, True),
        ("sam", Role.STAFF, True),
    ],
)
def test_guardians_viewers_teachers_and_staff_cannot_manage(
    world, client, login, person, role, can_read
):
    login(world.people[person], role=role)
    before = row_counts()
    for url in _urls(world, READ_PAGES, child=False) + _urls(world, CHILD_READ_PAGES):
        assert client.get(url).status_code == (200 if can_read else 403), url
    for url in _urls(world, WRITE_PAGES, child=False) + _urls(world, CHILD_WRITE_PAGES):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"first_name": "X", "last_name": "Y"}).status_code == 403, url
    assert row_counts() == before


@pytest.mark.parametrize(
    "person,role", [("quinn", Role.SCHOOL_ADMIN), ("hope", Role.SCHOOL_ADMIN), ("hank", None)]
)
def test_admins_of_another_school_or_district_get_404_and_write_nothing(
    world, client, login, person, role
):
    login(world.people[person], role=role)
    before = row_counts()
    for url in _urls(world, CHILD_READ_PAGES + CHILD_WRITE_PAGES):
        assert client.get(url).status_code == 404, url
    for url in _urls(world, CHILD_WRITE_PAGES):
        response = client.post(
            url,
            {
                "first_name": "Hacked",
                "last_name": "Name",
                "classroom_id": world.room2.id,
                "email": "evil@example.org",
                "relationship": "parent",
                "contact_role": "primary",
                "preferred_language": "en",
            },
        )
        assert response.status_code == 404, url
    assert row_counts() == before
    world.mia.refresh_from_db()
    assert (world.mia.first_name, world.mia.is_active) == ("Mia", True)


# --- add -------------------------------------------------------------------------------------


def test_school_admin_adds_a_child_to_a_classroom(world, client, login):
    login(world.priya)
    response = client.post(
        reverse("manage:child_add"),
        {
            "first_name": " Olivia ",
            "last_name": "Ortiz",
            "preferred_name": "Liv",
            "grade_level": "04",
            "pupil_number": "P-900",
            "birth_date": "2017-03-09",
            "classroom_id": world.room2.id,
        },
        REMOTE_ADDR="198.51.100.7",
    )
    child = Child.objects.get(pupil_number="P-900")
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:child_detail", args=[child.id])
    assert (
        child.district_id,
        child.school_id,
        child.first_name,
        child.last_name,
        child.preferred_name,
        child.grade_level,
        child.birth_date,
        child.is_active,
        child.removed_at,
    ) == (
        world.lakeside.id,
        world.a1.id,
        "Olivia",
        "Ortiz",
        "Liv",
        "04",
        datetime.date(2017, 3, 9),
        True,
        None,
    )
    enrollment = Enrollment.objects.get(child=child)
    assert (enrollment.district_id, enrollment.school_id, enrollment.classroom_id) == (
        world.lakeside.id,
        world.a1.id,
        world.room2.id,
    )
    events = AuditEvent.objects.filter(actor=world.priya).order_by("id")
    assert [(e.action, e.target_id, e.district_id, e.school_id, e.ip_address) for e in events] == [
        ("child.created", str(child.id), world.lakeside.id, world.a1.id, "198.51.100.7"),
        ("child.enrolled", str(enrollment.id), world.lakeside.id, world.a1.id, "198.51.100.7"),
    ]
    page = client.get(response["Location"])
    assert b"Liv Ortiz" in page.content and b"Room 2" in page.content


def test_the_add_form_offers_only_this_years_classrooms_in_scope(world, client, login):
    login(world.priya)
    response = client.get(reverse("manage:child_add"), {"classroom": world.room2.id})
    field = response.context["form"]["classroom_id"]
    assert [label for _value, label in field.field.choices] == ["Room 1", "Room 2"]
    assert field.value() == str(world.room2.id)
    for text in (b'<label for="id_first_name"', b'<label for="id_birth_date"', b'type="date"'):
        assert text in response.content


def test_district_admin_adds_a_child_to_any_school_of_the_district(world, client, login):
    login(world.dana)
    client.post(
        reverse("manage:child_add"),
        {"first_name": "Max", "last_name": "Moss", "classroom_id": world.room7.id},
    )
    child = Child.objects.get(first_name="Max")
    assert (child.district_id, child.school_id) == (world.lakeside.id, world.a2.id)


@pytest.mark.parametrize(
    "data,field,message",
    [
        (
            {"classroom": "room7"},
            "classroom_id",
            "Select a valid choice. {room7} is not one of the available choices.",
        ),
        (
            {"classroom": "roomh1"},
            "classroom_id",
            "Select a valid choice. {roomh1} is not one of the available choices.",
        ),
        (
            {"pupil_number": "p-mia"},
            "pupil_number",
            "Another child at this school has that pupil number.",
        ),
        ({"birth_date": "31/12/2017"}, "birth_date", "Enter a valid date."),
        ({"first_name": ""}, "first_name", "This field is required."),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_written(
    world, client, login, data, field, message
):
    login(world.priya)
    posted = {"first_name": "Olivia", "last_name": "Ortiz", "classroom_id": world.room1.id}
    if "classroom" in data:
        posted["classroom_id"] = world.classrooms[data.pop("classroom")].id
        message = message.format(**{k: v.id for k, v in world.classrooms.items()})
    posted.update(data)
    before = row_counts()
    response = client.post(reverse("manage:child_add"), posted)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert row_counts() == before


# --- edit ------------------------------------------------------------------------------------


def _family_home(client, login, guardian):
    login(guardian)
    return client.get(reverse("guardians:home")).content.decode()


def test_editing_a_child_saves_audits_and_refreshes_the_family_page(world, client, login):
    assert "Mia Alvarez" in _family_home(client, login, world.ana)  # cached now
    login(world.priya)
    url = reverse("manage:child_edit", args=[world.mia.id])
    form = client.get(url).context["form"]
    assert (form["first_name"].value(), form["pupil_number"].value()) == ("Mia", "P-MIA")
    response = client.post(
        url,
        {
            "first_name": "Mia",
            "last_name": "Alvarez",
            "preferred_name": "Mimi",
            "grade_level": "03",
            "pupil_number": "P-MIA",
            "birth_date": "2018-01-31",
        },
    )
    assert response.status_code == 302
    world.mia.refresh_from_db()
    assert (world.mia.preferred_name, world.mia.birth_date) == ("Mimi", datetime.date(2018, 1, 31))
    event = AuditEvent.objects.get(action="child.updated", target_id=str(world.mia.id))
    assert (event.actor_id, event.school_id, event.metadata) == (
        world.priya.id,
        world.a1.id,
        {"fields": ["birth_date", "preferred_name"]},
    )
    assert "Mimi Alvarez" in _family_home(client, login, world.ana)


def test_an_unchanged_form_writes_nothing(world, client, login):
    login(world.priya)
    before = row_counts()
    client.post(
        reverse("manage:child_edit", args=[world.noah.id]),
        {
            "first_name": "Noah",
            "last_name": "Brooks",
            "grade_level": "03",
            "pupil_number": "P-NOAH",
        },
    )
    assert row_counts() == before


# --- move ------------------------------------------------------------------------------------


def test_moving_a_child_to_another_classroom(world, client, login):
    login(world.priya)
    url = reverse("manage:child_move", args=[world.mia.id])
    form = client.get(url).context["form"]
    assert form["classroom_id"].value() == world.room1.id
    old = Enrollment.objects.get(child=world.mia, is_active=True)
    response = client.post(url, {"classroom_id": world.room2.id})
    assert response.status_code == 302
    assert list(
        Enrollment.objects.filter(child=world.mia)
        .order_by("id")
        .values_list("classroom_id", "is_active")
    ) == [(world.room1.id, False), (world.room2.id, True)]
    moved = AuditEvent.objects.get(action="child.moved")
    assert moved.metadata == {"classroom_id": world.room2.id, "ended_enrollment_ids": [old.id]}
    assert AuditEvent.objects.filter(action="child.enrolled", actor=world.priya).count() == 1
    login(world.tina)
    assert client.get(reverse("manage:child_detail", args=[world.mia.id])).status_code == 200
    login(world.tom)
    assert client.get(reverse("manage:child_detail", args=[world.mia.id])).status_code == 404


def test_moving_to_another_schools_classroom_is_refused(world, client, login):
    login(world.dana)  # Room 7 is in the district admin's scope, but in Lakeside Middle
    before = row_counts()
    response = client.post(
        reverse("manage:child_move", args=[world.mia.id]), {"classroom_id": world.room7.id}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["classroom_id"][0].startswith("Select a valid choice.")
    assert row_counts() == before
    login(world.priya)
    response = client.post(
        reverse("manage:child_move", args=[world.mia.id]), {"classroom_id": world.room1.id}
    )
    assert response.context["form"].non_field_errors() == [
        "The child is already in that classroom."
    ]
    assert row_counts() == before


# --- remove ----------------------------------------------------------------------------------


def test_removing_a_child_deactivates_without_deleting(world, client, login):
    login(world.priya)
    url = reverse("manage:child_remove", args=[world.mia.id])
    assert b"Remove Mia Alvarez from the roster?" in client.get(url).content
    before = timezone.now()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("manage:child_list")
    mia = Child.objects.get(id=world.mia.id)
    assert mia.is_active is False and mia.removed_at >= before
    assert not Enrollment.objects.filter(child=mia, is_active=True).exists()
    assert Enrollment.objects.filter(child=mia).count() == 1
    # The family keeps Mia until they remove her themselves (PROMISES R4): the links stay, and
    # with them the guardian role of Cal, whose only child she is.
    assert list(
        GuardianLink.objects.filter(child=mia)
        .order_by("id")
        .values_list("guardian__first_name", "is_active")
    ) == [("Ana", True), ("Cal", True)]
    assert Membership.objects.filter(user=world.cal, role=Role.GUARDIAN, is_active=True).exists()
    assert Membership.objects.filter(user=world.ana, role=Role.GUARDIAN, is_active=True).exists()
    removed = AuditEvent.objects.get(action="child.removed")
    assert (removed.actor_id, removed.target_id, removed.school_id) == (
        world.priya.id,
        str(mia.id),
        world.a1.id,
    )
    enrollment = Enrollment.objects.get(child=mia)
    assert removed.metadata == {"ended_enrollment_ids": [enrollment.id]}
    assert not AuditEvent.objects.filter(action="membership.revoked").exists()
    assert client.get(url).status_code == 404
    assert [c.display_name for c in client.get(reverse("manage:child_list")).context["page"]] == [
        "Noah Brooks",
        "Ivy Taylor",
    ]
    login(world.ana)
    home = client.get(reverse("guardians:home")).content.decode()
    # Mia's card: no longer at the school (tests/privacy/test_r4_removal.py reads it in full)
    assert reverse("guardians:remove_child", args=[mia.id]) in home
    assert reverse("family_activities:feed", args=[mia.id]) not in home


def test_school_and_classroom_pages_link_to_the_people_pages(world, client, login):
    login(world.priya)
    school = client.get(reverse("tenants:school_home")).content.decode()
    assert f'href="{reverse("manage:child_list")}"' in school
    assert f'href="{reverse("manage:guardian_list")}"' in school
    room = client.get(reverse("tenants:classroom_detail", args=[world.room1.id])).content.decode()
    assert f'href="{reverse("manage:child_list")}?classroom_id={world.room1.id}"' in room
    assert f'href="{reverse("manage:child_add")}?classroom={world.room1.id}"' in room
    assert f'href="{reverse("manage:child_detail", args=[world.mia.id])}"' in room
    login(world.tom)
    room = client.get(reverse("tenants:classroom_detail", args=[world.room1.id])).content.decode()
    assert reverse("manage:child_add") not in room

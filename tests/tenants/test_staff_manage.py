"""Staff and viewers: an admin adds a person with a role in one go, edits names, revokes."""

import pytest
from django.urls import reverse

from privacy.models import AuditEvent
from tenants.models import Membership, Role, User
from tests.tenants.test_cross_tenant_sweep import row_counts


def _add(client, **data):
    return client.post(reverse("tenants:staff_list"), data)


def test_school_admin_adds_a_new_teacher_in_one_go(world, client, login):
    login(world.priya)
    response = _add(
        client,
        email="Nora.New@Example.org",
        first_name=" Nora ",
        last_name="Newman",
        role=Role.TEACHER,
        classroom_id=world.room2.id,
    )
    assert response.status_code == 302 and response["Location"] == reverse("tenants:staff_list")
    nora = User.objects.get(email__iexact="nora.new@example.org")
    assert (nora.first_name, nora.last_name, nora.preferred_language) == ("Nora", "Newman", "en")
    assert nora.has_usable_password() is False  # signs in with a one-time code
    membership = Membership.objects.get(user=nora)
    assert (
        membership.role,
        membership.district_id,
        membership.school_id,
        membership.classroom_id,
        membership.granted_by_id,
    ) == (Role.TEACHER, world.lakeside.id, world.a1.id, world.room2.id, world.priya.id)
    events = AuditEvent.objects.filter(actor=world.priya).order_by("id")
    assert [(e.action, e.target_id) for e in events] == [
        ("user.created", str(nora.id)),
        ("membership.granted", str(membership.id)),
    ]
    page = client.get(response["Location"])
    assert b"Nora Newman was added to Engage." in page.content
    assert b"Role granted." in page.content


def test_an_existing_account_gets_the_role_and_keeps_its_name(world, client, login):
    login(world.priya)
    users = User.objects.count()
    _add(client, email="BEN@example.org", first_name="Other", last_name="Person", role=Role.STAFF)
    assert User.objects.count() == users
    membership = Membership.objects.get(user=world.ben, role=Role.STAFF)
    assert (membership.school_id, membership.is_active) == (world.a1.id, True)
    assert User.objects.get(id=world.ben.id).first_name == "Ben"
    assert not AuditEvent.objects.filter(action="user.created", actor=world.priya).exists()


def test_school_admin_adds_a_governor_as_viewer_of_their_school(world, client, login):
    login(world.priya)
    _add(client, email="gov@example.org", first_name="Gail", last_name="Gov", role=Role.VIEWER)
    membership = Membership.objects.get(user__email="gov@example.org")
    assert (membership.role, membership.school_id) == (Role.VIEWER, world.a1.id)
    login(User.objects.get(email="gov@example.org"))
    assert client.get("/")["Location"] == reverse("tenants:viewer_home")


def test_district_admin_adds_a_board_member_for_the_whole_district(world, client, login):
    login(world.dana)
    _add(client, email="board@example.org", first_name="Bo", last_name="Ard", role=Role.VIEWER)
    membership = Membership.objects.get(user__email="board@example.org")
    assert (membership.role, membership.district_id, membership.school_id) == (
        Role.VIEWER,
        world.lakeside.id,
        None,
    )


def test_the_form_labels_every_field(world, client, login):
    login(world.priya)
    content = client.get(reverse("tenants:staff_list")).content.decode()
    for name in ("email", "first_name", "last_name", "role", "classroom_id", "school_id"):
        assert f'<label for="id_{name}"' in content
    assert "Needed only for someone who has no Engage account yet." in content


@pytest.mark.parametrize(
    "data,field,message",
    [
        (
            {"email": "new@example.org", "role": Role.STAFF},
            "__all__",
            "Nobody with that email address has an Engage account yet.",
        ),
        (
            {"email": "new@example.org", "first_name": "N", "role": Role.STAFF},
            "__all__",
            "Nobody with that email address has an Engage account yet.",
        ),
        (
            {"email": "new@example.org", "first_name": "N", "last_name": "U", "role": Role.TEACHER},
            "__all__",
            "Choose the classroom this teacher teaches.",
        ),
        (
            {"email": "new@example.org", "first_name": "N", "last_name": "U", "role": "guardian"},
            "role",
            "Select a valid choice. guardian is not one of the available choices.",
        ),
        (
            {"email": "not-an-email", "first_name": "N", "last_name": "U", "role": Role.STAFF},
            "email",
            "Enter a valid email address.",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_written(world, client, login, data, field, message):
    login(world.priya)
    before = row_counts()
    response = _add(client, **data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert row_counts() == before


def test_a_classroom_of_another_school_or_district_is_refused(world, client, login):
    login(world.priya)
    before = row_counts()
    for room in (world.room7, world.roomh1):
        response = _add(
            client,
            email="new@example.org",
            first_name="N",
            last_name="U",
            role=Role.TEACHER,
            classroom_id=room.id,
        )
        assert response.context["form"].errors["classroom_id"] == [
            f"Select a valid choice. {room.id} is not one of the available choices."
        ]
    assert row_counts() == before


def test_school_admin_cannot_make_a_district_admin(world, client, login):
    login(world.priya)
    before = row_counts()
    response = _add(
        client, email="new@example.org", first_name="N", last_name="U", role=Role.DISTRICT_ADMIN
    )
    assert "role" in response.context["form"].errors
    assert row_counts() == before


# --- edit a name -----------------------------------------------------------------------------


def test_editing_a_teachers_name_refreshes_the_families_pages(world, client, login):
    login(world.ana)
    assert "Tom Turner" in client.get(reverse("guardians:home")).content.decode()  # cached
    membership = Membership.objects.get(user=world.tom, role=Role.TEACHER)
    login(world.priya)
    url = reverse("manage:staff_edit", args=[membership.id])
    form = client.get(url).context["form"]
    assert (form["first_name"].value(), form["last_name"].value()) == ("Tom", "Turner")
    response = client.post(url, {"first_name": "Thomas", "last_name": "Turner"})
    assert response["Location"] == reverse("tenants:staff_list")
    assert User.objects.get(id=world.tom.id).first_name == "Thomas"
    event = AuditEvent.objects.get(action="user.updated")
    assert (event.actor_id, event.target_id, event.district_id, event.school_id) == (
        world.priya.id,
        str(world.tom.id),
        world.lakeside.id,
        world.a1.id,
    )
    assert event.metadata == {"fields": ["first_name"], "membership_id": membership.id}
    login(world.ana)
    assert "Thomas Turner" in client.get(reverse("guardians:home")).content.decode()


def test_the_staff_list_links_to_editing_names(world, client, login):
    login(world.priya)
    content = client.get(reverse("tenants:staff_list")).content.decode()
    tom = Membership.objects.get(user=world.tom)
    assert reverse("manage:staff_edit", args=[tom.id]) in content


def test_a_blank_name_is_refused(world, client, login):
    membership = Membership.objects.get(user=world.tom, role=Role.TEACHER)
    login(world.priya)
    before = row_counts()
    response = client.post(
        reverse("manage:staff_edit", args=[membership.id]), {"first_name": "", "last_name": "T"}
    )
    assert response.context["form"].errors == {"first_name": ["This field is required."]}
    assert row_counts() == before


def test_staff_edit_role_matrix(world, client, login):
    membership = Membership.objects.get(user=world.tom, role=Role.TEACHER)
    url = reverse("manage:staff_edit", args=[membership.id])
    assert client.get(url)["Location"] == f"/accounts/login/?next={url}"
    expected = {
        ("ana", Role.GUARDIAN): 403,
        ("tom", Role.TEACHER): 403,
        ("sam", Role.STAFF): 403,
        ("vera", Role.VIEWER): 403,
        ("quinn", Role.SCHOOL_ADMIN): 404,
        ("hope", Role.SCHOOL_ADMIN): 404,
        ("hank", Role.DISTRICT_ADMIN): 404,
        ("priya", Role.SCHOOL_ADMIN): 200,
        ("dana", Role.DISTRICT_ADMIN): 200,
    }
    for (person, role), status in expected.items():
        login(world.people[person], role=role)
        assert client.get(url).status_code == status, person
        if status != 200:
            response = client.post(url, {"first_name": "Hacked", "last_name": "X"})
            assert response.status_code == status, person
    assert User.objects.get(id=world.tom.id).first_name == "Tom"
    assert not AuditEvent.objects.filter(action="user.updated").exists()

"""People management, links: link an existing or new guardian to a child, edit and end links."""

import pytest
from django.urls import reverse

from guardians.models import GuardianLink
from privacy.models import AuditEvent
from tenants.models import Membership, Role, User
from tests.tenants.test_cross_tenant_sweep import row_counts


def _link(client, child, **data):
    posted = {
        "relationship": GuardianLink.Relationship.PARENT,
        "contact_role": GuardianLink.ContactRole.PRIMARY,
        "preferred_language": "en",
        **data,
    }
    return client.post(reverse("manage:link_add", args=[child.id]), posted)


def test_linking_a_new_guardian_creates_them_once(world, client, login):
    login(world.priya)
    response = _link(
        client,
        world.noah,
        email="gran@example.org",
        phone="312-555-0123",
        first_name="Gloria",
        last_name="Brooks",
        preferred_language="es",
        relationship=GuardianLink.Relationship.GRANDPARENT,
        contact_role=GuardianLink.ContactRole.EMERGENCY,
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:child_detail", args=[world.noah.id])
    gran = User.objects.get(email="gran@example.org")
    assert (gran.first_name, gran.last_name, gran.phone, gran.preferred_language) == (
        "Gloria",
        "Brooks",
        "+13125550123",
        "es",
    )
    assert (gran.email_verified, gran.phone_verified, gran.has_usable_password()) == (
        False,
        False,
        False,
    )
    link = GuardianLink.objects.get(guardian=gran)
    assert (
        link.district_id,
        link.child_id,
        link.relationship,
        link.contact_role,
        link.has_access,
        link.is_active,
    ) == (world.lakeside.id, world.noah.id, "grandparent", "emergency", True, True)
    membership = Membership.objects.get(user=gran)
    assert (membership.role, membership.district_id, membership.school_id) == (
        Role.GUARDIAN,
        world.lakeside.id,
        None,
    )
    actions = list(
        AuditEvent.objects.filter(actor=world.priya).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["user.created", "membership.granted", "guardian.linked"]
    page = client.get(response["Location"])
    assert b"Gloria Brooks was added and linked." in page.content
    assert b"Gloria Brooks" in page.content and b"Grandparent" in page.content


@pytest.mark.parametrize(
    "contact",
    [
        {"email": "BEN@Example.org"},
        {"phone": "(312) 555-0150"},
        {"email": "ben@example.org", "phone": "+13125550150"},
    ],
)
def test_an_existing_persons_contact_links_that_person(world, client, login, contact):
    world.ben.phone = "+13125550150"
    world.ben.save(update_fields=["phone"])
    login(world.priya)
    users = User.objects.count()
    response = _link(
        client, world.ivy, first_name="Other", last_name="Name", **contact, relationship="father"
    )
    assert response.status_code == 302
    assert User.objects.count() == users
    link = GuardianLink.objects.get(guardian=world.ben, child=world.ivy)
    assert (link.relationship, link.is_active) == ("father", True)
    ben = User.objects.get(id=world.ben.id)
    assert (ben.first_name, ben.last_name) == ("Ben", "Brooks")  # linked as they are
    page = client.get(response["Location"])
    assert b"Ben Brooks already had an Engage account and is now linked." in page.content


def test_the_no_access_flag_is_set_when_linking(world, client, login):
    login(world.priya)
    _link(
        client, world.noah, email="ex@example.org", first_name="Ed", last_name="X", no_access="on"
    )
    link = GuardianLink.objects.get(guardian__email="ex@example.org")
    assert link.has_access is False
    login(User.objects.get(email="ex@example.org"))
    assert b"Noah" not in client.get(reverse("guardians:home")).content


@pytest.mark.parametrize(
    "data,field,message",
    [
        (
            {"email": "ana@example.org", "phone": "+13125550150"},
            "__all__",
            "That email address and that mobile number belong to two different people.",
        ),
        (
            {"email": "dee@example.org"},
            "email",
            "That contact belongs to an Engage account in another district.",
        ),
        (
            {"email": "cal@example.org"},
            "__all__",
            "That person is already linked to this child.",
        ),
        (
            {"email": "new@example.org", "first_name": "Nu"},
            "__all__",
            "Give the first and last name of a guardian new to Engage.",
        ),
        (
            {"phone": "555-01", "first_name": "A", "last_name": "B"},
            "phone",
            "That mobile number is not valid. Include the area code, e.g. (312) 555-0142.",
        ),
        ({}, "__all__", "Give an email address or a mobile number (or both)."),
        (
            {
                "email": "x@example.org",
                "first_name": "A",
                "last_name": "B",
                "relationship": "uncle",
            },
            "relationship",
            "Select a valid choice. uncle is not one of the available choices.",
        ),
    ],
)
def test_bad_links_are_refused_with_a_clear_error_and_nothing_written(
    world, client, login, data, field, message
):
    world.ben.phone = "+13125550150"
    world.ben.save(update_fields=["phone"])
    login(world.priya)
    before = row_counts()
    response = _link(client, world.mia, **data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert row_counts() == before


def test_a_child_of_another_school_cannot_be_linked(world, client, login):
    login(world.priya)
    before = row_counts()
    response = _link(client, world.leo, email="new@example.org", first_name="N", last_name="U")
    assert response.status_code == 404
    assert row_counts() == before


# --- edit and end ----------------------------------------------------------------------------


def test_editing_a_link_changes_relationship_role_and_access(world, client, login):
    login(world.ana)
    assert b"Mia Alvarez" in client.get(reverse("guardians:home")).content  # cached now
    link = GuardianLink.objects.get(guardian=world.ana, child=world.mia)
    login(world.priya)
    url = reverse("manage:link_edit", args=[link.id])
    form = client.get(url).context["form"]
    assert (form["relationship"].value(), form["no_access"].value()) == ("mother", False)
    response = client.post(
        url, {"relationship": "carer", "contact_role": "emergency", "no_access": "on"}
    )
    assert response["Location"] == reverse("manage:child_detail", args=[world.mia.id])
    link.refresh_from_db()
    assert (link.relationship, link.contact_role, link.has_access) == ("carer", "emergency", False)
    updated = AuditEvent.objects.get(action="guardian.link_updated")
    assert (updated.actor_id, updated.school_id, updated.metadata) == (
        world.priya.id,
        world.a1.id,
        {"relationship": "carer", "contact_role": "emergency"},
    )
    access = AuditEvent.objects.get(action="guardian.access_changed", actor=world.priya)
    assert access.metadata == {"has_access": False}
    login(world.ana)
    home = client.get(reverse("guardians:home")).content
    assert b"Mia" not in home and b"Leo Alvarez" in home


def test_ending_a_link_keeps_the_row_and_the_account(world, client, login):
    link = GuardianLink.objects.get(guardian=world.ben, child=world.noah)
    login(world.priya)
    response = client.post(reverse("manage:link_end", args=[link.id]))
    assert response["Location"] == reverse("manage:child_detail", args=[world.noah.id])
    link.refresh_from_db()
    assert link.is_active is False
    assert User.objects.get(id=world.ben.id).is_active is True
    assert not Membership.objects.filter(user=world.ben, is_active=True).exists()
    assert list(
        AuditEvent.objects.filter(actor=world.priya).order_by("id").values_list("action", flat=True)
    ) == ["guardian.unlinked", "membership.revoked"]
    assert client.post(reverse("manage:link_end", args=[link.id])).status_code == 404
    assert client.get(reverse("manage:link_edit", args=[link.id])).status_code == 404
    assert client.get(reverse("manage:link_end", args=[link.id])).status_code == 405


def test_a_link_can_be_made_again_after_it_ended(world, client, login):
    link = GuardianLink.objects.get(guardian=world.ben, child=world.noah)
    login(world.priya)
    client.post(reverse("manage:link_end", args=[link.id]))
    response = _link(client, world.noah, email="ben@example.org")
    assert response.status_code == 302
    assert GuardianLink.objects.filter(guardian=world.ben, child=world.noah).count() == 2
    assert Membership.objects.filter(user=world.ben, role=Role.GUARDIAN, is_active=True).exists()


@pytest.mark.parametrize("person", ["hope", "quinn", "tom"])
def test_outsiders_cannot_edit_or_end_a_link(world, client, login, person):
    link = GuardianLink.objects.get(guardian=world.ben, child=world.noah)
    login(world.people[person])
    before = row_counts()
    expected = 403 if person == "tom" else 404
    edit = client.post(
        reverse("manage:link_edit", args=[link.id]),
        {"relationship": "carer", "contact_role": "emergency", "no_access": "on"},
    )
    assert edit.status_code == expected
    assert client.post(reverse("manage:link_end", args=[link.id])).status_code == expected
    assert row_counts() == before
    link.refresh_from_db()
    assert (link.relationship, link.has_access, link.is_active) == ("father", True, True)

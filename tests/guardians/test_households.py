"""Households: one sign-in for every child, a child switcher, co-guardians' contact details only
within a household (PROMISES V6), and merging two accounts of one person (issue 4, item 8)."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from guardians.actions import do_link_guardian
from guardians.actions.households import MERGED_USER_FIELDS, do_merge_guardians, do_set_household
from guardians.models import GuardianLink, Invite
from notifications.models import Delivery
from privacy.audit import Actor
from privacy.models import AuditEvent, Consent
from tenants.actions import ActionError, do_add_membership, do_create_user
from tenants.models import Membership, Role, RosterPerson, User
from tests.counts import SESSION_QUERIES

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system()


def test_every_foreign_key_to_user_has_a_merge_decision():
    found = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if getattr(field, "related_model", None) is User
        and field.concrete
        and (field.many_to_one or field.one_to_one)
    }
    assert found == set(MERGED_USER_FIELDS)


def test_child_page_has_a_switcher_between_the_guardians_children(world, client, login):
    login(world.ana, role=Role.GUARDIAN)
    page = client.get(reverse("guardians:child_detail", args=[world.mia.id])).content.decode()
    assert 'aria-current="page">Mia</a>' in page
    assert f'href="/family/children/{world.leo.id}/"' in page


@pytest.fixture
def second_parent(world):
    """Raúl: Mia's other parent with access, living elsewhere, with a phone."""
    raul = do_create_user(
        email="raul@example.org",
        phone="+13125550188",
        first_name="Raúl",
        last_name="Alvarez",
        actor=SYSTEM,
    )
    do_link_guardian(world.mia, raul, relationship=GuardianLink.Relationship.FATHER, actor=SYSTEM)
    return raul


def test_V6_co_guardians_at_another_address_see_names_but_no_contact(
    world, client, login, second_parent
):
    login(world.ana, role=Role.GUARDIAN)
    page = client.get(reverse("guardians:child_detail", args=[world.mia.id])).content.decode()
    assert "Raúl Alvarez" in page
    assert "raul@example.org" not in page and "+13125550188" not in page
    # Cal ("no access") is not shown to other guardians either.
    assert "Cal Alvarez" not in page


def test_co_guardians_in_one_household_see_each_others_contact(world, client, login, second_parent):
    do_set_household([world.ana, second_parent], world.lakeside, actor=SYSTEM)
    login(world.ana, role=Role.GUARDIAN)
    page = client.get(reverse("guardians:child_detail", args=[world.mia.id])).content.decode()
    assert "raul@example.org" in page and "+13125550188" in page


def test_child_page_query_count(world, client, login, second_parent, assert_num_queries):
    login(world.ana, role=Role.GUARDIAN)
    url = reverse("guardians:child_detail", args=[world.mia.id])
    client.get(url)
    # The user is cached; children, their enrollments, and the co-guardians' links and household.
    with assert_num_queries(SESSION_QUERIES + 4):
        client.get(url)


def test_family_home_offers_children_in_another_district(world, client, login):
    dee_child = world.zoe
    do_link_guardian(dee_child, world.ana, actor=SYSTEM)  # Ana now has a child at Hillcrest too
    login(world.ana, role=Role.GUARDIAN, district=world.lakeside)
    page = client.get(reverse("guardians:home")).content.decode()
    assert "Hillcrest Schools" in page and f'value="guardian:{world.hillcrest.id}:0"' in page


# --- merging ----------------------------------------------------------------------------------


@pytest.fixture
def duplicate(world):
    """The roster listed Ana twice: once by email (the world's Ana), once by phone."""
    twin = do_create_user(phone="+13125550150", first_name="Ana", last_name="Alvarez", actor=SYSTEM)
    twin.phone_verified = True
    twin.save(update_fields=["phone_verified"])
    do_link_guardian(world.mia, twin, actor=SYSTEM)  # also linked to Mia
    do_link_guardian(world.noah, twin, actor=SYSTEM)  # and (say) to Noah
    RosterPerson.objects.create(district=world.lakeside, user=twin, sourced_id="g-ana-2")
    Consent.objects.create(
        district=world.lakeside, user=twin, kind="privacy_policy", is_granted=True
    )
    Invite.objects.create(
        district=world.lakeside,
        guardian=twin,
        token_hash="x" * 64,
        expires_at="2030-01-01T00:00:00Z",
    )
    return twin


def test_merge_moves_the_family_and_keeps_both_histories(world, duplicate):
    twin = duplicate
    from tests.notifications.helpers import send

    send(world.lakeside, {"type": "guardians", "ids": [twin.id]})
    kept = do_merge_guardians(world.ana, twin, actor=SYSTEM)
    twin.refresh_from_db()
    assert (twin.is_active, twin.merged_into_id, twin.phone) == (False, kept.id, None)
    assert twin.email == f"merged-{twin.id}@example.invalid"
    kept.refresh_from_db()
    assert (kept.phone, kept.phone_verified, kept.email) == (
        "+13125550150",
        True,
        "ana@example.org",
    )
    active_children = set(
        GuardianLink.objects.filter(guardian=kept, is_active=True).values_list(
            "child__first_name", flat=True
        )
    )
    assert active_children == {"Mia", "Leo", "Noah"}
    assert GuardianLink.objects.filter(guardian=twin).count() == 0
    assert Membership.objects.filter(user=kept, role=Role.GUARDIAN, is_active=True).count() == 1
    assert RosterPerson.objects.get(sourced_id="g-ana-2").user_id == kept.id
    assert Consent.objects.filter(user=kept).count() == 1
    assert Invite.objects.filter(guardian=kept).count() == 1
    assert Delivery.objects.filter(recipient=kept).count() == 1  # her inbox history came along
    event = AuditEvent.objects.get(action="guardian.merged")
    twin_role = Membership.objects.get(user=kept, is_active=False, role=Role.GUARDIAN)
    assert event.metadata == {
        "kept_id": kept.id,
        "merged_id": twin.id,
        "revoked_memberships": [twin_role.id],
    }
    # The twin's own history (who created it) still names the twin.
    assert AuditEvent.objects.filter(action="user.created", target_id=str(twin.id)).exists()


def test_a_custody_restriction_survives_a_merge(world):
    """Cal ("no access" to Mia) was also on the roster as a second account with access."""
    twin = do_create_user(phone="+13125550160", first_name="Cal", last_name="Alvarez", actor=SYSTEM)
    do_link_guardian(world.mia, twin, actor=SYSTEM)
    do_merge_guardians(twin, world.cal, actor=SYSTEM)
    (link,) = GuardianLink.objects.filter(child=world.mia, guardian=twin, is_active=True)
    assert link.has_access is False
    assert AuditEvent.objects.filter(
        action="guardian.access_changed", target_id=str(link.id)
    ).exists()


def test_a_merged_account_cannot_sign_in_or_be_merged_again(world, duplicate, client):
    do_merge_guardians(world.ana, duplicate, actor=SYSTEM)
    with pytest.raises(ActionError):
        do_merge_guardians(world.ana, duplicate, actor=SYSTEM)
    duplicate.refresh_from_db()
    assert duplicate.has_usable_password() is False and duplicate.is_active is False


def test_staff_accounts_are_never_merged(world):
    with pytest.raises(ActionError):
        do_merge_guardians(world.ana, world.tess, actor=SYSTEM)
    with pytest.raises(ActionError):
        do_merge_guardians(world.ana, world.ana, actor=SYSTEM)
    assert User.objects.get(id=world.tess.id).is_active is True


def test_merge_command(world, duplicate, capsys):
    call_command("merge_guardians", "--keep", str(world.ana.id), "--merge", str(duplicate.id))
    assert "Merged" in capsys.readouterr().out
    assert User.objects.get(id=duplicate.id).merged_into_id == world.ana.id


def test_household_rows_follow_the_merge(world, duplicate, second_parent):
    do_set_household([duplicate, second_parent], world.lakeside, actor=SYSTEM)
    do_add_membership(world.ana, role=Role.GUARDIAN, district=world.lakeside, actor=SYSTEM)
    do_merge_guardians(world.ana, duplicate, actor=SYSTEM)
    from guardians.models import HouseholdMember

    members = set(HouseholdMember.objects.values_list("guardian_id", flat=True))
    assert members == {world.ana.id, second_parent.id}

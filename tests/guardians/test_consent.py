"""Consent (PROMISES C2-C4): families see nothing until they agree to the policy in force; the
opt-ins start off and can be changed later; every change is kept."""

import re

import pytest
from django.urls import reverse

from privacy.models import Consent, PolicyVersion

pytestmark = pytest.mark.django_db


def sign_in_fresh(client, user):
    """Signed in as after a code, with no consent remembered in the session."""
    client.force_login(user)


@pytest.mark.parametrize("path", ["/", "/family/", "/inbox/"])
def test_a_family_that_did_not_agree_sees_nothing_else(world, client, path):
    sign_in_fresh(client, world.ben)
    response = client.get(path)
    assert (response.status_code, response.url) == (302, reverse("join:consent"))


def test_their_own_settings_stay_open_before_agreeing(world, client):
    sign_in_fresh(client, world.ben)
    assert client.get("/preferences/").status_code == 200


def test_after_agreeing_the_family_pages_open(world, client):
    sign_in_fresh(client, world.ben)
    client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    assert client.get("/family/").status_code == 200
    assert client.get("/")["Location"] == "/family/"


def test_staff_are_never_asked(world, client):
    sign_in_fresh(client, world.tom)
    assert client.get("/")["Location"] == "/teach/"


def test_opt_ins_can_be_changed_later_and_history_is_kept(world, client):
    sign_in_fresh(client, world.ben)
    client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    client.post(reverse("join:consent"), {"is_policy_accepted": "on", "photo_promotion": "on"})
    client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    rows = list(
        Consent.objects.filter(user=world.ben, kind="photo_promotion")
        .order_by("recorded_at", "id")
        .values_list("is_granted", "source")
    )
    assert rows == [(False, "settings"), (True, "settings"), (False, "settings")]
    page = client.get(reverse("join:consent")).content.decode()
    box = re.search(r'<input[^>]*name="photo_promotion"[^>]*>', page).group(0)
    assert "checked" not in box


def test_a_new_policy_version_asks_again(world, client, login):
    sign_in_fresh(client, world.ben)
    client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    PolicyVersion.objects.create(
        district=world.lakeside, version="2027-01", title="Lakeside policy", summary="Plain words."
    )
    client.logout()
    sign_in_fresh(client, world.ben)
    assert client.get("/family/").url == reverse("join:consent")
    page = client.get(reverse("join:consent")).content.decode()
    assert "Plain words." in page and "version 2027-01" in page
    # Agreeing to the new version is a fresh act: the box is not ticked from the old one.
    box = re.search(r'<input[^>]*name="is_policy_accepted"[^>]*>', page).group(0)
    assert "checked" not in box
    client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    latest = Consent.objects.filter(user=world.ben, kind="privacy_policy").order_by("-id")[0]
    assert latest.policy_version.version == "2027-01"
    assert client.get("/family/").status_code == 200


def test_another_district_needs_its_own_agreement(world, client, login):
    from guardians.actions import do_link_guardian
    from privacy.audit import Actor

    do_link_guardian(world.zoe, world.ben, actor=Actor.system())  # Ben now also in Hillcrest
    sign_in_fresh(client, world.ben)
    hillcrest = f"guardian:{world.hillcrest.id}:0"
    client.post(reverse("tenants:switch_scope"), {"context": hillcrest})
    client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    assert client.get("/family/").status_code == 200
    assert Consent.objects.get(user=world.ben, kind="privacy_policy").district_id == (
        world.hillcrest.id
    )
    lakeside = f"guardian:{world.lakeside.id}:0"
    client.post(reverse("tenants:switch_scope"), {"context": lakeside})
    assert client.get("/family/").url == reverse("join:consent")

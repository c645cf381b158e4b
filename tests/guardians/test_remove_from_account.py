"""A guardian removes a child from their own account (/family/children/<id>/remove/): the
confirmation page, the link that ends (only theirs), the role matrix and other families' ids."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from guardians.actions.account import do_remove_child_from_account
from guardians.actions.manage import do_remove_child
from guardians.models import Child, GuardianLink
from privacy.actions_settings import do_update_policy_settings
from privacy.audit import Actor
from privacy.models import AuditEvent, PolicyVersion
from tenants.actions import ActionError
from tenants.models import Membership, Role
from tests.activities.helpers import family_scope
from tests.tenants.test_cross_tenant_sweep import row_counts

pytestmark = pytest.mark.django_db


def remove_url(child):
    return reverse("guardians:remove_child", args=[child.id])


def paragraphs(response) -> list[str]:
    """The confirmation card's paragraphs, as text."""
    card = response.content.decode().split('<div class="card">', 1)[1].split("<form", 1)[0]
    return [
        html.unescape(re.sub(r"<[^>]+>", "", p)).strip()
        for p in re.findall(r"<p>(.*?)</p>", card, re.S)
    ]


def test_the_page_says_what_happens_to_a_child_the_school_still_has(world, client, login):
    login(world.ben)
    response = client.get(remove_url(world.noah))
    assert response.status_code == 200
    assert "<h1>Remove Noah from my account?</h1>" in response.content.decode()
    assert paragraphs(response) == [
        "Noah will no longer show in your Engage: not their activities, past work, feedback or "
        "badges, nor the school's messages about them.",
        "Lakeside Elementary keeps Noah's record, and other guardians keep Noah on their accounts.",
        "When the school has removed Noah too and no guardian keeps Noah on their account, "
        "everything Engage holds about Noah is deleted after 90 days.",
        "Noah is the only child on your account here: afterwards you can still sign in, but you "
        "will no longer see any family or privacy pages here.",
        "To keep a copy, download your data first from your privacy page.",
    ]
    assert f'href="{reverse("privacy:me")}"' in response.content.decode()
    assert GuardianLink.objects.get(guardian=world.ben, child=world.noah).is_active is True


def test_the_page_for_a_child_the_school_removed_gives_the_districts_window(world, client, login):
    do_update_policy_settings(
        world.lakeside, values={"removed_child_days": 60}, actor=Actor.system()
    )
    do_remove_child(world.noah, actor=Actor(user=world.priya))
    login(world.ben)
    texts = paragraphs(client.get(remove_url(world.noah)))
    assert texts[1] == "Lakeside Elementary has already removed Noah."
    assert texts[2].endswith("everything Engage holds about Noah is deleted after 60 days.")


def test_a_guardian_with_other_children_is_not_warned_about_their_pages(world, client, login):
    login(world.ana)
    texts = paragraphs(client.get(remove_url(world.mia)))
    assert not any("only child on your account" in text for text in texts)


def test_removing_ends_only_the_guardians_own_link(world, client, login):
    login(world.ana)
    response = client.post(remove_url(world.mia))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    links = GuardianLink.objects.filter(child=world.mia).order_by("id")
    assert [(link.guardian.first_name, link.is_active) for link in links] == [
        ("Ana", False),
        ("Cal", True),
    ]
    assert GuardianLink.objects.get(guardian=world.ana, child=world.leo).is_active is True
    assert Membership.objects.filter(user=world.ana, role=Role.GUARDIAN, is_active=True).exists()
    event = AuditEvent.objects.get(action="guardian.unlinked")
    assert (event.actor_id, event.district_id, event.school_id, event.metadata) == (
        world.ana.id,
        world.lakeside.id,
        world.a1.id,
        {"child_id": world.mia.id, "guardian_id": world.ana.id},
    )
    assert not AuditEvent.objects.filter(action="membership.revoked").exists()
    mia = Child.objects.get(id=world.mia.id)
    assert (mia.is_active, mia.removed_at) == (True, None)
    home = client.get(reverse("guardians:home")).content.decode()
    assert re.findall(r'<h2 id="child-\d+"><a href="[^"]+">([^<]+)</a></h2>', home) == [
        "Leo Alvarez"
    ]
    # the child is no longer hers: the page and a second POST are 404s, nothing written
    before = row_counts()
    assert client.get(remove_url(world.mia)).status_code == 404
    assert client.post(remove_url(world.mia)).status_code == 404
    assert row_counts() == before


def test_removing_the_last_child_ends_the_guardian_role_not_the_account(world, client, login):
    login(world.ben)
    response = client.post(remove_url(world.noah))
    assert response.status_code == 302
    assert not Membership.objects.filter(user=world.ben, is_active=True).exists()
    revoked = AuditEvent.objects.get(action="membership.revoked")
    assert (revoked.actor_id, revoked.metadata["user_id"]) == (world.ben.id, world.ben.id)
    world.ben.refresh_from_db()
    assert world.ben.is_active is True
    landing = client.get(response["Location"])
    assert landing.status_code == 403  # no role left: the "no role yet" page
    assert "Noah Brooks was removed from your account." in landing.content.decode()


def test_the_action_refuses_a_link_that_ended_meanwhile(world):
    scope = family_scope(world.ben)
    noah = world.noah
    GuardianLink.objects.filter(guardian=world.ben).update(is_active=False)
    with pytest.raises(ActionError) as refused:
        do_remove_child_from_account(scope, noah, actor=Actor(user=world.ben))
    assert str(refused.value) == "This child is no longer on your account."
    assert not AuditEvent.objects.filter(action="guardian.unlinked").exists()


@pytest.mark.parametrize(
    "person,role,expected",
    [
        ("tom", Role.TEACHER, 403),
        ("priya", Role.SCHOOL_ADMIN, 403),
        ("dana", Role.DISTRICT_ADMIN, 403),
        ("ben", Role.GUARDIAN, 404),  # another family in the same classroom
        ("cal", Role.GUARDIAN, 404),  # Mia's father with "no access"
        ("dee", Role.GUARDIAN, 404),  # another district's family
    ],
)
def test_role_matrix_and_other_families(world, client, login, person, role, expected):
    login(world.people[person], role=role)
    before = row_counts()
    assert client.get(remove_url(world.mia)).status_code == expected
    assert client.post(remove_url(world.mia)).status_code == expected
    assert row_counts() == before
    assert GuardianLink.objects.get(guardian=world.ana, child=world.mia).is_active is True


def test_a_family_that_has_not_agreed_to_a_new_policy_may_still_remove(world, client, login):
    login(world.ben)
    PolicyVersion.objects.create(
        district=world.lakeside,
        version="2027-01",
        title="New",
        summary="",
        effective_at=timezone.now(),
    )
    session = client.session
    session["engage_consent_ok"] = []
    session.save()
    assert client.get(reverse("guardians:home"))["Location"] == reverse("join:consent")
    assert client.get(remove_url(world.noah)).status_code == 200
    assert client.post(remove_url(world.noah)).status_code == 302
    assert GuardianLink.objects.get(guardian=world.ben, child=world.noah).is_active is False


def test_anonymous_people_are_sent_to_sign_in(world, client):
    response = client.post(remove_url(world.mia))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert GuardianLink.objects.get(guardian=world.ana, child=world.mia).is_active is True


def test_a_post_without_the_csrf_token_is_refused(world, client, login):
    login(world.ben)
    client.handler.enforce_csrf_checks = True
    page = client.get(remove_url(world.noah)).content.decode()
    assert client.post(remove_url(world.noah)).status_code == 403
    assert GuardianLink.objects.get(guardian=world.ben, child=world.noah).is_active is True
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(remove_url(world.noah), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert GuardianLink.objects.get(guardian=world.ben, child=world.noah).is_active is False


def test_the_childs_page_links_to_the_removal(world, client, login):
    login(world.ben)
    page = client.get(reverse("guardians:child_detail", args=[world.noah.id])).content.decode()
    assert f'<a href="{remove_url(world.noah)}">Remove Noah from my account</a>' in page

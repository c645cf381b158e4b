"""Policy versions (PROMISES S4): a material change needs 30 days' notice, tells the district's
admins at once and asks every family to agree again from the day it takes effect; a change that
is not material asks nothing and is shown to families once. District admins only."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from notifications.models import Kind, Message
from privacy.audit import Actor
from privacy.models import AuditEvent, Consent, PolicySummaryShown, PolicyVersion
from privacy.queries import has_consented_to_policy_in_force
from privacy.versions import do_publish_policy_version, get_consent_counts
from tenants.actions import ActionError
from tests.counts import SESSION_QUERIES

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")  # Lakeside's time zone
# Tuesday 1 December 2026, 09:00 in Lakeside.
PUBLISHED = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=CHICAGO)
SYSTEM = Actor.system()


def at(moment):
    return time_machine.travel(moment, tick=False)


def sign_in_fresh(client, user):
    """A new sign-in: nothing about the policy remembered in the session yet."""
    client.logout()
    client.force_login(user)
    return client


def agree(client, user):
    sign_in_fresh(client, user)
    client.post(reverse("join:consent"), {"is_policy_accepted": "on"})


def publish(district, *, days_ahead, is_material, version="2027-01", changes="We keep less."):
    return do_publish_policy_version(
        district,
        version=version,
        title="Lakeside privacy policy",
        summary="Plain words.",
        changes_summary=changes,
        effective_on=PUBLISHED.date() + datetime.timedelta(days=days_ahead),
        is_material=is_material,
        actor=Actor(user=None),
    )


def test_S4_material_change_needs_30_days_notice_and_renewed_consent(world, client):
    with at(PUBLISHED):
        agree(client, world.ben)
        with pytest.raises(ActionError) as refused:
            publish(world.lakeside, days_ahead=29, is_material=True)
        assert str(refused.value) == (
            "A material change needs 30 days' notice: it can take effect on Dec. 31, 2026 at "
            "the earliest."
        )
        assert not PolicyVersion.objects.filter(version="2027-01").exists()

        version = publish(world.lakeside, days_ahead=30, is_material=True)
        assert version.effective_at == datetime.datetime(2026, 12, 31, tzinfo=CHICAGO)
        assert version.notified_at == PUBLISHED
        # The 30 days' notice: one required message to the district's admins, at once.
        message = Message.objects.get(source_type="policy_version", source_id=str(version.id))
        assert (message.kind, message.audience, message.channels, message.is_required) == (
            Kind.PRIVACY_NOTICE,
            {"type": "people", "ids": [world.dana.id]},
            ["email"],
            True,
        )
        assert message.content["en"]["subject"] == (
            "Privacy policy 2027-01 takes effect on Dec. 31, 2026"
        )
        assert message.content["en"]["body"].endswith("What changed:\nWe keep less.")
        assert AuditEvent.objects.filter(action="policy_version.published").count() == 1

    # The day before it takes effect (23:59 in Lakeside) families are not asked...
    with at(datetime.datetime(2026, 12, 30, 23, 59, tzinfo=CHICAGO)):
        assert has_consented_to_policy_in_force(world.ben, world.lakeside)
        assert sign_in_fresh(client, world.ben).get("/family/").status_code == 200

    # ...the day it takes effect they are, at their next sign-in, and told what changed.
    with at(datetime.datetime(2026, 12, 31, 0, 1, tzinfo=CHICAGO)):
        assert not has_consented_to_policy_in_force(world.ben, world.lakeside)
        sign_in_fresh(client, world.ben)
        assert client.get("/family/").url == reverse("join:consent")
        page = client.get(reverse("join:consent")).content.decode()
        assert "Please read what changed and agree again." in page
        assert "We keep less." in page and "version 2027-01" in page
        client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
        latest = Consent.objects.filter(user=world.ben, kind="privacy_policy").latest("id")
        assert latest.policy_version_id == version.id
        assert client.get("/family/").status_code == 200
        assert not PolicySummaryShown.objects.exists()  # material: asked, not just shown


def test_S4_a_change_that_is_not_material_asks_nothing_and_is_shown_once(world, client):
    with at(PUBLISHED):
        agree(client, world.ben)
    with at(PUBLISHED + datetime.timedelta(hours=1)):
        version = publish(world.lakeside, days_ahead=0, is_material=False, changes="New address.")
        assert version.effective_at == PUBLISHED + datetime.timedelta(hours=1)  # not backdated
        assert version.notified_at is None
        assert not Message.objects.filter(kind=Kind.PRIVACY_NOTICE).exists()
    with at(PUBLISHED + datetime.timedelta(hours=2)):
        assert has_consented_to_policy_in_force(world.ben, world.lakeside)
        page = sign_in_fresh(client, world.ben).get("/family/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "updated its privacy policy. You do not need to do anything" in text
        assert "New address." in text
        assert list(PolicySummaryShown.objects.values_list("user_id", "policy_version_id")) == [
            (world.ben.id, version.id)
        ]
        again = sign_in_fresh(client, world.ben).get("/family/")
        assert again.status_code == 200 and "New address." not in again.content.decode()
        # Their consent still points at the version they agreed to: nothing was assumed.
        latest = Consent.objects.filter(user=world.ben, kind="privacy_policy").latest("id")
        assert latest.policy_version_id != version.id


def test_a_material_change_after_a_non_material_one_asks_again(world, client):
    with at(PUBLISHED):
        agree(client, world.ben)
        publish(world.lakeside, days_ahead=0, is_material=False, version="a")
        publish(world.lakeside, days_ahead=30, is_material=True, version="b")
    with at(PUBLISHED + datetime.timedelta(days=29)):
        assert has_consented_to_policy_in_force(world.ben, world.lakeside)
    with at(PUBLISHED + datetime.timedelta(days=30)):
        assert not has_consented_to_policy_in_force(world.ben, world.lakeside)


@pytest.mark.parametrize(
    ("days_ahead", "is_material", "version", "error"),
    [
        (-1, False, "new", "A new version cannot take effect in the past."),
        (0, False, "2026-12", "This district already has a version 2026-12."),
        (0, False, " ", "Give the version a name, such as the date it was written."),
        (
            9,
            False,
            "new",
            "A new version takes effect after version 2026-12 (Dec. 11, 2026) at the earliest.",
        ),
    ],
)
def test_what_cannot_be_published(world, days_ahead, is_material, version, error):
    with at(PUBLISHED):
        publish(world.lakeside, days_ahead=10, is_material=False, version="2026-12")
        with pytest.raises(ActionError) as refused:
            publish(world.lakeside, days_ahead=days_ahead, is_material=is_material, version=version)
    assert str(refused.value) == error
    assert PolicyVersion.objects.count() == 1


def test_counts_of_families_who_agreed_to_the_policy_in_force(world, client):
    with at(PUBLISHED):
        agree(client, world.ben)
        agree(client, world.ana)
        agree(client, world.dee)  # Hillcrest: not counted in Lakeside
        counts = get_consent_counts(world.lakeside)
        assert (counts.families, counts.agreed, counts.not_yet) == (4, 2, 2)
        publish(world.lakeside, days_ahead=0, is_material=False, version="minor")
        counts = get_consent_counts(world.lakeside)
        assert (counts.families, counts.agreed, counts.not_yet) == (4, 2, 2)
        publish(world.lakeside, days_ahead=30, is_material=True, version="major")
    with at(PUBLISHED + datetime.timedelta(days=30)):
        counts = get_consent_counts(world.lakeside)
        assert (counts.families, counts.agreed, counts.not_yet) == (4, 0, 4)
        agree(client, world.ana)
        counts = get_consent_counts(world.lakeside)
        assert (counts.families, counts.agreed, counts.not_yet) == (4, 1, 3)


# --- Pages --------------------------------------------------------------------------------------


def test_district_admin_publishes_from_the_page(world, client, login):
    login(world.dana)
    url = reverse("privacy:district_version_new")
    form = {
        "version": "2027-01",
        "title": "Lakeside privacy policy",
        "summary": "Plain words.",
        "changes_summary": "We keep less.",
        "url": "",
        "is_material": "yes",
    }
    with at(PUBLISHED):
        page = client.post(url, {**form, "effective_on": "2026-12-30"})
        assert page.status_code == 200
        assert "A material change needs 30 days&#x27; notice" in page.content.decode()
        assert not PolicyVersion.objects.exists()
        response = client.post(url, {**form, "effective_on": "2026-12-31"})
    version = PolicyVersion.objects.get()
    assert response.url == reverse("privacy:district_version", args=[version.id])
    assert (version.district_id, version.published_by_id, version.is_material) == (
        world.lakeside.id,
        world.dana.id,
        True,
    )
    assert client.get(response.url).status_code == 200


def test_version_list_shows_each_version_and_the_counts(world, client, login, assert_num_queries):
    with at(PUBLISHED):
        agree(client, world.ben)
        publish(world.lakeside, days_ahead=0, is_material=False, version="minor")
        publish(world.lakeside, days_ahead=30, is_material=True, version="major")
        publish(world.hillcrest, days_ahead=0, is_material=False, version="hill-only")
        login(world.dana)
        url = reverse("privacy:district_versions")
        client.get(url)
        with assert_num_queries(2 + SESSION_QUERIES):
            page = client.get(url).content.decode()
    assert "major" in page and "minor" in page and "engage-2026-11" in page
    assert "hill-only" not in page
    assert "<strong>1</strong> families agreed to the policy in force" in page
    assert "<strong>3</strong> not yet" in page


@pytest.mark.parametrize(
    ("person", "expected"),
    [(None, 302), ("ben", 403), ("tom", 403), ("priya", 404), ("hank", 200), ("dana", 200)],
)
def test_version_pages_are_for_district_admins(world, client, login, person, expected):
    if person:
        login(world.people[person])
    for name in ("privacy:district_versions", "privacy:district_version_new"):
        assert client.get(reverse(name)).status_code == expected


def test_another_districts_version_is_a_404_and_nothing_is_written(world, client, login):
    with at(PUBLISHED):
        other = publish(world.hillcrest, days_ahead=0, is_material=False, version="hill")
    login(world.dana)
    events = AuditEvent.objects.count()
    assert client.get(reverse("privacy:district_version", args=[other.id])).status_code == 404
    assert AuditEvent.objects.count() == events
    login(world.hank)
    assert client.get(reverse("privacy:district_version", args=[other.id])).status_code == 200

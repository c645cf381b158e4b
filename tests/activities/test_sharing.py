"""Sharing a family's work with consent (PROMISES C3): only with the sending guardian's
photo-promotion opt-in and the admin's confirmation that the school holds permission, both
recorded; withdrawing the opt-in unmarks it."""

import pytest
from django.urls import reverse

from activities.actions.review import do_approve_submission
from activities.actions.sharing import (
    SharingError,
    do_share_submission,
    do_unshare_after_consent_withdrawn,
    do_unshare_submission,
)
from activities.models import ActivityEvent, Submission
from activities.queries import staff
from privacy.actions import do_record_consents
from privacy.audit import Actor
from privacy.models import AuditEvent, Consent
from tenants.models import Role
from tests.activities.helpers import quiz_for, scope_of
from tests.activities.test_review import submit
from tests.tenants.test_cross_tenant_sweep import row_counts

pytestmark = pytest.mark.django_db


def consent(world, person, *, photo: bool, district=None):
    return do_record_consents(
        person,
        district or world.lakeside,
        is_policy_accepted=True,
        choices={Consent.Kind.PHOTO_PROMOTION: photo},
        source="settings",
        actor=Actor(person),
    )


def approved(world, guardian=None, child=None, activity=None):
    submission = submit(guardian or world.ana, child or world.mia, activity or quiz_for(world))
    scope = scope_of(world.tom)
    do_approve_submission(
        scope, staff.access_submission(scope, submission.id), actor=Actor(world.tom)
    )
    return staff.access_submission(scope_of(world.priya), submission.id)


def share(world, submission, *, confirmed=True):
    return do_share_submission(
        scope_of(world.priya),
        submission,
        is_permission_confirmed=confirmed,
        actor=Actor(world.priya, ip="203.0.113.9"),
    )


def state(submission_id):
    return Submission.objects.values_list("is_shared", "shared_by", "shared_at").get(
        id=submission_id
    )


def test_C3_sharing_with_the_familys_opt_in_and_the_schools_permission(world):
    consent(world, world.ana, photo=True)
    submission = approved(world)

    shared = share(world, submission)

    assert (shared.is_shared, shared.shared_by) == (True, world.priya)
    assert state(submission.id) == (True, world.priya.id, shared.shared_at)
    audit = AuditEvent.objects.get(action="submission.shared")
    granted = Consent.objects.get(user=world.ana, kind="photo_promotion", is_granted=True)
    assert (audit.actor, audit.ip_address, audit.target_id, audit.school_id) == (
        world.priya,
        "203.0.113.9",
        str(submission.id),
        world.a1.id,
    )
    assert audit.metadata == {
        "guardian_id": world.ana.id,
        "consent_id": granted.id,
        "is_school_permission_confirmed": True,
    }
    event = ActivityEvent.objects.get(kind="shared")
    assert (event.child, event.actor) == (world.mia, world.priya)


@pytest.mark.parametrize(
    "photo,confirmed,message",
    [
        (None, True, "The family has not agreed"),  # never asked
        (False, True, "The family has not agreed"),
        (True, False, "Confirm that the school holds permission"),
    ],
)
def test_sharing_is_refused_without_both_and_nothing_is_written(world, photo, confirmed, message):
    if photo is not None:
        consent(world, world.ana, photo=photo)
    submission = approved(world)
    before = row_counts()
    with pytest.raises(SharingError, match=message):
        share(world, submission, confirmed=confirmed)
    assert row_counts() == before
    assert state(submission.id) == (False, None, None)


def test_only_the_sending_guardians_opt_in_counts(world):
    # Ben agreed, but the work was sent by Ana, who did not.
    consent(world, world.ben, photo=True)
    consent(world, world.ana, photo=False)
    with pytest.raises(SharingError, match="The family has not agreed"):
        share(world, approved(world))


def test_an_opt_in_in_another_district_does_not_count(world):
    consent(world, world.ana, photo=True, district=world.hillcrest)
    with pytest.raises(SharingError, match="The family has not agreed"):
        share(world, approved(world))


def test_only_approved_work_is_shared_and_only_once(world):
    consent(world, world.ana, photo=True)
    waiting = submit(world.ana, world.mia, quiz_for(world))
    with pytest.raises(SharingError, match="Only approved work"):
        share(world, staff.access_submission(scope_of(world.priya), waiting.id))
    submission = approved(world)
    share(world, submission)
    with pytest.raises(SharingError, match="already marked"):
        share(world, submission)
    assert AuditEvent.objects.filter(action="submission.shared").count() == 1


def test_withdrawing_the_opt_in_unmarks_that_guardians_shared_work(world):
    consent(world, world.ana, photo=True)
    consent(world, world.ben, photo=True)
    quiz = quiz_for(world)
    mine = approved(world, world.ana, world.mia, quiz)
    theirs = approved(world, world.ben, world.noah, quiz)
    share(world, mine)
    share(world, theirs)

    consent(world, world.ana, photo=False)

    assert state(mine.id) == (False, None, None)
    assert state(theirs.id)[0] is True
    audit = AuditEvent.objects.get(action="submission.unshared")
    assert (audit.actor, audit.target_id, audit.metadata) == (
        world.ana,
        str(mine.id),
        {"reason": "consent_withdrawn", "guardian_id": world.ana.id},
    )
    # Run again: nothing left to unmark, nothing more written.
    assert do_unshare_after_consent_withdrawn(world.ana, world.lakeside, actor=Actor(None)) == 0
    assert AuditEvent.objects.filter(action="submission.unshared").count() == 1


def test_withdrawing_in_another_district_unmarks_nothing_here(world):
    consent(world, world.ana, photo=True)
    submission = approved(world)
    share(world, submission)
    consent(world, world.ana, photo=False, district=world.hillcrest)
    assert state(submission.id)[0] is True


def test_an_admin_takes_the_mark_off(world):
    consent(world, world.ana, photo=True)
    submission = share(world, approved(world))
    do_unshare_submission(scope_of(world.priya), submission, actor=Actor(world.priya))
    assert state(submission.id) == (False, None, None)
    assert AuditEvent.objects.get(action="submission.unshared").metadata["reason"] == "staff"


# --- the page -----------------------------------------------------------------------------------


def test_the_page_asks_for_the_schools_permission_when_the_family_agreed(world, client, login):
    consent(world, world.ana, photo=True)
    submission = approved(world)
    url = reverse("review:submission", args=[submission.id])
    login(world.priya)
    page = client.get(url).content.decode()
    assert "The family has agreed to their photos and comments being used" in page
    assert 'name="permission" required' in page

    response = client.post(reverse("review:share", args=[submission.id]), follow=True)
    assert "Confirm that the school holds permission" in response.content.decode()
    assert state(submission.id)[0] is False

    response = client.post(
        reverse("review:share", args=[submission.id]), {"permission": "on"}, follow=True
    )
    assert "Marked for the school&#x27;s newsletter" in response.content.decode()
    assert state(submission.id)[:2] == (True, world.priya.id)

    client.post(reverse("review:share", args=[submission.id]), {"unshare": "1"})
    assert state(submission.id)[0] is False


def test_the_page_says_why_work_cannot_be_shared(world, client, login):
    submission = approved(world)
    login(world.priya)
    page = client.get(reverse("review:submission", args=[submission.id])).content.decode()
    assert "The family has not agreed to their photos and comments being used" in page
    assert 'name="permission"' not in page
    login(world.tom)  # teachers review; only admins share
    page = client.get(reverse("review:submission", args=[submission.id])).content.decode()
    assert "School newsletter and social media" not in page


@pytest.mark.parametrize(
    "person,role,status",
    [
        ("tom", Role.TEACHER, 403),
        ("quinn", Role.SCHOOL_ADMIN, 404),
        ("hope", Role.SCHOOL_ADMIN, 404),
        ("dana", Role.DISTRICT_ADMIN, 403),
        ("ana", Role.GUARDIAN, 403),
    ],
)
def test_others_cannot_share(world, client, login, person, role, status):
    consent(world, world.ana, photo=True)
    submission = approved(world)
    login(world.people[person], role=role)
    before = row_counts()
    response = client.post(reverse("review:share", args=[submission.id]), {"permission": "on"})
    assert response.status_code == status
    assert row_counts() == before

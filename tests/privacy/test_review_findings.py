"""Review findings on the privacy engine: each test pins a bug found in review."""

from guardians.actions import do_link_guardian
from guardians.models import GuardianLink
from notifications.models import Delivery, Message
from privacy.audit import Actor
from privacy.jobs import JOBS, run_job
from privacy.models import PrivacyRequest
from privacy.requests import do_create_request
from tenants.models import User
from tests.activities.test_media import private_storage

__all__ = ["private_storage"]


def _message(district):
    return Message.objects.create(district=district, kind="announcement", content={"en": "Hi"})


def test_erasure_in_one_district_keeps_the_guardians_deliveries_in_another(world):
    """Ana, a guardian in both districts, is forgotten by Lakeside: Hillcrest's message log
    (R11) keeps the address it sent to; only Lakeside's deliveries lose theirs."""
    do_link_guardian(world.zoe, world.ana, actor=Actor.system())
    lake = Delivery.objects.create(
        district=world.lakeside,
        message=_message(world.lakeside),
        recipient=world.ana,
        channel="email",
        address=world.ana.email,
    )
    hill = Delivery.objects.create(
        district=world.hillcrest,
        message=_message(world.hillcrest),
        recipient=world.ana,
        channel="email",
        address=world.ana.email,
    )
    do_create_request(
        world.lakeside,
        kind=PrivacyRequest.Kind.ERASURE,
        requester=world.ana,
        actor=Actor(user=world.ana),
    )
    run = run_job(JOBS["erasure"], world.lakeside)
    assert run.outcome == "succeeded", run.error
    lake.refresh_from_db()
    hill.refresh_from_db()
    assert (lake.address, lake.recipient_id) == ("", None)
    assert (hill.address, hill.recipient_id) == (world.ana.email, world.ana.id)
    assert User.objects.get(id=world.ana.id).is_active
    assert GuardianLink.objects.filter(guardian=world.ana, child=world.zoe).exists()


def test_erasure_of_a_teacher_who_is_also_a_parent_keeps_their_staff_role(world):
    """Tom teaches Room 1 and is Mia's guardian: forgotten as a parent, his employer keeps his
    account, his teaching role and his roster record (the page says processing is restricted)."""
    from privacy.models import ErasedRosterId
    from tenants.models import Membership, Role, RosterPerson

    do_link_guardian(world.mia, world.tom, actor=Actor.system())
    RosterPerson.objects.create(district=world.lakeside, user=world.tom, sourced_id="T-TOM")
    do_create_request(
        world.lakeside,
        kind=PrivacyRequest.Kind.ERASURE,
        requester=world.tom,
        actor=Actor(user=world.tom),
    )
    run = run_job(JOBS["erasure"], world.lakeside)
    assert run.outcome == "succeeded", run.error
    memberships = Membership.objects.filter(user=world.tom, district=world.lakeside)
    assert memberships.filter(role=Role.TEACHER, is_active=True).exists()
    assert not memberships.filter(role=Role.GUARDIAN, is_active=True).exists()
    tom = User.objects.get(id=world.tom.id)
    assert (tom.email, tom.is_active) == (world.tom.email, True)
    assert not GuardianLink.objects.filter(guardian=world.tom).exists()
    assert RosterPerson.objects.filter(user=world.tom, sourced_id="T-TOM").exists()
    assert not ErasedRosterId.objects.filter(kind=ErasedRosterId.Kind.PERSON).exists()


def test_a_withdrawal_loses_to_a_run_that_claims_the_request_meanwhile(world, monkeypatch):
    """The daily run claims a school deletion's timer while the admin withdraws it: the
    withdrawal must fail (the run is deleting), not mark the request "withdrawn, nothing was
    deleted" while the data goes."""
    import pytest

    from privacy import timers
    from privacy.districts import requests as district_requests
    from privacy.models import LifecycleTimer
    from tenants.actions import ActionError
    from tests.activities.helpers import scope_of

    request = district_requests.do_request_deletion(
        scope_of(world.dana), school=world.a2, actor=Actor(user=world.dana)
    )
    real_cancel = district_requests.cancel_timers

    def cancel_after_a_sweep_claimed(**kwargs):
        claimed = timers._claim(now=request.created_at, kinds=None, district_id=None)
        assert [t.subject_id for t in claimed] == [request.id]
        return real_cancel(**kwargs)

    monkeypatch.setattr(district_requests, "cancel_timers", cancel_after_a_sweep_claimed)
    with pytest.raises(ActionError):
        district_requests.do_withdraw_deletion_request(request, actor=Actor(user=world.dana))
    request.refresh_from_db()
    assert request.status == PrivacyRequest.Status.OPEN
    # (Here the "sweep" ran inside the withdrawal's transaction, rolled back with it.)
    assert LifecycleTimer.objects.get(subject_id=request.id).state != "cancelled"


def test_erasure_removes_the_familys_household_address_unless_someone_still_lives_there(world):
    """Ana's household (a label and a street address) goes with her when she was its only
    member; Ben's, which Cal still shares, stays for Cal."""
    from guardians.models import Household, HouseholdMember

    own = Household.objects.create(
        district=world.lakeside, label="Alvarez home", address_line1="12 Canary Lane"
    )
    HouseholdMember.objects.create(district=world.lakeside, household=own, guardian=world.ana)
    shared = Household.objects.create(
        district=world.lakeside, label="Brooks home", address_line1="3 Shared Road"
    )
    for person in (world.ben, world.cal):
        HouseholdMember.objects.create(district=world.lakeside, household=shared, guardian=person)
    for requester in (world.ana, world.ben):
        do_create_request(
            world.lakeside,
            kind=PrivacyRequest.Kind.ERASURE,
            requester=requester,
            actor=Actor(user=requester),
        )
    run = run_job(JOBS["erasure"], world.lakeside)
    assert run.outcome == "succeeded", run.error
    assert not Household.objects.filter(id=own.id).exists()
    assert list(shared.members.values_list("guardian_id", flat=True)) == [world.cal.id]
    assert Household.objects.filter(id=shared.id, address_line1="3 Shared Road").exists()


def test_erasure_empties_the_familys_words_in_their_earlier_privacy_requests(world):
    """A correction request holds the family's words ("Mia's birthday is 5 May") and the
    school's answer; after erasure neither is left."""
    from privacy.requests import do_complete_request

    correction = do_create_request(
        world.lakeside,
        kind=PrivacyRequest.Kind.CORRECTION,
        requester=world.ana,
        details="Mia Alvarez was born on 5 May 2019",
        actor=Actor(user=world.ana),
    )
    do_complete_request(
        correction, response="Fixed Mia Alvarez's birth date", actor=Actor(user=world.priya)
    )
    erasure = do_create_request(
        world.lakeside,
        kind=PrivacyRequest.Kind.ERASURE,
        requester=world.ana,
        details="Please forget Mia Alvarez",
        actor=Actor(user=world.ana),
    )
    run = run_job(JOBS["erasure"], world.lakeside)
    assert run.outcome == "succeeded", run.error
    correction.refresh_from_db()
    erasure.refresh_from_db()
    assert (correction.details, correction.response) == ("", "")
    assert (erasure.details, erasure.status) == ("", "done")


def test_a_restore_whose_parent_was_deleted_since_fails_cleanly(world, private_storage):
    """A teacher deletes a submission, then an admin deletes the child it was about: restoring
    the submission would point at a missing child. A clear RestoreError, nothing changed (not a
    foreign-key error at commit, a 500)."""
    import pytest

    from activities.models import Activity
    from privacy.archive import RestoreError
    from privacy.lifecycle import do_delete_with_restore, do_restore
    from privacy.models import Archive
    from tests.activities.helpers import task_for
    from tests.activities.test_media import submit

    submission = submit(
        world, [], activity=task_for(world, response=Activity.Response.TEXT), text="Pancakes"
    )

    def delete(subject, kind):
        return do_delete_with_restore(
            subject,
            kind=kind,
            district_id=world.lakeside.id,
            school_id=world.a1.id,
            actor=Actor(user=world.priya),
            reason="mistake",
        )

    deleted_work = delete(submission, Archive.Kind.SUBMISSION)
    delete(world.mia, Archive.Kind.CHILD)
    with pytest.raises(RestoreError):
        do_restore(deleted_work, actor=Actor(user=world.priya))
    deleted_work.refresh_from_db()
    assert deleted_work.state == Archive.State.ARCHIVED


def test_deleting_an_account_from_one_district_never_takes_another_districts_rows(
    world, client, login
):
    """Ana was a guardian at Hillcrest (her role there ended, Hillcrest keeps her link and its
    message log). Lakeside's admin deletes her account: Hillcrest's rows must not go into
    Lakeside's archive; the account is used elsewhere, so it is not Lakeside's to delete."""
    from django.urls import reverse

    from privacy.models import Archive
    from tenants.models import Membership

    do_link_guardian(world.zoe, world.ana, actor=Actor.system())
    Membership.objects.filter(user=world.ana, district=world.hillcrest).update(is_active=False)
    GuardianLink.objects.filter(guardian=world.ana, child=world.zoe).update(is_active=False)
    hill = Delivery.objects.create(
        district=world.hillcrest,
        message=_message(world.hillcrest),
        recipient=world.ana,
        channel="email",
        address=world.ana.email,
    )
    login(world.dana)
    client.post(reverse("manage:guardian_delete", args=[world.ana.id]), {"reason": "x"})
    assert GuardianLink.objects.filter(guardian=world.ana, child=world.zoe).exists()
    assert Delivery.objects.get(id=hill.id).recipient_id == world.ana.id
    assert not Archive.objects.filter(rows__district_id=world.lakeside.id).filter(
        rows__model_label="guardians.guardianlink", rows__data__refs__child=world.zoe.id
    )

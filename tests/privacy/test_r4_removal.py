"""PROMISES R4 through the product: a child the school removes stays available to the family, a
child the family removes stays with the school, and a child removed by both is deleted by the
privacy engine's `removed_children` job after the policy's window (90 days by default).

tests/privacy/test_lifecycle.py sets the states directly; these go through the people page, the
family's own "Remove from my account" page, the roster import and `manage.py retention`.
"""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from activities.actions.review import do_approve_submission
from activities.actions.submissions import SubmissionError, do_submit
from activities.models import BadgeAward, Submission
from activities.queries import staff
from activities.queries.family import access_child_activity
from activities.queries.leaderboards import get_classroom_leaderboard
from guardians.models import Child, Enrollment, GuardianLink
from guardians.queries.family import get_family_home
from notifications.queries import audience_user_ids
from privacy.audit import Actor
from privacy.lifecycle import schedule_child_deletions
from privacy.models import Archive, AuditEvent, LifecycleTimer
from tenants.models import District, Membership, Role, User
from tests.activities.helpers import family_scope, quiz_for, scope_of
from tests.tenants import roster_files as rf
from tests.tenants.roster_run import counts, run_import

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)  # a Monday, 09:00 in Chicago
DAY = datetime.timedelta(days=1)


def at(moment):
    return time_machine.travel(moment, tick=False)


def answers(activity) -> dict:
    return {str(q.id): 1 if q.kind == "choice" else "7" for q in activity.questions.all()}


def submit(world, guardian, child, activity) -> Submission:
    scope = family_scope(guardian)
    child, activity = access_child_activity(scope, child.id, activity.id)
    return do_submit(scope, child, activity, answers=answers(activity), actor=Actor(user=guardian))


def retention_run(moment) -> tuple[int, str]:
    out = io.StringIO()
    with at(moment):
        try:
            call_command(
                "retention", "run", "--job", "removed_children", stdout=out, stderr=io.StringIO()
            )
        except SystemExit as exit_:
            return exit_.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def test_R4_school_removal_keeps_the_child_for_the_family(world, client, login):
    done = quiz_for(world)
    waiting = quiz_for(world)  # never answered: open for Noah until the school removes him
    submission = submit(world, world.ben, world.noah, done)
    tom = scope_of(world.tom)
    do_approve_submission(
        tom,
        staff.access_submission(tom, submission.id),
        feedback="Lovely counting, Noah!",
        badge_label="Counting star",
        actor=Actor(user=world.tom),
    )
    assert [row.display_name for row in get_classroom_leaderboard(world.room1)] == ["Noah B."]

    login(world.priya)
    removed = client.post(reverse("manage:child_remove", args=[world.noah.id]))
    assert removed.status_code == 302

    noah = Child.objects.get(id=world.noah.id)
    assert noah.is_active is False and noah.removed_at is not None
    assert not Enrollment.objects.filter(child=noah, is_active=True).exists()
    # the family keeps Noah, and Ben his guardian role
    link = GuardianLink.objects.get(guardian=world.ben, child=noah)
    assert link.is_active is True
    assert Membership.objects.filter(user=world.ben, role=Role.GUARDIAN, is_active=True).exists()

    login(world.ben)
    (card,) = get_family_home(family_scope(world.ben)).children
    assert (card.child.id, card.classrooms, card.teachers, card.open_activities) == (
        noah.id,
        [],
        [],
        [],
    )
    home = client.get(reverse("guardians:home")).content.decode()
    assert "No longer at Lakeside Elementary" in home
    assert "Their past work, feedback and badges stay here for you." in home
    assert "To do" not in home and "Counting to ten" not in home
    portfolio = client.get(reverse("family_activities:portfolio", args=[noah.id]))
    assert portfolio.status_code == 200
    page = portfolio.content.decode()
    assert "Counting to ten" in page and "Lovely counting, Noah!" in page
    assert "Counting star" in page
    assert list(BadgeAward.objects.filter(child=noah).values_list("label", flat=True)) == [
        "",
        "Counting star",
    ]
    feed = client.get(reverse("family_activities:feed", args=[noah.id])).context["feed"]
    assert feed.open == [] and [item.activity.id for item in feed.done] == [done.id]
    detail = client.get(reverse("family_activities:activity", args=[noah.id, done.id]))
    assert detail.status_code == 200
    assert (detail.context["is_open"], detail.context["is_editable"]) == (False, False)
    assert "Lovely counting, Noah!" in detail.content.decode()
    # what he never did is no longer his to open, and nothing new can be sent for him
    assert (
        client.get(reverse("family_activities:activity", args=[noah.id, waiting.id])).status_code
        == 404
    )
    before = list(Submission.objects.values_list("id", "status", "updated_at"))
    client.post(reverse("family_activities:activity", args=[noah.id, done.id]), {"text": "More"})
    api = client.post(
        f"/api/v1/family/children/{noah.id}/activities/{done.id}/",
        {"answers": answers(done)},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert api.json() == {
        "non_field_errors": [
            "Noah is no longer at Lakeside Elementary, so nothing new can be sent for them."
        ]
    }
    scope = family_scope(world.ben)
    child, activity = access_child_activity(scope, noah.id, done.id)
    with pytest.raises(SubmissionError) as refused:
        do_submit(scope, child, activity, answers=answers(done), actor=Actor(user=world.ben))
    assert str(refused.value) == (
        "Noah is no longer at Lakeside Elementary, so nothing new can be sent for them."
    )
    assert list(Submission.objects.values_list("id", "status", "updated_at")) == before

    # the school: off its lists and its leaderboard; school messages no longer reach Ben
    assert get_classroom_leaderboard(world.room1) == []
    assert get_classroom_leaderboard(world.room1, is_staff_view=True) == []
    assert not staff.list_review_queue(scope_of(world.tom)).filter(child=noah).exists()
    school = {"type": "schools", "ids": [world.a1.id]}
    reached = {row["guardian_id"] for row in audience_user_ids(world.lakeside.id, school)}
    assert world.ben.id not in reached and world.ana.id in reached
    # removed by the school only: no deletion clock, and Noah stays, however long
    assert schedule_child_deletions(world.lakeside.id, now=T0 + 400 * DAY) == {
        "started": 0,
        "stopped": 0,
    }
    code, _out = retention_run(T0 + 400 * DAY)
    assert code == 0 and Child.objects.filter(id=noah.id).exists()


def test_R4_family_removal_keeps_the_child_for_the_school(world, client, login):
    submission = submit(world, world.ana, world.mia, quiz_for(world))
    login(world.ana)
    url = reverse("guardians:remove_child", args=[world.mia.id])
    assert client.get(url).status_code == 200

    response = client.post(url)

    assert response.status_code == 302 and response["Location"] == reverse("home")
    ana_link = GuardianLink.objects.get(guardian=world.ana, child=world.mia)
    assert ana_link.is_active is False
    unlinked = AuditEvent.objects.get(action="guardian.unlinked")
    assert (unlinked.actor_id, unlinked.target_id, unlinked.school_id) == (
        world.ana.id,
        str(ana_link.id),
        world.a1.id,
    )
    # Ana keeps Leo (and her role); Mia is gone from her pages
    assert [c.child.first_name for c in get_family_home(family_scope(world.ana)).children] == [
        "Leo"
    ]
    assert client.get(reverse("guardians:child_detail", args=[world.mia.id])).status_code == 404
    assert (
        client.get(reverse("family_activities:portfolio", args=[world.mia.id])).status_code == 404
    )
    # the school keeps Mia as she was: her record, class, work and other guardian (Cal)
    mia = Child.objects.get(id=world.mia.id)
    assert (mia.is_active, mia.removed_at) == (True, None)
    assert Enrollment.objects.filter(child=mia, classroom=world.room1, is_active=True).exists()
    assert Submission.objects.filter(id=submission.id).exists()
    assert GuardianLink.objects.get(guardian=world.cal, child=mia).is_active is True
    login(world.priya)
    people = client.get(reverse("manage:child_list")).context["page"]
    assert "Mia Alvarez" in [c.display_name for c in people]
    detail = client.get(reverse("manage:child_detail", args=[mia.id])).content.decode()
    assert "Cal Alvarez" in detail
    # removed by the family only (Cal's no-access link still holds Mia): no deletion clock
    GuardianLink.objects.filter(guardian=world.cal).update(is_active=False)
    assert schedule_child_deletions(world.lakeside.id, now=T0 + 400 * DAY)["started"] == 0
    code, _out = retention_run(T0 + 400 * DAY)
    assert code == 0 and Child.objects.filter(id=mia.id, is_active=True).exists()


def test_R4_removed_by_both_deleted_after_90_days(world, client, login):
    with at(T0 - 7 * DAY):
        submission = submit(world, world.ben, world.noah, quiz_for(world))
    with at(T0):
        login(world.priya)
        client.post(reverse("manage:child_remove", args=[world.noah.id]))
    removed_by_family = T0 + 10 * DAY
    with at(removed_by_family):
        login(world.ben)
        page = client.get(reverse("guardians:remove_child", args=[world.noah.id]))
        text = page.content.decode()
        assert "Lakeside Elementary has already removed Noah." in text
        assert "is deleted after 90 days." in text
        client.post(reverse("guardians:remove_child", args=[world.noah.id]))
    assert not GuardianLink.objects.filter(child_id=world.noah.id, is_active=True).exists()
    # Ben had only Noah: his guardian role ends with the link, his account stays
    assert not Membership.objects.filter(user=world.ben, is_active=True).exists()
    assert User.objects.get(id=world.ben.id).is_active is True

    # the daily job sees both removals and starts the clock that day
    code, out = retention_run(removed_by_family)
    assert code == 0, out
    timer = LifecycleTimer.objects.get(kind=LifecycleTimer.Kind.CHILD_DELETION)
    assert (timer.subject_type, timer.subject_id) == ("guardians.child", world.noah.id)
    assert timer.due_at == removed_by_family + 90 * DAY

    retention_run(removed_by_family + 89 * DAY)
    assert Child.objects.filter(id=world.noah.id).exists()
    assert Submission.objects.filter(id=submission.id).exists()

    code, out = retention_run(removed_by_family + 90 * DAY)
    assert code == 0, out
    assert not Child.objects.filter(id=world.noah.id).exists()
    assert not Submission.objects.filter(id=submission.id).exists()
    assert not GuardianLink.objects.filter(child_id=world.noah.id).exists()
    timer.refresh_from_db()
    assert timer.state == LifecycleTimer.State.DONE
    archive = Archive.objects.get(kind=Archive.Kind.CHILD, subject_id=world.noah.id)
    assert archive.state == Archive.State.PURGED
    # the rest of Room 1 is as it was
    assert Child.objects.filter(id=world.mia.id, is_active=True).exists()


def test_R4_roster_leaver_stays_for_the_family(client, login, tmp_path):
    run_import(rf.write_zip(tmp_path / "1.zip", rf.oneroster_11()), "maple")
    files = rf.oneroster_11()  # the next night's bulk file: Sol has left Maple Middle
    rf.drop_row(files, "users.csv", "st-2")
    rf.drop_row(files, "enrollments.csv", "e3")
    rf.set_cell(files, "users.csv", "g-1", "agentSourcedIds", "st-1")

    report, status = run_import(rf.write_zip(tmp_path / "2.zip", files), "maple")

    assert status == 0, report["errors"]
    assert report["deactivated"] == counts(children=1, enrollments=1)
    sol = Child.objects.get(sourced_id="st-2")
    assert sol.is_active is False and sol.removed_at is not None
    gina = User.objects.get(email="gina@example.com")
    assert GuardianLink.objects.get(guardian=gina, child=sol).is_active is True
    login(gina, role=Role.GUARDIAN)
    home = client.get(reverse("guardians:home")).content.decode()
    assert "Sara Stone" in home and "Sol Stone" in home
    assert "No longer at Maple Middle" in home
    assert client.get(reverse("family_activities:portfolio", args=[sol.id])).status_code == 200
    # the same file again changes nothing: the family's link is not ended later
    again, _ = run_import(rf.write_zip(tmp_path / "3.zip", files), "maple")
    assert again["deactivated"] == counts()
    assert GuardianLink.objects.get(guardian=gina, child=sol).is_active is True
    # Gina removes Sol herself: removed by both, the clock starts
    client.post(reverse("guardians:remove_child", args=[sol.id]))
    district = District.objects.get(slug="maple")
    assert GuardianLink.objects.get(guardian=gina, child=sol).is_active is False
    assert Membership.objects.filter(
        user=gina, district=district, role=Role.GUARDIAN, is_active=True
    ).exists()  # she keeps Sara
    assert schedule_child_deletions(district.id, now=sol.removed_at)["started"] == 1


def test_R4_the_families_api_says_a_removed_child_is_no_longer_at_school(world, client, login):
    from guardians.actions.manage import do_remove_child

    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)):
        do_remove_child(Child.objects.get(id=world.noah.id), actor=Actor(user=world.priya))
    login(world.ben)
    (noah,) = client.get("/api/v1/family/children/").json()["results"]
    assert (noah["id"], noah["is_at_school"], noah["removed_at"]) == (
        world.noah.id,
        False,
        "2026-11-02T09:00:00Z",
    )
    assert client.get(f"/api/v1/family/children/{world.noah.id}/").json()["is_at_school"] is False

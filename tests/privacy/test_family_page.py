"""A family's own privacy page (/privacy/me/): what Engage holds and why, the clocks, the policy
windows, their choices (C3, C4), corrections (R14), restriction (R13), closing (R2) and being
forgotten (R5), each for the signed-in guardian and their own children only."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from activities.actions.submissions import do_submit
from activities.queries.leaderboards import LeaderboardRow, get_classroom_leaderboard
from guardians.actions import do_link_guardian
from notifications.models import Message
from notifications.queries import audience_users
from privacy.audit import Actor
from privacy.models import (
    AuditEvent,
    Consent,
    LifecycleTimer,
    PolicyVersion,
    PrivacyRequest,
    ProcessingRestriction,
)
from privacy.requests import do_complete_request, do_restrict_processing
from privacy.timers import set_timer
from tenants.actions import do_create_user
from tests.activities.helpers import family_scope, jpeg_upload, quiz_for, task_for
from tests.counts import SESSION_QUERIES
from tests.privacy.test_export import private_storage, quiz_answers  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 30, 15, 0, tzinfo=datetime.UTC)
ME = "/privacy/me/"


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the page ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "status"),
    [("ben", 200), ("cal", 200), ("tom", 403), ("priya", 403), ("dana", 403), ("vera", 403)],
)
def test_the_page_is_for_guardians_only(world, client, login, person, status):
    login(world.people[person])
    assert client.get(ME).status_code == status


def test_anonymous_people_are_asked_to_sign_in(client):
    assert client.get(ME)["Location"] == f"/accounts/login/?next={ME}"


def test_the_page_opens_before_agreeing_to_a_new_policy(world, client):
    client.force_login(world.ben)  # no consent remembered: other family pages ask for it
    assert client.get("/family/")["Location"] == reverse("join:consent")
    response = client.get(ME)
    assert response.status_code == 200
    assert 'name="is_policy_accepted"' in response.content.decode()


def test_the_nav_links_guardians_to_the_page(world, client, login):
    login(world.ben)
    assert f'href="{ME}"' in client.get("/family/").content.decode()
    login(world.tom)
    assert f'href="{ME}"' not in client.get("/teach/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_what_is_held_is_shown_by_category_with_counts_and_only_for_own_children(
    world, client, login, django_capture_on_commit_callbacks
):
    quiz, task = quiz_for(world), task_for(world)
    ben = family_scope(world.ben)
    with django_capture_on_commit_callbacks(execute=True):
        do_submit(ben, world.noah, quiz, answers=quiz_answers(quiz), actor=Actor(world.ben))
        do_submit(
            ben,
            world.noah,
            task,
            text="Soup",
            photos=[jpeg_upload(), jpeg_upload()],
            actor=Actor(world.ben),
        )
    login(world.ben)
    response = client.get(ME)
    text = page_text(response)
    summary = response.context["overview"].children[0]
    assert (summary.child, summary.submissions, summary.photos, summary.badges) == (
        world.noah,
        2,
        2,
        1,
    )
    assert "<dt>Activities and photos</dt><dd>2 activities completed, 2 photos</dd>" in text
    assert "<dt>Pupil number</dt><dd>P-NOAH</dd>" in text
    assert "<dt>Email</dt><dd>ben@example.org</dd>" in text
    for title in ("Who you are", "How to reach you", "School record", "What you sent"):
        assert f"<h4>{title}</h4>" in text
    assert "Other families never see it" in text
    assert "Mia" not in text and "Leo" not in text and "Ivy" not in text


def test_a_guardian_without_access_sees_no_child(world, client, login):
    login(world.cal)  # Mia's father, marked "no access"
    response = client.get(ME)
    assert response.context["overview"].children == []
    assert "Mia" not in page_text(response)


def test_a_co_parent_is_only_a_fact(world, client, login):
    gus = do_create_user(
        email="gus@example.org", first_name="Gus", last_name="Secretname", actor=Actor.system()
    )
    do_link_guardian(world.noah, gus, actor=Actor.system())
    login(world.ben)
    text = page_text(client.get(ME))
    assert "Another guardian is linked to this child." in text
    assert "Secretname" not in text and "gus@example.org" not in text


@time_machine.travel(NOW, tick=False)
def test_the_inactivity_closure_date_comes_from_the_timer_or_the_last_sign_in(world, client, login):
    login(world.ben)  # signing in starts the clock: closure 12 months on, notice 30 days before
    closure = LifecycleTimer.objects.get(subject_id=world.ben.id, kind="inactivity_closure")
    assert closure.due_at == datetime.datetime(2027, 11, 30, 15, 0, tzinfo=datetime.UTC)
    text = page_text(client.get(ME))
    assert "If you do not sign in, your account closes on Nov. 30, 2027." in text
    assert "We will remind you on Oct. 31, 2027." in text
    LifecycleTimer.objects.filter(subject_id=world.ben.id).delete()
    world.ben.refresh_from_db()
    assert world.ben.last_login == NOW
    overview = client.get(ME).context["overview"]
    assert overview.closes_on == datetime.datetime(2027, 11, 30, 15, 0, tzinfo=datetime.UTC)
    assert overview.notice_on == datetime.datetime(2027, 10, 31, 15, 0, tzinfo=datetime.UTC)


def test_someone_who_also_works_at_a_school_has_no_inactivity_closure(world, client, login):
    login(world.tess, role="guardian")
    response = client.get(ME)
    assert response.context["overview"].closes_on is None
    assert "it does not close when you do not sign in" in page_text(response)


@time_machine.travel(NOW, tick=False)
def test_the_page_shows_a_pending_deletion_open_requests_and_the_policy_windows(
    world, client, login
):
    login(world.ben)
    set_timer(
        kind=LifecycleTimer.Kind.ACCOUNT_DELETION,
        subject=world.ben,
        due_at=NOW + datetime.timedelta(days=90),
        district_id=world.lakeside.id,
    )
    client.post(
        reverse("privacy:correction"), {"school": world.a1.id, "details": "Noah is in grade 4."}
    )
    text = page_text(client.get(ME))
    assert "will be deleted for good on Feb. 28, 2027" in text
    assert "is answered by Dec. 30, 2026 at the latest." in text
    assert "<dt>A closed account is held before final deletion for</dt><dd>90 days</dd>" in text
    assert "<dt>A request to be forgotten is carried out within</dt><dd>30 days</dd>" in text
    assert "<dt>An account nobody signs in to closes after</dt><dd>12 months</dd>" in text


def test_the_page_costs_the_same_queries_whatever_the_family_holds(
    world, client, login, assert_num_queries, django_capture_on_commit_callbacks
):
    login(world.ben)
    client.get(ME)  # warm: the scope and the nav are cached
    expected = SESSION_QUERIES + 14
    with assert_num_queries(expected):
        assert client.get(ME).status_code == 200
    quiz, task = quiz_for(world), task_for(world)
    do_link_guardian(world.ivy, world.ben, actor=Actor.system())
    ben = family_scope(world.ben)
    with django_capture_on_commit_callbacks(execute=True):
        for child in (world.noah, world.ivy):
            do_submit(ben, child, task, text="x", photos=[jpeg_upload()], actor=Actor(world.ben))
        do_submit(ben, world.noah, quiz, answers=quiz_answers(quiz), actor=Actor(world.ben))
    client.post(reverse("privacy:correction"), {"school": world.a1.id, "details": "Fix"})
    client.get(ME)  # the new child's links invalidated the cached scope
    with assert_num_queries(expected):
        response = client.get(ME)
    assert len(response.context["overview"].children) == 2


# --- choices (C3, C4) ----------------------------------------------------------------------------


def test_C4_opt_in_changes_are_recorded(world, client, login):
    login(world.ben)
    client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    response = client.post(
        reverse("privacy:consents"), {"photo_promotion": "on", "non_essential": "on"}
    )
    assert response["Location"] == f"{ME}#choices"
    client.post(reverse("privacy:consents"), {"photo_promotion": "on"})
    rows = list(
        Consent.objects.filter(user=world.ben)
        .order_by("recorded_at", "id")
        .values_list("kind", "is_granted", "source")
    )
    assert rows == [
        ("privacy_policy", True, "settings"),
        ("photo_promotion", False, "settings"),
        ("non_essential", False, "settings"),
        ("photo_promotion", True, "settings"),
        ("non_essential", True, "settings"),
        ("non_essential", False, "settings"),
    ]
    assert AuditEvent.objects.filter(action="consent.recorded", actor=world.ben).count() == 3
    text = page_text(client.get(ME))
    assert "Photos and comments in the school's promotion: <strong>yes</strong>" in text
    assert "Optional news and event messages: <strong>no</strong>" in text
    version = PolicyVersion.objects.get(district=world.lakeside).version
    assert f"You agreed to the privacy policy (version {version}) on" in text


def test_C2_a_new_policy_must_be_agreed_before_choices_change(world, client, login):
    login(world.ben)
    client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    PolicyVersion.objects.create(
        district=world.lakeside,
        version="2027-01",
        title="New",
        summary="",
        effective_at=timezone.now(),
    )
    before = Consent.objects.count()
    response = client.post(reverse("privacy:consents"), {"photo_promotion": "on"}, follow=True)
    assert "Please agree to the privacy policy" in page_text(response)
    assert Consent.objects.count() == before
    client.post(reverse("privacy:consents"), {"is_policy_accepted": "on"})
    latest = Consent.objects.filter(kind="privacy_policy").latest("recorded_at", "id")
    assert latest.policy_version.version == "2027-01"


# --- corrections (R14) ---------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_R14_a_correction_goes_to_the_child_s_school_and_its_answer_shows(world, client, login):
    login(world.ana)
    form = client.get(reverse("privacy:correction")).context["form"]
    assert form.fields["school"].choices == [
        (world.a1.id, "Lakeside Elementary"),
        (world.a2.id, "Lakeside Middle"),
    ]
    response = client.post(
        reverse("privacy:correction"), {"school": world.a2.id, "details": "Leo is Leonardo."}
    )
    assert response["Location"] == f"{ME}#requests"
    request = PrivacyRequest.objects.get()
    assert (request.kind, request.status, request.school, request.requester, request.details) == (
        "correction",
        "open",
        world.a2,
        world.ana,
        "Leo is Leonardo.",
    )
    assert request.due_at == NOW + datetime.timedelta(days=30)
    assert AuditEvent.objects.filter(action="privacy_request.created", actor=world.ana).exists()
    do_complete_request(request, response="Corrected to Leonardo.", actor=Actor(world.quinn))
    assert "Corrected to Leonardo." in page_text(client.get(ME))


@pytest.mark.parametrize("school", ["a2", "b1"])
def test_R14_a_school_of_no_child_of_theirs_is_a_404_and_nothing_is_written(
    world, client, login, school
):
    login(world.ben)  # Noah is at a1 only
    audit = AuditEvent.objects.count()
    response = client.post(
        reverse("privacy:correction"), {"school": world.schools[school].id, "details": "x"}
    )
    assert response.status_code == 404
    assert not PrivacyRequest.objects.exists() and AuditEvent.objects.count() == audit


# --- restriction (R13) ---------------------------------------------------------------------------


def test_R13_restricted_family_is_left_off_the_leaderboard(
    world, client, login, assert_num_queries
):
    quiz = quiz_for(world)
    for user, child in ((world.ana, world.mia), (world.ben, world.noah)):
        do_submit(family_scope(user), child, quiz, answers=quiz_answers(quiz), actor=Actor(user))
    both = [LeaderboardRow(1, "Mia A.", 1), LeaderboardRow(1, "Noah B.", 1)]
    assert get_classroom_leaderboard(world.room1) == both
    login(world.ben)
    response = client.post(reverse("privacy:restriction"), {"action": "restrict"})
    assert response["Location"] == f"{ME}#restriction"
    with assert_num_queries(2):  # still the settings and one statement
        assert get_classroom_leaderboard(world.room1) == [LeaderboardRow(1, "Mia A.", 1)]
    assert ProcessingRestriction.objects.get(user=world.ben).lifted_at is None
    assert "your children are off the leaderboards" in page_text(client.get(ME))
    client.post(reverse("privacy:restriction"), {"action": "lift"})
    assert get_classroom_leaderboard(world.room1) == both
    assert AuditEvent.objects.filter(action="restriction.lifted", actor=world.ben).exists()


def test_R13_a_child_stays_on_the_leaderboard_while_another_guardian_is_not_restricted(world):
    quiz = quiz_for(world)
    do_submit(
        family_scope(world.ana), world.mia, quiz, answers=quiz_answers(quiz), actor=Actor(world.ana)
    )
    do_link_guardian(world.mia, world.ben, actor=Actor.system())
    do_restrict_processing(world.ana, world.lakeside, actor=Actor(world.ana))
    assert [r.display_name for r in get_classroom_leaderboard(world.room1)] == ["Mia A."]
    do_restrict_processing(world.ben, world.lakeside, actor=Actor(world.ben))
    # Cal, Mia's father without access, does not keep her on: only guardians with access count.
    assert get_classroom_leaderboard(world.room1) == []


def test_R13_a_restricted_family_gets_only_privacy_notices(world, client, login):
    login(world.ben)
    client.post(reverse("privacy:restriction"), {"action": "restrict"})
    message = Message(district=world.lakeside, kind="announcement", audience={"type": "district"})
    assert world.ben not in audience_users(message)
    message.kind = "privacy_notice"
    assert world.ben in audience_users(message)


def test_restriction_needs_a_known_action(world, client, login):
    login(world.ben)
    assert client.post(reverse("privacy:restriction"), {"action": "x"}).status_code == 400
    assert not ProcessingRestriction.objects.exists()


# --- closing (R2) and being forgotten (R5) ------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_R2_closing_signs_out_and_holds(world, client, login):
    login(world.ben)
    page = page_text(client.get(reverse("privacy:close")))
    assert "Your account is closed now and deleted for good on Feb. 28, 2027." in page
    response = client.post(reverse("privacy:close"))
    assert response["Location"] == reverse("privacy:closed")
    world.ben.refresh_from_db()
    assert world.ben.is_active is False
    timer = LifecycleTimer.objects.get(subject_id=world.ben.id, kind="account_deletion")
    assert (timer.state, timer.due_at) == ("pending", NOW + datetime.timedelta(days=90))
    event = AuditEvent.objects.get(action="account.closed")
    assert event.metadata == {"reason": "closed by the family", "delete_on": "2027-02-28"}
    closed = page_text(client.get(reverse("privacy:closed")))
    assert "Your account is deleted for good on Feb. 28, 2027." in closed
    assert client.get(ME)["Location"].startswith("/accounts/login/")  # signed out


def test_R2_someone_who_works_at_a_school_cannot_close_their_account_here(world, client, login):
    login(world.tess, role="guardian")
    response = client.post(reverse("privacy:close"))
    assert response.status_code == 200 and "only your school can close it" in page_text(response)
    world.tess.refresh_from_db()
    assert world.tess.is_active is True
    assert not LifecycleTimer.objects.filter(kind="account_deletion").exists()


@time_machine.travel(NOW, tick=False)
def test_R5_forget_me_opens_an_erasure_request_due_in_30_days(world, client, login):
    login(world.ben)
    page = page_text(client.get(reverse("privacy:forget")))
    assert "Engage deletes your data by Dec. 30, 2026 at the latest." in page
    assert "Counts without names" in page
    response = client.post(reverse("privacy:forget"))
    assert response["Location"] == reverse("privacy:closed")
    request = PrivacyRequest.objects.get()
    assert (request.kind, request.status, request.requester) == ("erasure", "open", world.ben)
    assert request.due_at == NOW + datetime.timedelta(days=30)
    world.ben.refresh_from_db()
    assert world.ben.is_active is False
    closing = AuditEvent.objects.get(action="account.closed")
    assert closing.metadata["reason"] == "erasure requested"
    closed = page_text(client.get(reverse("privacy:closed")))
    assert "Your request to be forgotten is carried out by Dec. 30, 2026" in closed


def test_R5_someone_who_works_at_a_school_is_restricted_while_the_erasure_waits(
    world, client, login
):
    login(world.tess, role="guardian")
    response = client.post(reverse("privacy:forget"))
    assert response["Location"] == f"{ME}#requests"
    assert PrivacyRequest.objects.filter(kind="erasure", status="open").count() == 1
    assert ProcessingRestriction.objects.filter(user=world.tess, lifted_at=None).exists()
    world.tess.refresh_from_db()
    assert world.tess.is_active is True
    again = client.get(reverse("privacy:forget"))
    assert "You already asked." in page_text(again)
    client.post(reverse("privacy:forget"))
    assert PrivacyRequest.objects.filter(kind="erasure").count() == 1


@pytest.mark.parametrize(
    "name", ["privacy:consents", "privacy:restriction", "privacy:close", "privacy:forget"]
)
def test_every_post_needs_the_csrf_token(world, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.ben)
    audit = AuditEvent.objects.count()
    response = client.post(reverse(name), {"action": "restrict", "photo_promotion": "on"})
    assert response.status_code == 403
    world.ben.refresh_from_db()
    assert world.ben.is_active is True and AuditEvent.objects.count() == audit
    assert not PrivacyRequest.objects.exists() and not Consent.objects.exists()


@pytest.mark.parametrize(
    "name", ["privacy:consents", "privacy:restriction", "privacy:close", "privacy:forget"]
)
def test_staff_cannot_post_to_a_family_s_privacy_actions(world, client, login, name):
    login(world.priya)
    assert client.post(reverse(name), {"action": "restrict"}).status_code == 403
    assert not PrivacyRequest.objects.exists() and not ProcessingRestriction.objects.exists()

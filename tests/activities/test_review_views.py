"""The review pages: who reaches them, deciding from the queue, opening a school with a reason,
and the queue's query count as submissions grow."""

import time

import pytest
import time_machine
from django.urls import reverse

from activities.models import BadgeAward, Submission
from activities.views.review import OPENED_SESSION_KEY, get_opened_school_ids
from privacy.models import AuditEvent
from tenants.models import Role
from tests.activities.helpers import jpeg_upload, quiz_for
from tests.activities.test_review import _more_families, feedback, submit, written
from tests.tenants.test_cross_tenant_sweep import row_counts

pytestmark = pytest.mark.django_db

QUEUE = "/review/"


@pytest.mark.parametrize(
    "person,role,status",
    [
        (None, None, 302),
        ("ana", Role.GUARDIAN, 403),
        ("vera", Role.VIEWER, 403),
        ("sam", Role.STAFF, 403),
        ("dana", Role.DISTRICT_ADMIN, 403),
        ("tom", Role.TEACHER, 200),
        ("tina", Role.TEACHER, 200),
        ("priya", Role.SCHOOL_ADMIN, 200),
        ("hugo", Role.TEACHER, 200),
    ],
)
def test_who_reaches_the_review_queue(world, client, login, person, role, status):
    if person:
        login(world.people[person], role=role)
    assert client.get(QUEUE).status_code == status


def test_the_queue_shows_what_the_family_sent(world, client, login):
    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz, choice=2, short="Nine", text="<b>We</b> counted.")
    login(world.tom)
    page = client.get(QUEUE).content.decode()
    assert "Mia · Counting to ten" in page
    assert "Alvarez" not in page  # the child's first name only
    assert "✗ wrong" in page and "Nine" in page
    assert "&lt;b&gt;We&lt;/b&gt; counted." in page  # escaped, never run
    assert "Score: 0 of 1" in page
    assert 'href="?status=submitted" aria-current="page">Waiting for review</a> (1)' in page
    login(world.tina)
    assert "Nothing is waiting for review." in client.get(QUEUE).content.decode()


def test_photos_show_as_permission_checked_thumbnails(world, client, login):
    from activities.media import process_photo

    quiz = quiz_for(world)
    submission = submit(world.ana, world.mia, quiz, photos=[jpeg_upload()])
    photo = submission.photos.get()
    login(world.tom)
    url = reverse("review:submission", args=[submission.id])
    assert "Processing…" in client.get(url).content.decode()
    process_photo(photo.id)  # the worker's task (after commit, which tests never reach)
    page = client.get(url).content.decode()
    thumbnail = reverse("files:review_photo", args=[photo.id, "thumbnail"])
    image = reverse("files:review_photo", args=[photo.id, "image"])
    assert f'<a href="{image}"><img src="{thumbnail}" alt="Photo 1 sent for Mia"' in page
    assert client.get(thumbnail).status_code == 200


def test_approving_from_the_queue_with_a_badge(world, client, login):
    quiz = quiz_for(world)
    submission = submit(world.ana, world.mia, quiz)
    login(world.tom)
    response = client.post(
        reverse("review:decide", args=[submission.id]),
        {"decision": "approve", "feedback": "Lovely", "badge": "Counting star", "next": QUEUE},
    )
    assert (response.status_code, response["Location"]) == (302, QUEUE)
    submission.refresh_from_db()
    assert (submission.status, submission.feedback, submission.reviewed_by) == (
        "approved",
        "Lovely",
        world.tom,
    )
    assert BadgeAward.objects.get(kind="teacher").label == "Counting star"
    assert feedback().count() == 1
    assert "Approved. The family will be told." in client.get(QUEUE).content.decode()


def test_a_next_url_elsewhere_is_ignored(world, client, login):
    quiz = quiz_for(world)
    submission = submit(world.ana, world.mia, quiz)
    login(world.tom)
    response = client.post(
        reverse("review:decide", args=[submission.id]),
        {"decision": "approve", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("review:submission", args=[submission.id])


def test_returning_without_feedback_says_why_and_changes_nothing(world, client, login):
    quiz = quiz_for(world)
    submission = submit(world.ana, world.mia, quiz)
    login(world.tom)
    before = written()
    response = client.post(
        reverse("review:decide", args=[submission.id]), {"decision": "return"}, follow=True
    )
    assert "Write a few words of feedback" in response.content.decode()
    assert written() == before
    assert Submission.objects.get(id=submission.id).status == "submitted"


def test_deciding_twice_is_refused_with_a_message(world, client, login):
    quiz = quiz_for(world)
    submission = submit(world.ana, world.mia, quiz)
    login(world.tom)
    url = reverse("review:decide", args=[submission.id])
    client.post(url, {"decision": "approve"})
    before = written()
    response = client.post(url, {"decision": "return", "feedback": "No"}, follow=True)
    assert "This submission has already been reviewed." in response.content.decode()
    assert written() == before


def test_a_badge_for_an_already_reviewed_submission(world, client, login):
    quiz = quiz_for(world)
    submission = submit(world.ana, world.mia, quiz)
    login(world.tom)
    client.post(reverse("review:decide", args=[submission.id]), {"decision": "approve"})
    page = client.get(reverse("review:submission", args=[submission.id])).content.decode()
    assert "Award a badge" in page and "Your decision" not in page
    client.post(reverse("review:badge", args=[submission.id]), {"label": "Helper"})
    assert list(BadgeAward.objects.values_list("kind", "label", "child_id")) == [
        ("first", "", world.mia.id),
        ("teacher", "Helper", world.mia.id),
    ]


@pytest.mark.parametrize("outsider", ["tina", "mo", "quinn", "hugo", "hope"])
def test_outsiders_get_404_and_nothing_is_written(world, client, login, outsider):
    quiz = quiz_for(world)
    submission = submit(world.ana, world.mia, quiz)
    login(world.people[outsider])
    before = row_counts()
    for name, data in [
        ("review:submission", None),
        ("review:decide", {"decision": "approve"}),
        ("review:badge", {"label": "x"}),
    ]:
        url = reverse(name, args=[submission.id])
        response = client.post(url, data) if data else client.get(url)
        assert response.status_code == 404, (name, response.status_code)
    assert row_counts() == before


def test_the_queue_query_count_stays_the_same_as_submissions_grow(world, client, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz, photos=[jpeg_upload()])
    login(world.tom)
    client.get(QUEUE)  # first-use caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(QUEUE).status_code == 200
    _more_families(world, 8, quiz)
    with CaptureQueriesContext(connection) as large:
        page = client.get(QUEUE).content.decode()
    assert page.count("<article") == 9
    assert len(large.captured_queries) == len(small.captured_queries), "\n".join(
        q["sql"] for q in large.captured_queries
    )


# --- district admins: aggregates, and a school opened with a reason -----------------------------


def test_a_district_admin_sees_counts_per_school_and_no_content(world, client, login):
    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz, text="Private words")
    login(world.dana)
    page = client.get(reverse("review:district")).content.decode()
    assert "<tr><td>Lakeside Elementary</td><td>1</td><td>33%</td><td>33%</td></tr>" in page
    assert "<tr><td>Lakeside Middle</td><td>0</td><td>0%</td><td>0%</td></tr>" in page
    assert "Private words" not in page and "Mia" not in page
    assert "Hillcrest" not in page


@pytest.mark.parametrize(
    "person,role", [("priya", Role.SCHOOL_ADMIN), ("tom", Role.TEACHER), ("vera", Role.VIEWER)]
)
def test_only_district_admins_open_schools(world, client, login, person, role):
    login(world.people[person], role=role)
    assert client.get(reverse("review:district")).status_code == 403
    before = row_counts()
    response = client.post(
        reverse("review:open_school"), {"school": world.a1.id, "reason": "Complaint"}
    )
    assert response.status_code == 403
    assert row_counts() == before


def test_opening_a_school_needs_a_reason_and_is_audited(world, client, login):
    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz, text="Our words")
    login(world.dana)
    url = reverse("review:open_school")
    response = client.post(url, {"school": world.a1.id, "reason": " "}, follow=True)
    assert "Say why you need to see" in response.content.decode()
    assert not AuditEvent.objects.filter(action="school.opened").exists()
    assert client.session.get(OPENED_SESSION_KEY) is None

    response = client.post(
        url, {"school": world.a1.id, "reason": "Parent complaint  #42"}, follow=True
    )
    page = response.content.decode()
    assert "Lakeside Elementary is open to you for an hour." in page
    assert "Mia · Counting to ten" in page and "Our words" in page
    assert 'action="/review/submissions/' not in page  # read-only: no decision forms
    audit = AuditEvent.objects.get(action="school.opened")
    assert (audit.actor, audit.target_type, audit.target_id, audit.school_id) == (
        world.dana,
        "tenants.school",
        str(world.a1.id),
        world.a1.id,
    )
    assert audit.metadata == {"reason": "Parent complaint #42"}


def test_another_districts_school_cannot_be_opened(world, client, login):
    login(world.dana)
    before = row_counts()
    response = client.post(reverse("review:open_school"), {"school": world.b1.id, "reason": "x y"})
    assert response.status_code == 404
    assert row_counts() == before
    response = client.post(reverse("review:open_school"), {"school": "nope", "reason": "x y"})
    assert response.status_code == 404


def test_an_opened_school_closes_after_an_hour_or_on_request(world, client, login, rf):
    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz, text="Our words")
    with time_machine.travel(time.time(), tick=False) as traveller:
        login(world.dana)
        client.post(reverse("review:open_school"), {"school": world.a1.id, "reason": "Audit"})
        assert "Our words" in client.get(reverse("review:district")).content.decode()
        traveller.shift(3599)
        assert "Our words" in client.get(reverse("review:district")).content.decode()
        traveller.shift(2)
        assert "Our words" not in client.get(reverse("review:district")).content.decode()
    client.post(reverse("review:open_school"), {"school": world.a1.id, "reason": "Again"})
    assert "Our words" in client.get(reverse("review:district")).content.decode()
    client.post(reverse("review:close_school"), {"school": world.a1.id})
    assert "Our words" not in client.get(reverse("review:district")).content.decode()


def test_opened_schools_hold_only_for_the_district_admin_role_that_opened_them(
    world, client, login
):
    login(world.dana)
    client.post(reverse("review:open_school"), {"school": world.a1.id, "reason": "Audit"})
    request = client.get(reverse("review:district")).wsgi_request
    assert get_opened_school_ids(request) == frozenset({world.a1.id})
    # The same session acting as a teacher (or in another district) has nothing opened.
    login(world.tom)
    session = client.session
    session[OPENED_SESSION_KEY] = {str(world.a1.id): [world.lakeside.id, time.time() + 60]}
    session.save()
    request = client.get(QUEUE).wsgi_request
    assert get_opened_school_ids(request) == frozenset()

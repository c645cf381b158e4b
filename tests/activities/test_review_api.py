"""The review API: the queue, a submission, approve / return (409 when decided already), badges,
sharing with consent, the district's counts; who reaches what; exact payloads."""

import pytest

from activities.models import BadgeAward, Submission
from privacy.models import AuditEvent
from tenants.models import Role
from tests.activities.helpers import quiz_for
from tests.activities.test_review import _more_families, feedback, submit
from tests.activities.test_sharing import consent
from tests.tenants.test_cross_tenant_sweep import row_counts

pytestmark = pytest.mark.django_db

API = "/api/v1/review/submissions/"


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_the_queue_lists_waiting_submissions_with_answers_marked(world, client, login):
    quiz = quiz_for(world)
    mia = submit(world.ana, world.mia, quiz, choice=1, short="Seven", text="We counted.")
    login(world.tom)
    body = client.get(API).json()
    assert body["count"] == 1 and body["next"] is None
    (item,) = body["results"]
    assert item == {
        "id": mia.id,
        "status": "submitted",
        "child_id": world.mia.id,
        "child_first_name": "Mia",
        "activity_id": quiz.id,
        "activity_title": "Counting to ten",
        "classroom": {"id": world.room1.id, "name": "Room 1"},
        "submitted_at": item["submitted_at"],
        "text": "We counted.",
        "answers": [
            {"prompt": "2 + 3?", "answer": "5", "is_correct": True},
            {"prompt": "Your favourite number?", "answer": "Seven", "is_correct": None},
        ],
        "score": 1,
        "max_score": 1,
        "rating": None,
        "comment": "",
        "photos": [],
        "feedback": "",
        "reviewed_at": None,
        "is_shared": False,
        "shared_at": None,
    }
    assert client.get(API + "?status=approved").json()["count"] == 0
    assert client.get(API + "?status=nope").status_code == 400


@pytest.mark.parametrize(
    "person,role,status",
    [
        ("tom", Role.TEACHER, 200),
        ("priya", Role.SCHOOL_ADMIN, 200),
        ("dana", Role.DISTRICT_ADMIN, 403),
        ("vera", Role.VIEWER, 403),
        ("ana", Role.GUARDIAN, 403),
    ],
)
def test_who_reaches_the_queue(world, client, login, person, role, status):
    login(world.people[person], role=role)
    assert client.get(API).status_code == status


def test_anonymous_requests_are_refused(world, client):
    assert client.get(API).status_code in (401, 403)


def test_approve_then_a_second_decision_is_a_conflict(world, client, login):
    quiz = quiz_for(world)
    mia = submit(world.ana, world.mia, quiz)
    login(world.tom)
    response = post(client, f"{API}{mia.id}/approve/", {"feedback": "Great", "badge_label": "Star"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["feedback"]) == ("approved", "Great")
    assert BadgeAward.objects.get(kind="teacher").label == "Star"
    assert feedback().count() == 1

    before = row_counts()
    response = post(client, f"{API}{mia.id}/return/", {"feedback": "Again"})
    assert response.status_code == 409
    assert response.json() == {"detail": "This submission has already been reviewed."}
    assert row_counts() == before


def test_return_needs_feedback(world, client, login):
    quiz = quiz_for(world)
    noah = submit(world.ben, world.noah, quiz)
    login(world.tom)
    before = row_counts()
    response = post(client, f"{API}{noah.id}/return/")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Write a few words of feedback")
    assert row_counts() == before
    response = post(client, f"{API}{noah.id}/return/", {"feedback": "Look at question 1."})
    assert (response.status_code, response.json()["status"]) == (200, "returned")


def test_a_badge(world, client, login):
    quiz = quiz_for(world)
    mia = submit(world.ana, world.mia, quiz)
    login(world.tom)
    response = post(client, f"{API}{mia.id}/badges/", {"label": "Kind helper"})
    assert response.status_code == 201
    award = BadgeAward.objects.get(kind="teacher")
    assert response.json() == {
        "id": award.id,
        "kind": "teacher",
        "label": "Kind helper",
        "child_id": world.mia.id,
        "submission_id": mia.id,
        "awarded_at": response.json()["awarded_at"],
    }
    assert post(client, f"{API}{mia.id}/badges/", {"label": ""}).status_code == 400
    assert post(client, f"{API}{mia.id}/badges/", {"label": "x" * 81}).status_code == 400
    assert BadgeAward.objects.filter(kind="teacher").count() == 1


def test_sharing_through_the_api(world, client, login):
    quiz = quiz_for(world)
    mia = submit(world.ana, world.mia, quiz)
    login(world.priya)
    post(client, f"{API}{mia.id}/approve/")
    response = post(client, f"{API}{mia.id}/share/", {"school_holds_permission": True})
    assert response.status_code == 400
    assert "has not agreed" in response.json()["detail"]
    consent(world, world.ana, photo=True)
    response = post(client, f"{API}{mia.id}/share/", {"school_holds_permission": False})
    assert response.json() == {"detail": "Confirm that the school holds permission to share this."}
    response = post(client, f"{API}{mia.id}/share/", {"school_holds_permission": True})
    assert (response.status_code, response.json()["is_shared"]) == (200, True)
    response = client.delete(f"{API}{mia.id}/share/")
    assert (response.status_code, response.json()["is_shared"]) == (200, False)
    assert list(
        AuditEvent.objects.filter(action__in=["submission.shared", "submission.unshared"])
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["submission.shared", "submission.unshared"]


def test_teachers_cannot_share(world, client, login):
    quiz = quiz_for(world)
    mia = submit(world.ana, world.mia, quiz)
    login(world.tom)
    response = post(client, f"{API}{mia.id}/share/", {"school_holds_permission": True})
    assert response.status_code == 403


@pytest.mark.parametrize("outsider", ["tina", "mo", "quinn", "hugo", "hope", "hank"])
def test_another_scopes_submission_is_404_and_nothing_is_written(world, client, login, outsider):
    quiz = quiz_for(world)
    mia = submit(world.ana, world.mia, quiz)
    login(world.people[outsider])
    before = row_counts()
    assert client.get(f"{API}{mia.id}/").status_code in (403, 404)
    for action, data in [
        ("approve", {}),
        ("return", {"feedback": "x"}),
        ("badges", {"label": "x"}),
        ("share", {"school_holds_permission": True}),
    ]:
        assert post(client, f"{API}{mia.id}/{action}/", data).status_code in (403, 404)
    assert row_counts() == before
    assert Submission.objects.get(id=mia.id).status == "submitted"


def test_the_queue_api_query_count_does_not_grow(world, client, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz)
    login(world.tom)
    client.get(API)
    with CaptureQueriesContext(connection) as small:
        client.get(API)
    _more_families(world, 5, quiz)
    with CaptureQueriesContext(connection) as large:
        assert client.get(API).json()["count"] == 6
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_district_admin_reads_counts_per_school(world, client, login):
    quiz = quiz_for(world)
    submit(world.ana, world.mia, quiz)
    login(world.dana)
    rows = client.get("/api/v1/review/schools/").json()
    assert rows == [
        {
            "school_id": world.a1.id,
            "name": "Lakeside Elementary",
            "submissions_this_week": 1,
            "enrolled": 3,
            "week_percent": 33,
            "year_percent": 33,
        },
        {
            "school_id": world.a2.id,
            "name": "Lakeside Middle",
            "submissions_this_week": 0,
            "enrolled": 1,
            "week_percent": 0,
            "year_percent": 0,
        },
    ]
    login(world.priya)
    assert client.get("/api/v1/review/schools/").status_code == 403

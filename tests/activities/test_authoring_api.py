"""The authoring API (/api/v1/activities/): create, read, update, schedule, publish, close, the
library; the same checks as the pages, nothing written on a refusal."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from activities.actions.authoring import do_create_activity
from activities.models import Activity
from notifications.models import Kind, Message
from privacy.audit import Actor
from tenants.models import Role
from tests.activities.helpers import quiz_for, scope_of
from tests.tenants.test_cross_tenant_sweep import row_counts

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, *args):
    return reverse(f"api_activities:{name}", args=args)


def quiz_payload(world, **extra):
    return {
        "kind": "quiz",
        "title": "<b>Shapes</b>",
        "instructions": "Look around.",
        "translations": {"es": {"title": "Formas"}},
        "points": 15,
        "due_at": "2026-11-27T23:00:00Z",
        "is_answer_revealed": True,
        "targets": [{"classroom_id": world.room1.id}],
        "questions": [
            {
                "prompt": "Sides of a triangle?",
                "choices": ["2", "3", "4"],
                "correct_choice": 1,
                "translations": {"es": {"prompt": "¿Lados?", "choices": ["2", "3", "4"]}},
            },
            {"prompt": "Name a round thing.", "kind": "short"},
        ],
        **extra,
    }


def test_a_teacher_creates_reads_and_publishes_a_quiz(world, client, login):
    login(world.tom)
    response = client.post(url("list"), quiz_payload(world), content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    quiz = Activity.objects.get()
    assert body["id"] == quiz.id
    assert {k: body[k] for k in ("kind", "status", "title", "points", "due_at", "school_id")} == {
        "kind": "quiz",
        "status": "draft",
        "title": "<b>Shapes</b>",  # plain text: pages escape it
        "points": 15,
        "due_at": "2026-11-27T23:00:00Z",
        "school_id": world.a1.id,
    }
    assert body["translations"] == {"es": {"title": "Formas"}}
    assert body["targets"] == [
        {
            "id": quiz.targets.get().id,
            "classroom_id": world.room1.id,
            "group_id": None,
            "school_id": world.a1.id,
            "grade_level": "",
            "label": "Room 1",
        }
    ]
    assert [(q["prompt"], q["choices"], q["correct_choice"]) for q in body["questions"]] == [
        ("Sides of a triangle?", ["2", "3", "4"], 1),
        ("Name a round thing.", [], None),
    ]
    assert (body["submission_counts"], body["children_reached"]) == (
        {"submitted": 0, "approved": 0, "returned": 0},
        2,
    )
    assert client.get(url("detail", quiz.id)).json() == body
    published = client.post(url("publish", quiz.id)).json()
    assert (published["status"], published["published_at"]) == ("published", "2026-11-23T15:00:00Z")
    assert Message.objects.filter(kind=Kind.NEW_ACTIVITY, source_id=str(quiz.id)).count() == 1
    closed = client.post(url("close", quiz.id)).json()
    assert (closed["status"], closed["closed_at"]) == ("closed", "2026-11-23T15:00:00Z")


def test_the_list_pages_the_scopes_activities(world, client, login):
    first = quiz_for(world)
    second = quiz_for(world, publish=False)
    login(world.tom)
    body = client.get(url("list")).json()
    assert [(a["id"], a["status"], a["submissions_count"]) for a in body["results"]] == [
        (second.id, "draft", 0),
        (first.id, "published", 0),
    ]
    drafts = client.get(url("list"), {"status": "draft"}).json()["results"]
    assert [a["id"] for a in drafts] == [second.id]


def test_patch_changes_what_is_given(world, client, login):
    quiz = quiz_for(world, publish=False)
    login(world.tom)
    response = client.patch(
        url("detail", quiz.id),
        {
            "title": "Counting to twenty",
            "body_html": "<p>ignored: not a reading</p>",
            "targets": [{"school_id": world.a1.id, "grade_level": "03"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    quiz.refresh_from_db()
    assert (quiz.title, quiz.instructions, quiz.points, quiz.body_html) == (
        "Counting to twenty",
        "Count with your child.",
        10,
        "",
    )
    assert list(quiz.targets.values_list("school_id", "grade_level")) == [(world.a1.id, "03")]
    assert quiz.questions.count() == 2


def test_a_reading_is_sanitised_and_a_video_link_parsed(world, client, login):
    login(world.tom)
    target = [{"classroom_id": world.room1.id}]
    reading = client.post(
        url("list"),
        {
            "kind": "reading",
            "title": "Fox",
            "body_html": '<p onclick="x()">Hi<script>alert(1)</script></p>',
            "targets": target,
        },
        content_type="application/json",
    ).json()
    assert reading["body_html"] == "<p>Hi</p>"
    video = client.post(
        url("list"),
        {
            "kind": "video",
            "title": "Rain",
            "video_url": "https://vimeo.com/76979871",
            "targets": target,
        },
        content_type="application/json",
    ).json()
    assert (video["video_provider"], video["video_id"], video["video_url"]) == (
        "vimeo",
        "76979871",
        "https://vimeo.com/76979871",
    )


@pytest.mark.parametrize(
    "change,errors",
    [
        (
            lambda w: {"kind": "video", "video_url": "https://evil.example/v/1"},
            {"video_url": ["Only YouTube and Vimeo videos can be linked."]},
        ),
        (
            lambda w: {"targets": [{"classroom_id": w.room2.id}]},
            {"targets": ["That classroom is not yours."]},
        ),
        (
            lambda w: {"targets": [{"school_id": w.a1.id}]},
            {"targets": ["A teacher aims at their classrooms, not the whole school."]},
        ),
        (
            lambda w: {"due_at": "2026-11-23T14:59:00Z"},
            {"due_at": ["Choose a due date in the future."]},
        ),
        (
            lambda w: {"questions": [{"prompt": "Pick", "choices": ["a", "b"]}]},
            {"questions": ["Mark one of the answers as right."]},
        ),
        (
            lambda w: {"title": "<script>alert(1)</script>" + "x" * 200},
            {"title": ["Ensure this field has no more than 200 characters."]},
        ),
    ],
)
def test_bad_input_is_400_and_nothing_is_written(world, client, login, change, errors):
    login(world.tom)
    before = row_counts()
    payload = quiz_payload(world, **change(world))
    response = client.post(url("list"), payload, content_type="application/json")
    assert (response.status_code, response.json()) == (400, errors)
    assert row_counts() == before


def test_another_districts_classroom_is_unknown(world, client, login):
    login(world.tom)
    before = row_counts()
    response = client.post(
        url("list"),
        quiz_payload(world, targets=[{"classroom_id": world.roomh1.id}]),
        content_type="application/json",
    )
    assert response.json() == {"targets": ["No such classroom_id in your district."]}
    assert row_counts() == before


def test_schedule(world, client, login):
    quiz = quiz_for(world, publish=False)
    login(world.tom)
    body = client.post(
        url("schedule", quiz.id),
        {"publish_at": "2026-11-24T14:00:00Z"},
        content_type="application/json",
    ).json()
    assert (body["status"], body["publish_at"]) == ("scheduled", "2026-11-24T14:00:00Z")
    past = client.post(
        url("schedule", quiz.id),
        {"publish_at": "2026-11-23T14:00:00Z"},
        content_type="application/json",
    )
    assert (past.status_code, past.json()) == (
        400,
        {"publish_at": ["Choose a time in the future."]},
    )


def test_the_library_and_a_copy(world, client, login):
    template = do_create_activity(
        scope_of(world.dana),
        kind=Activity.Kind.TASK,
        title="Family recipe",
        response=Activity.Response.BOTH,
        is_template=True,
        actor=Actor(user=world.dana),
    )
    login(world.tom)
    assert [t["id"] for t in client.get(url("library")).json()["results"]] == [template.id]
    response = client.post(
        url("copy", template.id),
        {"targets": [{"classroom_id": world.room1.id}]},
        content_type="application/json",
    )
    assert response.status_code == 201
    copy = Activity.objects.get(template=template)
    assert (response.json()["id"], response.json()["template_id"], copy.status) == (
        copy.id,
        template.id,
        "draft",
    )


def test_a_district_admin_creates_templates_through_the_api(world, client, login):
    login(world.dana)
    response = client.post(
        url("list"),
        {"kind": "task", "title": "Recipe", "response": "photo", "is_template": True},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert (response.json()["is_template"], response.json()["school_id"]) == (True, None)


@pytest.mark.parametrize("person,role", [("ben", Role.GUARDIAN), ("vera", Role.VIEWER)])
def test_V1_families_and_viewers_get_403(world, client, login, person, role):
    quiz = quiz_for(world)
    login(world.people[person], role=role)
    assert client.get(url("list")).status_code == 403
    assert client.get(url("detail", quiz.id)).status_code == 403
    assert (
        client.post(url("list"), quiz_payload(world), content_type="application/json").status_code
        == 403
    )


@pytest.mark.parametrize(
    "person,role",
    [("tina", Role.TEACHER), ("quinn", Role.SCHOOL_ADMIN), ("hank", Role.DISTRICT_ADMIN)],
)
def test_outsiders_get_404_and_nothing_is_written(world, client, login, person, role):
    quiz = quiz_for(world, publish=False)
    login(world.people[person], role=role)
    before = row_counts()
    assert client.get(url("detail", quiz.id)).status_code == 404
    assert (
        client.patch(
            url("detail", quiz.id), {"title": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    for name in ("publish", "close"):
        assert client.post(url(name, quiz.id)).status_code == 404
    assert row_counts() == before


def test_anonymous_is_refused(world, client):
    assert client.get(url("list")).status_code in (401, 403)


def test_unschedule(world, client, login):
    quiz = quiz_for(world, publish=False)
    login(world.tom)
    client.post(
        url("schedule", quiz.id),
        {"publish_at": "2026-11-24T14:00:00Z"},
        content_type="application/json",
    )
    body = client.post(url("unschedule", quiz.id)).json()
    assert (body["status"], body["publish_at"]) == ("draft", None)
    again = client.post(url("unschedule", quiz.id))
    assert (again.status_code, again.json()) == (
        400,
        {"non_field_errors": ["This activity is not scheduled."]},
    )


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def test_a_pdf_reading_is_attached_and_removed_through_the_api(
    world, client, login, private_storage
):
    import io

    from activities.actions.authoring import TargetSpec

    reading = do_create_activity(
        scope_of(world.tom),
        kind=Activity.Kind.READING,
        title="Read together",
        body_html="<p>Ten minutes.</p>",
        targets=[TargetSpec(classroom=world.room1)],
        actor=Actor(user=world.tom),
    )
    login(world.tom)
    pdf = io.BytesIO(b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    pdf.name = "story.pdf"
    response = client.put(
        url("attachment", reading.id),
        data=_multipart({"file": pdf}),
        content_type="multipart/form-data; boundary=BoUnDaRy",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["has_attachment"], body["attachment_type"]) == (True, "application/pdf")
    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    fake.name = "story.pdf"
    response = client.put(
        url("attachment", reading.id),
        data=_multipart({"file": fake}),
        content_type="multipart/form-data; boundary=BoUnDaRy",
    )
    assert response.status_code == 400 and "story.pdf is not a PDF document." in str(
        response.json()
    )
    assert client.delete(url("attachment", reading.id)).json()["has_attachment"] is False
    login(world.tina)  # another classroom's teacher
    assert client.delete(url("attachment", reading.id)).status_code in (403, 404)


def _multipart(files: dict) -> bytes:
    from django.test.client import encode_multipart

    return encode_multipart("BoUnDaRy", files)

"""A family's copy of their data (PROMISES R6): one ZIP at once, with everything about the
guardian and each child they have access to, and nothing about anyone else; recorded as an
access request done at once and audited; rate limited; a fixed number of queries."""

import datetime
import io
import json
import zipfile
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.actions.authoring import TargetSpec, do_create_activity, do_publish_activity
from activities.actions.review import do_approve_submission
from activities.actions.submissions import do_submit
from activities.models import Activity, SubmissionPhoto
from guardians.actions import do_link_guardian
from guardians.models import GuardianLink
from notifications.models import Channel
from privacy.audit import Actor
from privacy.export import EXPORTS_PER_HOUR, collect_family_data
from privacy.models import AuditEvent, PrivacyRequest
from tenants.actions import do_create_user
from tests.activities.helpers import family_scope, jpeg_upload, quiz_for, scope_of, task_for
from tests.notifications.helpers import send

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 30, 15, 0, tzinfo=datetime.UTC)
# Planted in other people's data: none of it may appear in any file of Ana's archive.
OTHERS = [
    "NOAH-SECRET-TEXT",
    "BEN-SECRET-ANSWER",
    "BEN-SECRET-COMMENT",
    "BEN-ONLY-MESSAGE",
    "Secretname",
    "gus.secretname@example.org",
    "+13125550177",
    "ben@example.org",
    "Brooks",
    "Noah",
    "cal@example.org",
    "Zoe",
    "tom@example.org",
    "mo@example.org",
]


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path / "media"


def leo_task(world) -> Activity:
    """Mo's at-home task for Room 7 (Leo's classroom), answered with a short text."""
    activity = do_create_activity(
        scope_of(world.mo),
        kind=Activity.Kind.TASK,
        title="Measure your kitchen",
        instructions="Tell us how long it is.",
        targets=[TargetSpec(classroom=world.room7)],
        response=Activity.Response.TEXT,
        actor=Actor(user=world.mo),
    )
    return do_publish_activity(activity, actor=Actor(user=world.mo))


def quiz_answers(quiz, short="7", choice=1) -> dict:
    return {str(q.id): (choice if q.kind == "choice" else short) for q in quiz.questions.all()}


def build_family(world, capture) -> SimpleNamespace:
    """Ana's family with work sent, reviewed and photographed; Ben's (same classroom) and a
    co-parent of Leo (Gus) with their own distinctive data; messages to Ana and to Ben."""
    quiz, task, measure = quiz_for(world), task_for(world), leo_task(world)
    gus = do_create_user(
        email="gus.secretname@example.org",
        phone="+13125550177",
        first_name="Gus",
        last_name="Secretname",
        actor=Actor.system(),
    )
    do_link_guardian(
        world.leo, gus, relationship=GuardianLink.Relationship.FATHER, actor=Actor.system()
    )
    ana, ben = family_scope(world.ana), family_scope(world.ben)
    with capture(execute=True):
        quiz_done = do_submit(
            ana, world.mia, quiz, answers=quiz_answers(quiz), rating=5, actor=Actor(world.ana)
        )
        task_done = do_submit(
            ana,
            world.mia,
            task,
            text="We made soup",
            photos=[jpeg_upload("soup.jpg", color=(10, 200, 10))],
            actor=Actor(world.ana),
        )
        do_submit(
            ben,
            world.noah,
            task,
            text="NOAH-SECRET-TEXT",
            photos=[jpeg_upload("noah.jpg", color=(1, 2, 250))],
            actor=Actor(world.ben),
        )
        do_submit(
            ben,
            world.noah,
            quiz,
            answers=quiz_answers(quiz, short="BEN-SECRET-ANSWER"),
            comment="BEN-SECRET-COMMENT",
            actor=Actor(world.ben),
        )
        gus_done = do_submit(
            family_scope(gus), world.leo, measure, text="GUS-SECRET-TEXT", actor=Actor(gus)
        )
    do_approve_submission(
        scope_of(world.tom), quiz_done, feedback="Well counted!", actor=Actor(world.tom)
    )
    to_ana = send(
        world.lakeside,
        {"type": "guardians", "ids": [world.ana.id]},
        content={
            "en": {"subject": "Hello Ana", "body": "Your message"},
            "es": {"subject": "Hola Ana", "body": "Tu mensaje"},
        },
        channels=[Channel.EMAIL],
    )
    send(
        world.lakeside,
        {"type": "guardians", "ids": [world.ben.id]},
        content={"en": {"subject": "BEN-ONLY-MESSAGE", "body": "BEN-ONLY-MESSAGE"}},
        channels=[Channel.EMAIL],
    )
    return SimpleNamespace(
        quiz=quiz,
        task=task,
        measure=measure,
        quiz_done=quiz_done,
        task_done=task_done,
        gus_done=gus_done,
        gus=gus,
        to_ana=to_ana,
    )


def download(client) -> zipfile.ZipFile:
    response = client.post(reverse("privacy:export"))
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


@time_machine.travel(NOW, tick=False)
def test_R6_export_contains_everything_about_the_family_and_nothing_else(
    world, client, login, django_capture_on_commit_callbacks
):
    family = build_family(world, django_capture_on_commit_callbacks)
    photo = SubmissionPhoto.objects.get(submission=family.task_done)
    login(world.ana)
    archive = download(client)

    mia = world.mia
    photo_name = f"photos/mia-{mia.id}/2026-11-30-{family.task_done.id}-1.jpg"
    assert sorted(archive.namelist()) == sorted(["data.json", "summary.html", photo_name])
    with default_storage.open(photo.image.name, "rb") as stored:
        assert archive.read(photo_name) == stored.read()
    for name in archive.namelist():
        content = archive.read(name).decode("utf-8", "replace")
        for planted in OTHERS:
            assert planted not in content, (name, planted)

    data = json.loads(archive.read("data.json"))
    assert data["format"] == "engage-family-export/1"
    assert data["exported_at"] == "2026-11-30T15:00:00Z"
    assert data["district"] == "Lakeside Unified"
    you = data["you"]
    assert {k: you[k] for k in ("first_name", "last_name", "email", "phone")} == {
        "first_name": "Ana",
        "last_name": "Alvarez",
        "email": "ana@example.org",
        "phone": None,
    }
    assert "password" not in you
    assert [(r["role"], r["school"], r["is_active"]) for r in you["roles"]] == [
        ("guardian", None, True)
    ]
    # Ana reads Spanish: the message as it was sent to her, labels in her language.
    [message] = you["messages"]
    [delivery] = message.pop("deliveries")
    del message["kind_label"]
    assert message == {
        "kind": "announcement",
        "school": None,
        "subject": "Hola Ana",
        "body": "Tu mensaje",
        "is_text_deleted": False,
        "created_at": "2026-11-30T15:00:00Z",
    }
    assert (delivery["channel"], delivery["address"]) == ("email", "ana@example.org")
    assert [c["first_name"] for c in data["children"]] == ["Leo", "Mia"]
    leo_data, mia_data = data["children"]
    assert {k: mia_data[k] for k in ("last_name", "pupil_number", "school", "classes")} == {
        "last_name": "Alvarez",
        "pupil_number": "P-MIA",
        "school": "Lakeside Elementary",
        "classes": ["Room 1"],
    }
    # Cal is Mia's other parent without access: not "another guardian" with access.
    assert mia_data["another_guardian_is_linked"] is False
    assert leo_data["another_guardian_is_linked"] is True
    assert mia_data["your_relationship"] == "mother"
    assert mia_data["progress"]["completions"] == 2
    assert [b["kind"] for b in mia_data["badges"]] == ["first"]
    assert mia_data["submissions"] == [
        {
            "activity": "Counting to ten",
            "activity_kind": "quiz",
            "sent_by": "you",
            "submitted_at": "2026-11-30T15:00:00Z",
            "updated_at": "2026-11-30T15:00:00Z",
            "status": "approved",
            "status_label": mia_data["submissions"][0]["status_label"],
            "text": "",
            "answers": [
                {"question": "2 + 3?", "answer": "5"},
                {"question": "Your favourite number?", "answer": "7"},
            ],
            "score": 1,
            "max_score": 1,
            "rating": 5,
            "comment": "",
            "feedback": "Well counted!",
            "reviewed_by": "Tom Turner",
            "reviewed_at": "2026-11-30T15:00:00Z",
            "is_shared_by_school": False,
            "photos": [],
        },
        {
            "activity": "Cook something together",
            "activity_kind": "task",
            "sent_by": "you",
            "submitted_at": "2026-11-30T15:00:00Z",
            "updated_at": "2026-11-30T15:00:00Z",
            "status": "submitted",
            "status_label": mia_data["submissions"][1]["status_label"],
            "text": "We made soup",
            "answers": [],
            "score": None,
            "max_score": None,
            "rating": None,
            "comment": "",
            "feedback": "",
            "reviewed_by": None,
            "reviewed_at": None,
            "is_shared_by_school": False,
            "photos": [{"file": photo_name, "width": 64, "height": 48}],
        },
    ]
    # Work another guardian sent for Leo is Leo's record, which Ana sees in his portfolio too;
    # who sent it is withheld (the planted name and contacts are absent, checked above).
    assert [(s["activity"], s["sent_by"], s["text"]) for s in leo_data["submissions"]] == [
        ("Measure your kitchen", "another guardian", "GUS-SECRET-TEXT")
    ]


def test_R6_export_of_another_guardian_never_holds_ana_s_family(
    world, client, login, django_capture_on_commit_callbacks
):
    build_family(world, django_capture_on_commit_callbacks)
    login(world.cal)  # Mia's father, marked "no access"
    data = json.loads(download(client).read("data.json"))
    assert data["children"] == []
    archive_text = json.dumps(data)
    assert "We made soup" not in archive_text and "Mia" not in archive_text


def test_R6_export_is_an_access_request_done_at_once_and_audited(
    world, client, login, django_capture_on_commit_callbacks
):
    build_family(world, django_capture_on_commit_callbacks)
    login(world.ana)
    download(client)
    request = PrivacyRequest.objects.get(requester=world.ana)
    assert (request.kind, request.status, request.response) == ("access", "done", "exported")
    counts = {"children": 2, "submissions": 3, "photos": 1, "messages": 1}
    assert request.certificate == {"counts": counts}
    event = AuditEvent.objects.get(action="data.exported")
    assert (event.actor_id, event.target_id, event.district_id, event.metadata) == (
        world.ana.id,
        str(world.ana.id),
        world.lakeside.id,
        counts,
    )


def test_R6_export_is_rate_limited_with_a_clear_message(world, client, login):
    login(world.ben)
    for _ in range(EXPORTS_PER_HOUR):
        assert client.post(reverse("privacy:export")).status_code == 200
    response = client.post(reverse("privacy:export"), follow=True)
    assert response.redirect_chain == [(reverse("privacy:me") + "#download", 302)]
    assert "3 times in the last hour" in response.content.decode()
    assert PrivacyRequest.objects.filter(requester=world.ben).count() == EXPORTS_PER_HOUR


def test_R6_a_photo_lost_by_storage_is_noted_and_the_rest_exported(
    world, client, login, django_capture_on_commit_callbacks
):
    family = build_family(world, django_capture_on_commit_callbacks)
    default_storage.delete(SubmissionPhoto.objects.get(submission=family.task_done).image.name)
    login(world.ana)
    archive = download(client)
    assert sorted(archive.namelist()) == ["data.json", "summary.html"]
    mia = json.loads(archive.read("data.json"))["children"][1]
    assert mia["submissions"][1]["photos"] == [
        {"file": None, "width": 64, "height": 48, "is_missing": True}
    ]


def test_the_summary_is_one_self_contained_page(
    world, client, login, django_capture_on_commit_callbacks
):
    build_family(world, django_capture_on_commit_callbacks)
    login(world.ana)
    summary = download(client).read("summary.html").decode()
    assert "We made soup" in summary and "Well counted!" in summary and "Tom Turner" in summary
    for loaded in ("<script", "<link", "<img", "<iframe", 'src="', "url("):
        assert loaded not in summary
    assert 'href="http' not in summary and 'href="//' not in summary
    assert f'href="photos/mia-{world.mia.id}/' in summary


def test_export_needs_a_post_from_a_guardian(world, client, login):
    url = reverse("privacy:export")
    assert client.post(url)["Location"].startswith("/accounts/login/")
    login(world.ben)
    assert client.get(url).status_code == 405
    for person in ("tom", "priya", "dana", "vera"):
        login(world.people[person])
        assert client.post(url).status_code == 403
    assert not PrivacyRequest.objects.exists()


def test_export_refuses_a_post_without_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.ben)
    assert client.post(reverse("privacy:export")).status_code == 403
    assert not PrivacyRequest.objects.exists()
    assert not AuditEvent.objects.filter(action="data.exported").exists()


def count_export_queries(user) -> int:
    with CaptureQueriesContext(connection) as queries:
        collect_family_data(family_scope(user))
    return len(queries.captured_queries)


def test_R6_export_queries_do_not_grow_with_submissions_photos_or_children(
    world, django_capture_on_commit_callbacks
):
    ben = family_scope(world.ben)
    first = quiz_for(world)
    do_submit(ben, world.noah, first, answers=quiz_answers(first), actor=Actor(world.ben))
    before = count_export_queries(world.ben)
    do_link_guardian(world.ivy, world.ben, actor=Actor.system())
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(3):
            task = do_publish_activity(
                do_create_activity(
                    scope_of(world.priya),
                    kind=Activity.Kind.TASK,
                    title=f"Task {number}",
                    targets=[TargetSpec(school=world.a1)],
                    response=Activity.Response.PHOTO,
                    actor=Actor(world.priya),
                ),
                actor=Actor(world.priya),
            )
            for child in (world.noah, world.ivy):
                do_submit(
                    ben,
                    child,
                    task,
                    text=f"Task {number}",
                    photos=[jpeg_upload(), jpeg_upload()],
                    actor=Actor(world.ben),
                )
    send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]})
    after = count_export_queries(world.ben)
    assert before == after == 16

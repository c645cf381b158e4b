"""Completing activities on a phone (issue 5, item 2): the feed per child, one activity, the
submission (answers, text, photos, rating), edits until review, the portfolio; bad input refused
with nothing stored."""

import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from activities.actions.authoring import do_close_activity
from activities.models import (
    ActivityEvent,
    BadgeAward,
    ChildProgress,
    Submission,
    SubmissionPhoto,
)
from privacy.audit import Actor
from tests.activities.helpers import jpeg_upload, quiz_for, task_for
from tests.counts import SESSION_QUERIES

pytestmark = pytest.mark.django_db


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


def activity_url(child, activity):
    return reverse("family_activities:activity", args=[child.id, activity.id])


def quiz_answers(activity, choice=1, short="7"):
    return {
        f"q{q.id}": (str(choice) if q.kind == "choice" else short) for q in activity.questions.all()
    }


def test_the_feed_lists_what_is_open_by_due_date_then_what_is_done(world, client, login):
    later = quiz_for(world, due_at=datetime.datetime(2026, 12, 20, tzinfo=datetime.UTC))
    sooner = task_for(world, due_at=datetime.datetime(2026, 12, 10, tzinfo=datetime.UTC))
    undated = quiz_for(world)
    login(world.ana)
    feed = client.get(reverse("family_activities:feed", args=[world.mia.id])).context["feed"]
    assert [i.activity.id for i in feed.open] == [sooner.id, later.id, undated.id]
    client.post(activity_url(world.mia, later), quiz_answers(later))
    feed = client.get(reverse("family_activities:feed", args=[world.mia.id])).context["feed"]
    assert [i.activity.id for i in feed.open] == [sooner.id, undated.id]
    assert [i.activity.id for i in feed.done] == [later.id]


def test_a_quiz_is_answered_scored_and_counted(world, client, login):
    quiz = quiz_for(world)
    login(world.ana)
    page = client.get(activity_url(world.mia, quiz))
    assert page.status_code == 200 and "2 + 3?" in page.content.decode()
    response = client.post(activity_url(world.mia, quiz), {**quiz_answers(quiz), "rating": "5"})
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert (submission.score, submission.max_score, submission.rating) == (1, 1, 5)
    assert submission.guardian_id == world.ana.id and submission.classroom_id == world.room1.id
    assert submission.status == "submitted"
    progress = ChildProgress.objects.get(child=world.mia)
    assert (progress.completions, progress.points, progress.streak_weeks) == (1, 10, 1)
    assert list(BadgeAward.objects.values_list("kind", flat=True)) == ["first"]
    assert list(
        ActivityEvent.objects.filter(kind="submitted").values_list("child_id", flat=True)
    ) == [world.mia.id]


def test_answers_can_change_until_the_teacher_approves(world, client, login):
    quiz = quiz_for(world)
    login(world.ana)
    client.post(activity_url(world.mia, quiz), quiz_answers(quiz, choice=0))
    client.post(activity_url(world.mia, quiz), quiz_answers(quiz, choice=1))
    submission = Submission.objects.get()
    assert submission.score == 1
    assert ChildProgress.objects.get(child=world.mia).completions == 1  # counted once
    assert ActivityEvent.objects.filter(kind="edited").count() == 1
    Submission.objects.filter(id=submission.id).update(status="approved")
    page = client.post(activity_url(world.mia, quiz), quiz_answers(quiz, choice=0))
    assert page.status_code == 200
    assert Submission.objects.get().score == 1  # unchanged after review
    assert "Send again" not in page.content.decode()


def test_revealed_answers_show_after_submitting(world, client, login):
    quiz = quiz_for(world)
    quiz.is_answer_revealed = True
    quiz.save(update_fields=["is_answer_revealed"])
    login(world.ben)
    client.post(activity_url(world.noah, quiz), quiz_answers(quiz, choice=0))
    page = client.get(activity_url(world.noah, quiz)).content.decode()
    assert "0 of 1 right" in page and "right answer: 5" in page


def test_a_closed_activity_takes_nothing(world, client, login):
    quiz = quiz_for(world)
    do_close_activity(quiz, actor=Actor.system())
    login(world.ben)
    page = client.post(activity_url(world.noah, quiz), quiz_answers(quiz))
    assert page.status_code == 200 and "This activity is closed." in page.content.decode()
    assert Submission.objects.count() == 0


def test_a_draft_another_familys_child_or_another_classroom_is_404(world, client, login):
    draft = quiz_for(world, publish=False)
    quiz = quiz_for(world)
    login(world.ana)
    assert client.post(activity_url(world.mia, draft), quiz_answers(draft)).status_code == 404
    assert client.post(activity_url(world.leo, quiz), quiz_answers(quiz)).status_code == 404
    login(world.ben)
    assert client.post(activity_url(world.mia, quiz), quiz_answers(quiz)).status_code == 404
    login(world.cal)  # "no access" to Mia
    assert client.get(activity_url(world.mia, quiz)).status_code == 404
    assert Submission.objects.count() == 0


@time_machine.travel(datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC), tick=False)
def test_a_photo_task_takes_photos_and_processes_them(
    world, client, login, django_capture_on_commit_callbacks
):
    task = task_for(world)
    login(world.ben)
    page = client.post(activity_url(world.noah, task), {"text": "Pancakes!"})
    assert "Add a photo." in page.content.decode() and Submission.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            activity_url(world.noah, task),
            {"text": "Pancakes!", "photos": [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")]},
        )
    assert response.status_code == 302
    photos = list(SubmissionPhoto.objects.order_by("position"))
    assert [(p.position, p.status) for p in photos] == [(0, "ready"), (1, "ready")]
    assert all(p.upload == "" and p.image and p.thumbnail for p in photos)
    thumb = f"/files/family/photos/{photos[0].id}/thumbnail/"
    assert f'<img src="{thumb}"' in client.get(activity_url(world.noah, task)).content.decode()
    image = client.get(thumb)
    assert (image.status_code, image["Content-Type"]) == (200, "image/jpeg")
    login(world.ana)  # same classroom, another family: no URL reaches Noah's photo
    for variant in ("thumbnail", "image"):
        assert client.get(f"/files/family/photos/{photos[0].id}/{variant}/").status_code == 404
        assert client.get(f"/files/review/photos/{photos[0].id}/{variant}/").status_code == 403


@pytest.mark.parametrize(
    "upload,message",
    [
        (
            lambda: _named(b"just some text", "photo.jpg"),
            "photo.jpg is not a JPEG, PNG, WebP or HEIC",
        ),
        (
            lambda: _named(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "x.svg"),
            "x.svg is not a",
        ),
    ],
)
def test_a_file_that_is_not_a_photo_is_refused_and_nothing_stored(
    world, client, login, private_storage, upload, message
):
    task = task_for(world)
    login(world.ben)
    page = client.post(activity_url(world.noah, task), {"text": "x", "photos": [upload()]})
    assert message in page.content.decode()
    assert Submission.objects.count() == 0 and SubmissionPhoto.objects.count() == 0
    assert not private_storage.exists() or not any(private_storage.rglob("*.*"))


def test_six_photos_are_refused(world, client, login):
    task = task_for(world)
    login(world.ben)
    photos = [jpeg_upload(f"{n}.jpg") for n in range(6)]
    page = client.post(activity_url(world.noah, task), {"text": "x", "photos": photos})
    assert "You can send up to 5 photos." in page.content.decode()
    assert Submission.objects.count() == 0


def test_a_text_over_1000_characters_is_refused(world, client, login):
    task = task_for(world, response="text")
    login(world.ana)
    page = client.post(activity_url(world.mia, task), {"text": "a" * 1001})
    assert page.status_code == 200 and Submission.objects.count() == 0
    assert "1000" in page.content.decode()


def test_script_in_a_text_is_shown_as_text(world, client, login):
    task = task_for(world, response="text")
    login(world.ana)
    client.post(activity_url(world.mia, task), {"text": "<script>alert(1)</script>"})
    page = client.get(activity_url(world.mia, task)).content.decode()
    assert (
        "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    )


def test_the_portfolio_shows_past_work_feedback_and_badges(world, client, login):
    quiz = quiz_for(world)
    login(world.ben)
    client.post(activity_url(world.noah, quiz), quiz_answers(quiz))
    Submission.objects.update(status="returned", feedback="Well done, try the last one again.")
    page = client.get(reverse("family_activities:portfolio", args=[world.noah.id])).content.decode()
    assert "Counting to ten" in page and "Well done, try the last one again." in page
    assert "First activity" in page


def test_the_feed_page_query_count_does_not_grow(world, client, login, assert_num_queries):
    for _ in range(2):
        quiz_for(world)
    login(world.ana)
    url = reverse("family_activities:feed", args=[world.mia.id])
    client.get(url)
    # The user is cached; the child, enrollments, groups, activities, submissions.
    expected = SESSION_QUERIES + 5
    with assert_num_queries(expected):
        client.get(url)
    for _ in range(4):
        quiz = quiz_for(world)
        client.post(activity_url(world.mia, quiz), quiz_answers(quiz))
    with assert_num_queries(expected):
        client.get(url)


def _named(content: bytes, name: str):
    upload = io.BytesIO(content)
    upload.name = name
    upload.size = len(content)
    return upload


def test_the_family_leaderboard_shows_who_took_part_and_honours_opt_out(world, client, login):
    quiz = quiz_for(world)
    login(world.ben)
    client.post(activity_url(world.noah, quiz), quiz_answers(quiz))
    login(world.ana)
    client.post(activity_url(world.mia, quiz), quiz_answers(quiz))
    url = reverse("family_activities:leaderboard", args=[world.mia.id])
    page = client.get(url).content.decode()
    assert '<li class="mine" aria-current="true"><span class="rank">1</span> Mia A.' in page
    assert '<li><span class="rank">1</span> Noah B.' in page
    assert "2 + 3" not in page and "Counting to ten" not in page  # never what anyone sent
    login(world.ben)
    response = client.post(
        reverse("family_activities:leaderboard", args=[world.noah.id]),
        {"nickname": "The Brooks crew"},  # is_on_leaderboard unticked: opt out
    )
    assert response.status_code == 302
    login(world.ana)
    page = client.get(url).content.decode()
    assert "Noah B." not in page and "Mia A." in page


def test_the_family_leaderboard_runs_a_fixed_number_of_queries(
    world, client, login, assert_num_queries
):
    from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
    from tenants.actions import do_create_user

    quiz = quiz_for(world)
    login(world.ana)
    client.post(activity_url(world.mia, quiz), quiz_answers(quiz))
    url = reverse("family_activities:leaderboard", args=[world.mia.id])
    client.get(url)
    with assert_num_queries(SESSION_QUERIES + 5):  # child+enrollments, progress, settings, rows
        client.get(url)
    for number in range(4):
        child = do_create_child(
            world.a1, first_name=f"Kid{number}", last_name="Z", actor=Actor.system()
        )
        do_enroll_child(child, world.room1, actor=Actor.system())
        parent = do_create_user(email=f"p{number}@example.org", actor=Actor.system())
        do_link_guardian(child, parent, actor=Actor.system())
    with assert_num_queries(SESSION_QUERIES + 5):
        client.get(url)

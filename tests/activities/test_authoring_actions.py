"""Authoring actions (issue 5, item 1): each kind created and published with exact values; edits,
scheduling and closing; bad input refused with nothing written; the district library."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from activities.actions.authoring import (
    AuthoringError,
    QuestionSpec,
    TargetSpec,
    do_close_activity,
    do_create_activity,
    do_publish_activity,
    do_schedule_activity,
    do_unschedule_activity,
    do_update_activity,
)
from activities.actions.library import do_copy_template
from activities.actions.submissions import do_submit
from activities.models import Activity, ActivityEvent, ActivityTarget, Question
from activities.queries import family
from privacy.audit import Actor
from privacy.models import AuditEvent
from tenants.actions import do_create_group
from tenants.models import Group
from tests.activities.helpers import family_scope, jpeg_upload, quiz_for, scope_of
from tests.tenants.test_cross_tenant_sweep import row_counts

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)  # 09:00 in Chicago
DUE = datetime.datetime(2026, 11, 27, 23, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


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


def create(world, user=None, **values):
    user = user or world.tom
    values.setdefault("targets", [TargetSpec(classroom=world.room1)])
    return do_create_activity(scope_of(user), actor=Actor(user=user), **values)


def targets_of(activity):
    return list(
        ActivityTarget.objects.filter(activity=activity)
        .order_by("id")
        .values_list("classroom_id", "group_id", "school_id", "grade_level")
    )


def publish(world, activity, user=None):
    return do_publish_activity(activity, actor=Actor(user=user or world.tom))


# --- each kind ---------------------------------------------------------------------------------


def test_a_quiz_with_choice_and_short_questions_and_translations(world):
    quiz = create(
        world,
        kind=Activity.Kind.QUIZ,
        title="  Shapes  ",
        instructions="Look around the kitchen.",
        translations={"es": {"title": "Formas", "instructions": ""}, "en": {}},
        points=15,
        due_at=DUE,
        is_answer_revealed=True,
        questions=[
            QuestionSpec(
                prompt="How many sides has a triangle?",
                choices=("2", " 3 ", "4", ""),
                correct_choice=1,
                translations={"es": {"prompt": "¿Cuántos lados?", "choices": ["2", "3", "4"]}},
            ),
            QuestionSpec(prompt="Find a circle at home.", kind=Question.Kind.SHORT),
        ],
    )
    quiz.refresh_from_db()
    assert (quiz.kind, quiz.title, quiz.instructions, quiz.points, quiz.due_at) == (
        "quiz",
        "Shapes",
        "Look around the kitchen.",
        15,
        DUE,
    )
    assert quiz.translations == {"es": {"title": "Formas"}}
    assert (quiz.status, quiz.school_id, quiz.district_id) == (
        "draft",
        world.a1.id,
        world.lakeside.id,
    )
    assert (quiz.is_answer_revealed, quiz.created_by_id, quiz.response) == (
        True,
        world.tom.id,
        "optional",
    )
    assert targets_of(quiz) == [(world.room1.id, None, world.a1.id, "")]
    assert list(
        quiz.questions.values_list(
            "position", "kind", "prompt", "choices", "correct_choice", "translations"
        )
    ) == [
        (
            0,
            "choice",
            "How many sides has a triangle?",
            ["2", "3", "4"],
            1,
            {"es": {"prompt": "¿Cuántos lados?", "choices": ["2", "3", "4"]}},
        ),
        (1, "short", "Find a circle at home.", [], None, {}),
    ]
    published = publish(world, quiz)
    assert (published.status, published.published_at, published.closed_at) == (
        "published",
        NOW,
        None,
    )
    assert list(ActivityEvent.objects.filter(activity=quiz).values_list("kind", "school_id")) == [
        ("published", world.a1.id)
    ]
    assert list(
        AuditEvent.objects.filter(target_id=str(quiz.id), target_type="activities.activity")
        .order_by("id")
        .values_list("action", "actor_id")
    ) == [("activity.created", world.tom.id), ("activity.published", world.tom.id)]


@pytest.mark.parametrize(
    "url,provider,video_id",
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42", "youtube", "dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?si=abc", "youtube", "dQw4w9WgXcQ"),
        ("m.youtube.com/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
        ("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
        ("https://youtube.com/shorts/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
        ("//www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
        ("HTTPS://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "vimeo", "76979871"),
        ("https://vimeo.com/76979871/8272103f6e", "vimeo", "76979871:8272103f6e"),
        (
            "https://player.vimeo.com/video/76979871?h=8272103f6e&dnt=1",
            "vimeo",
            "76979871:8272103f6e",
        ),
        ("https://vimeo.com/channels/staffpicks/76979871", "vimeo", "76979871"),
    ],
)
def test_a_video_link_is_kept_as_provider_and_id(world, url, provider, video_id):
    video = create(world, kind=Activity.Kind.VIDEO, title="Watch", video_url=url)
    assert (video.video_provider, video.video_id) == (provider, video_id)
    assert publish(world, video).status == "published"


def test_an_uploaded_picture_is_the_picture_prompt(world, private_storage):
    picture = create(
        world,
        kind=Activity.Kind.PICTURE,
        title="What is happening here?",
        attachment=jpeg_upload("market.jpg", size=(120, 80)),
    )
    picture.refresh_from_db()
    assert picture.attachment_type == "image/jpeg"
    assert picture.attachment.name.startswith(f"activities/{world.lakeside.id}/")
    assert (private_storage / picture.attachment.name).exists()
    assert publish(world, picture).status == "published"


def test_a_reading_is_sanitised_by_the_allow_list(world):
    reading = create(
        world,
        kind=Activity.Kind.READING,
        title="The fox",
        body_html=(
            '<h2 onclick="steal()">The fox</h2><p>A <strong>quick</strong> <em>fox</em>'
            "<script>alert(1)</script><img src=x onerror=alert(1)></p>"
            '<ul><li><a href="javascript:alert(1)">bad</a></li>'
            '<li><a href="https://example.org/fox" target="_blank">good</a></li></ul>'
            '<blockquote>Said the fox</blockquote><iframe src="https://evil.example"></iframe>'
            '<h1>Big</h1><a href="mailto:tom@example.org">Mail</a><style>p{}</style>'
        ),
    )
    assert reading.body_html == (
        '<h2>The fox</h2><p>A <strong>quick</strong> <em>fox</em></p><ul><li><a rel="noopener">'
        'bad</a></li><li><a href="https://example.org/fox" rel="noopener">good</a></li></ul>'
        '<blockquote>Said the fox</blockquote>Big<a href="mailto:tom@example.org" '
        'rel="noopener">Mail</a>'
    )
    assert publish(world, reading).status == "published"


def test_a_plain_text_reading_becomes_paragraphs(world):
    reading = create(
        world, kind=Activity.Kind.READING, title="Poem", body_html="One & two\nthree\n\nFour <3"
    )
    assert reading.body_html == "<p>One &amp; two<br>three</p>\n\n<p>Four &lt;3</p>"


def test_an_at_home_task_for_a_grade_and_a_group(world):
    group = do_create_group(
        world.lakeside,
        school=world.a1,
        name="Grade 3 families",
        kind=Group.Kind.FAMILIES,
        actor=Actor.system(),
    )
    task = create(
        world,
        kind=Activity.Kind.TASK,
        title="Cook together",
        instructions="Send a photo and a few words.",
        response=Activity.Response.BOTH,
        targets=[TargetSpec(school=world.a1, grade_level="03"), TargetSpec(group=group)],
    )
    assert (task.response, task.video_id, task.body_html, task.is_answer_revealed) == (
        "both",
        "",
        "",
        False,
    )
    assert targets_of(task) == [
        (None, None, world.a1.id, "03"),
        (None, group.id, None, ""),
    ]
    assert publish(world, task).status == "published"


def test_a_school_admin_aims_at_the_whole_school(world):
    task = create(
        world,
        world.priya,
        kind=Activity.Kind.TASK,
        title="Read a book",
        response=Activity.Response.TEXT,
        targets=[TargetSpec(school=world.a1)],
    )
    assert targets_of(task) == [(None, None, world.a1.id, "")]


# --- bad input: refused, nothing written ------------------------------------------------------


def refused(callable_, message, field=None):
    before = row_counts()
    with pytest.raises(AuthoringError) as error:
        callable_()
    assert str(error.value) == message
    assert error.value.field == field
    assert row_counts() == before


OTHER_HOST = "Only YouTube and Vimeo videos can be linked."
NOT_AS_SHOWN = "Paste the video's address as it shows in the browser."


@pytest.mark.parametrize(
    "url,message",
    [
        ("https://evil.example/watch?v=dQw4w9WgXcQ", OTHER_HOST),
        ("https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ", OTHER_HOST),
        ("https://www.youtube.com./watch?v=dQw4w9WgXcQ", OTHER_HOST),
        ("https://notvimeo.com/76979871", OTHER_HOST),
        ("https://www.youtube.com@evil.example/watch?v=dQw4w9WgXcQ", NOT_AS_SHOWN),
        ("https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ", NOT_AS_SHOWN),
        ("ftp://vimeo.com/76979871", NOT_AS_SHOWN),
        ("javascript:alert(1)//youtube.com", "That is not a web address."),
    ],
)
def test_a_video_link_to_another_host_is_refused(world, url, message):
    refused(
        lambda: create(world, kind=Activity.Kind.VIDEO, title="Watch", video_url=url),
        message,
        "video_url",
    )


@pytest.mark.parametrize(
    "url,message",
    [
        ("https://www.youtube.com/watch?v=short", "That YouTube address does not name a video."),
        ("https://www.youtube.com/channel/UC123", "That YouTube address does not name a video."),
        ("https://vimeo.com/about", "That Vimeo address does not name a video."),
    ],
)
def test_a_provider_link_without_a_video_is_refused(world, url, message):
    refused(
        lambda: create(world, kind=Activity.Kind.VIDEO, title="Watch", video_url=url),
        message,
        "video_url",
    )


@pytest.mark.parametrize(
    "user,target,message",
    [
        ("tom", lambda w: TargetSpec(classroom=w.room2), "That classroom is not yours."),
        ("tom", lambda w: TargetSpec(classroom=w.roomh1), "That classroom is not yours."),
        (
            "tom",
            lambda w: TargetSpec(school=w.a1),
            "A teacher aims at their classrooms, not the whole school.",
        ),
        ("priya", lambda w: TargetSpec(classroom=w.room7), "That classroom is not yours."),
        ("priya", lambda w: TargetSpec(school=w.a2), "That school is not yours."),
        ("priya", lambda w: TargetSpec(school=w.b1), "That school is not yours."),
        (
            "tom",
            lambda w: TargetSpec(school=w.a2, grade_level="07"),
            "That school is not yours.",
        ),
    ],
)
def test_a_target_outside_the_scope_is_refused(world, user, target, message):
    refused(
        lambda: create(
            world,
            world.people[user],
            kind=Activity.Kind.TASK,
            title="Elsewhere",
            response="photo",
            targets=[target(world)],
        ),
        message,
        "targets",
    )


def test_another_districts_group_is_refused(world):
    group = do_create_group(world.hillcrest, school=world.b1, name="PTA", actor=Actor.system())
    refused(
        lambda: create(
            world,
            kind=Activity.Kind.TASK,
            title="X",
            response="photo",
            targets=[TargetSpec(group=group)],
        ),
        "That group is not yours.",
        "targets",
    )


@pytest.mark.parametrize(
    "values,message,field",
    [
        ({"title": "   "}, "Give the activity a title.", "title"),
        ({"title": "x" * 201}, "Keep the title under 200 characters.", "title"),
        ({"points": 1001}, "Points go from 0 to 1,000.", "points"),
        ({"kind": "essay"}, "Choose a kind of activity.", "kind"),
        (
            {"questions": [QuestionSpec(prompt="Only one", choices=("a",), correct_choice=0)]},
            "A multiple-choice question needs two to six answers.",
            "questions",
        ),
        (
            {"questions": [QuestionSpec(prompt="No right", choices=("a", "b"))]},
            "Mark one of the answers as right.",
            "questions",
        ),
        (
            {"questions": [QuestionSpec(prompt="Out", choices=("a", "b"), correct_choice=2)]},
            "Mark one of the answers as right.",
            "questions",
        ),
        (
            {
                "questions": [
                    QuestionSpec(
                        prompt="Q",
                        choices=("a", "b"),
                        correct_choice=0,
                        translations={"es": {"choices": ["a"]}},
                    )
                ]
            },
            "Translate every answer of a question, in the same order.",
            "questions",
        ),
        (
            {"translations": {"fr": {"title": "Bonjour"}}},
            "Translations are kept only for the site's languages.",
            None,
        ),
    ],
)
def test_bad_quiz_values_are_refused(world, values, message, field):
    values = {"kind": Activity.Kind.QUIZ, "title": "Quiz", **values}
    refused(lambda: create(world, **values), message, field)


def test_questions_belong_to_quizzes_and_tasks_say_what_comes_back(world):
    refused(
        lambda: create(
            world,
            kind="task",
            title="T",
            response="photo",
            questions=[QuestionSpec("Q?", kind="short")],
        ),
        "Only a quiz has questions.",
        "questions",
    )
    refused(
        lambda: create(world, kind="task", title="T"),
        "Choose what the family sends back.",
        "response",
    )


def test_a_link_and_an_uploaded_video_together_are_refused(world):
    refused(
        lambda: create(
            world,
            kind="video",
            title="V",
            video_url="https://vimeo.com/76979871",
            attachment=jpeg_upload(),
        ),
        "Link a video or upload one, not both.",
        "video_url",
    )


def test_a_file_that_is_not_a_video_is_refused(world):
    refused(
        lambda: create(world, kind="video", title="V", attachment=jpeg_upload("film.mp4")),
        "film.mp4 is not an MP4 or WebM video.",
        "attachment",
    )


def test_only_the_district_keeps_templates(world):
    refused(
        lambda: create(
            world, kind="task", title="T", response="photo", is_template=True, targets=[]
        ),
        "Only the district keeps library templates.",
    )


# --- publishing rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values,message,field",
    [
        ({"kind": "quiz", "targets": []}, "Choose who the activity is for.", "targets"),
        ({"kind": "quiz"}, "Add at least one question to the quiz.", "questions"),
        ({"kind": "video"}, "Link a YouTube or Vimeo video, or upload one.", "video_url"),
        ({"kind": "reading"}, "Write the reading, or attach a PDF.", "body_html"),
        ({"kind": "picture"}, "Add the picture, or say what to look at.", "attachment"),
    ],
)
def test_an_activity_families_could_not_do_is_not_published(world, values, message, field):
    activity = create(world, title="Not ready", **values)
    refused(lambda: publish(world, activity), message, field)
    activity.refresh_from_db()
    assert activity.status == "draft"


def test_publishing_twice_changes_nothing_and_closing_then_opening_keeps_the_first_date(world):
    quiz = quiz_for(world)
    assert publish(world, quiz).published_at == NOW
    assert AuditEvent.objects.filter(action="activity.published").count() == 1
    publish(world, quiz)
    assert AuditEvent.objects.filter(action="activity.published").count() == 1
    with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
        closed = do_close_activity(quiz, actor=Actor(user=world.tom))
        assert (closed.status, closed.closed_at) == ("closed", NOW + datetime.timedelta(hours=2))
        assert do_close_activity(quiz, actor=Actor(user=world.tom)).closed_at == closed.closed_at
        reopened = publish(world, quiz)
    assert (reopened.status, reopened.published_at, reopened.closed_at) == ("published", NOW, None)


def test_only_a_published_activity_is_closed(world):
    draft = quiz_for(world, publish=False)
    refused(
        lambda: do_close_activity(draft, actor=Actor(user=world.tom)),
        "Only a published activity can be closed.",
    )


def test_schedule_then_unschedule(world):
    quiz = quiz_for(world, publish=False, due_at=DUE)
    at = NOW + datetime.timedelta(days=1)
    scheduled = do_schedule_activity(quiz, publish_at=at, actor=Actor(user=world.tom))
    assert (scheduled.status, scheduled.publish_at, scheduled.published_at) == (
        "scheduled",
        at,
        None,
    )
    back = do_unschedule_activity(quiz, actor=Actor(user=world.tom))
    assert (back.status, back.publish_at) == ("draft", None)
    assert list(
        AuditEvent.objects.filter(
            target_id=str(quiz.id), action__startswith="activity.s"
        ).values_list("action", "metadata")
    ) == [("activity.scheduled", {"publish_at": "2026-11-24T15:00:00+00:00"})]


@pytest.mark.parametrize(
    "publish_at,message",
    [
        (NOW, "Choose a time in the future."),
        (NOW - datetime.timedelta(minutes=1), "Choose a time in the future."),
        (DUE, "Publish it before its due date."),
    ],
)
def test_a_schedule_in_the_past_or_after_the_due_date_is_refused(world, publish_at, message):
    quiz = quiz_for(world, publish=False, due_at=DUE)
    refused(
        lambda: do_schedule_activity(quiz, publish_at=publish_at, actor=Actor(user=world.tom)),
        message,
        "publish_at",
    )


def test_a_published_activity_is_not_scheduled(world):
    quiz = quiz_for(world)
    refused(
        lambda: do_schedule_activity(
            quiz, publish_at=NOW + datetime.timedelta(days=1), actor=Actor(user=world.tom)
        ),
        "This activity has been published already.",
    )


# --- editing -----------------------------------------------------------------------------------


def edit(world, activity, **values):
    activity.refresh_from_db()
    current = {
        "title": activity.title,
        "instructions": activity.instructions,
        "translations": activity.translations,
        "points": activity.points,
        "response": activity.response,
        "due_at": activity.due_at,
        "is_answer_revealed": activity.is_answer_revealed,
    }
    return do_update_activity(
        scope_of(world.tom), activity, actor=Actor(user=world.tom), **{**current, **values}
    )


def test_a_draft_changes_content_targets_and_questions(world):
    quiz = quiz_for(world, publish=False)
    edit(
        world,
        quiz,
        title="Counting to twenty",
        translations={"es": {"title": "Contar hasta veinte"}},
        points=20,
        due_at=DUE,
        targets=[TargetSpec(school=world.a1, grade_level="03")],
        questions=[QuestionSpec(prompt="10 + 10?", choices=("20", "21"), correct_choice=0)],
    )
    quiz.refresh_from_db()
    assert (quiz.title, quiz.points, quiz.due_at, quiz.updated_at) == (
        "Counting to twenty",
        20,
        DUE,
        NOW,
    )
    assert quiz.translations == {"es": {"title": "Contar hasta veinte"}}
    assert targets_of(quiz) == [(None, None, world.a1.id, "03")]
    assert list(quiz.questions.values_list("prompt", "choices", "correct_choice")) == [
        ("10 + 10?", ["20", "21"], 0)
    ]
    assert AuditEvent.objects.filter(action="activity.updated", actor=world.tom).count() == 1


def test_once_published_the_targets_stay_and_once_answered_the_questions_and_points_stay(world):
    quiz = quiz_for(world)
    same_targets = [TargetSpec(classroom=world.room1)]
    edit(world, quiz, title="Still fine", targets=same_targets)  # unchanged targets pass
    refused(
        lambda: edit(world, quiz, targets=[TargetSpec(school=world.a1, grade_level="03")]),
        "Families have been told already: who it is for cannot change.",
        "targets",
    )
    scope = family_scope(world.ana)
    child, activity = family.access_child_activity(scope, world.mia.id, quiz.id)
    answers = {str(q.id): (1 if q.kind == "choice" else "7") for q in activity.questions.all()}
    do_submit(scope, child, activity, answers=answers, actor=Actor(user=world.ana))
    unchanged = [
        QuestionSpec(
            prompt=q.prompt, kind=q.kind, choices=tuple(q.choices), correct_choice=q.correct_choice
        )
        for q in quiz.questions.all()
    ]
    edit(world, quiz, instructions="Typo fixed", questions=unchanged)
    refused(
        lambda: edit(world, quiz, questions=[QuestionSpec(prompt="New?", kind="short")]),
        "Families have already answered: the questions cannot change.",
        "questions",
    )
    refused(
        lambda: edit(world, quiz, points=50), "Families have already earned these points.", "points"
    )
    quiz.refresh_from_db()
    assert (quiz.title, quiz.instructions) == ("Still fine", "Typo fixed")


def test_removing_and_replacing_an_attachment(world, private_storage):
    picture = create(world, kind="picture", title="Look", attachment=jpeg_upload())
    first = picture.attachment.name
    edit(world, picture, attachment=jpeg_upload("second.jpg", color=(0, 0, 200)))
    picture.refresh_from_db()
    assert picture.attachment.name not in ("", first)
    edit(world, picture, remove_attachment=True)
    picture.refresh_from_db()
    assert (picture.attachment.name, picture.attachment_type) == ("", "")


# --- the district library ---------------------------------------------------------------------


def make_template(world, **extra):
    return do_create_activity(
        scope_of(world.dana),
        kind=Activity.Kind.QUIZ,
        title="Fractions at dinner",
        instructions="Cut a pizza.",
        translations={
            "es": {"title": "Fracciones en la cena", "instructions": "Corten una pizza."}
        },
        points=25,
        is_answer_revealed=True,
        questions=[
            QuestionSpec(
                prompt="Half of 8?",
                choices=("2", "4"),
                correct_choice=1,
                translations={"es": {"prompt": "¿La mitad de 8?", "choices": ["2", "4"]}},
            )
        ],
        is_template=True,
        actor=Actor(user=world.dana),
        **extra,
    )


def test_a_district_template_is_copied_into_a_classroom_as_a_draft(world):
    template = make_template(world)
    assert (template.is_template, template.school_id, targets_of(template)) == (True, None, [])
    refused(
        lambda: publish(world, template, world.dana),
        "Copy a library template into your classroom to publish it.",
    )
    copy = do_copy_template(
        scope_of(world.tom),
        template,
        targets=[TargetSpec(classroom=world.room1)],
        actor=Actor(user=world.tom),
    )
    copy.refresh_from_db()
    assert (
        copy.is_template,
        copy.template_id,
        copy.school_id,
        copy.status,
        copy.created_by_id,
    ) == (
        False,
        template.id,
        world.a1.id,
        "draft",
        world.tom.id,
    )
    assert (copy.title, copy.instructions, copy.points, copy.is_answer_revealed) == (
        "Fractions at dinner",
        "Cut a pizza.",
        25,
        True,
    )
    assert copy.translations == {
        "es": {"title": "Fracciones en la cena", "instructions": "Corten una pizza."}
    }
    assert list(
        copy.questions.values_list("prompt", "choices", "correct_choice", "translations")
    ) == [
        ("Half of 8?", ["2", "4"], 1, {"es": {"prompt": "¿La mitad de 8?", "choices": ["2", "4"]}})
    ]
    assert targets_of(copy) == [(world.room1.id, None, world.a1.id, "")]
    assert AuditEvent.objects.get(action="activity.created", target_id=str(copy.id)).metadata == {
        "template_id": template.id
    }
    # The copy is the school's own: the template keeps its questions.
    assert template.questions.count() == 1 and publish(world, copy).status == "published"


def test_a_template_video_link_and_file_are_copied(world, private_storage):
    template = do_create_activity(
        scope_of(world.dana),
        kind=Activity.Kind.PICTURE,
        title="Autumn",
        attachment=jpeg_upload(),
        is_template=True,
        actor=Actor(user=world.dana),
    )
    link = do_create_activity(
        scope_of(world.dana),
        kind=Activity.Kind.VIDEO,
        title="Rain",
        video_url="https://vimeo.com/76979871/8272103f6e",
        is_template=True,
        actor=Actor(user=world.dana),
    )
    targets = [TargetSpec(classroom=world.room1)]
    copy = do_copy_template(
        scope_of(world.tom), template, targets=targets, actor=Actor(user=world.tom)
    )
    assert copy.attachment.name != template.attachment.name
    assert (private_storage / copy.attachment.name).read_bytes() == (
        private_storage / template.attachment.name
    ).read_bytes()
    assert copy.attachment_type == "image/jpeg"
    video_copy = do_copy_template(
        scope_of(world.tom), link, targets=targets, actor=Actor(user=world.tom)
    )
    assert (video_copy.video_provider, video_copy.video_id) == ("vimeo", "76979871:8272103f6e")


def test_a_copy_is_aimed_only_inside_the_copiers_scope(world):
    template = make_template(world)
    refused(
        lambda: do_copy_template(
            scope_of(world.tom),
            template,
            targets=[TargetSpec(classroom=world.room2)],
            actor=Actor(user=world.tom),
        ),
        "That classroom is not yours.",
        "targets",
    )
    refused(
        lambda: do_copy_template(scope_of(world.dana), template, actor=Actor(user=world.dana)),
        "Copy a template from a school's account.",
    )


def test_an_activity_is_not_copied_as_a_template(world):
    quiz = quiz_for(world)
    refused(
        lambda: do_copy_template(scope_of(world.tom), quiz, actor=Actor(user=world.tom)),
        "Only library templates can be copied.",
    )


def test_due_dates_are_kept_as_given(world):
    quiz = create(world, kind="quiz", title="Q", due_at=timezone.now() - datetime.timedelta(days=1))
    assert quiz.due_at == NOW - datetime.timedelta(days=1)


def test_a_scheduled_activity_stays_publishable_when_edited(world):
    quiz = quiz_for(world, publish=False, due_at=DUE)
    publish_at = NOW + datetime.timedelta(days=1)
    do_schedule_activity(quiz, publish_at=publish_at, actor=Actor(user=world.tom))
    refused(
        lambda: edit(world, quiz, questions=[]),
        "Add at least one question to the quiz.",
        "questions",
    )
    refused(
        lambda: edit(world, quiz, due_at=publish_at),
        "Keep the due date after the time it is published.",
        "due_at",
    )
    edit(world, quiz, due_at=DUE + datetime.timedelta(days=1))
    quiz.refresh_from_db()
    assert (quiz.status, quiz.due_at) == ("scheduled", DUE + datetime.timedelta(days=1))


def test_a_new_due_date_earns_a_new_reminder(world):
    quiz = quiz_for(world, due_at=DUE)
    Activity.objects.filter(id=quiz.id).update(reminder_sent_at=NOW)
    edit(world, quiz, title="Same due date")
    quiz.refresh_from_db()
    assert quiz.reminder_sent_at == NOW
    edit(world, quiz, due_at=DUE + datetime.timedelta(days=2))
    quiz.refresh_from_db()
    assert quiz.reminder_sent_at is None

"""Authoring pages (/activities/): create each kind, edit, schedule, publish, close; the library;
escaped titles; a role matrix; constant query counts on the list."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from activities.actions.authoring import TargetSpec, do_create_activity
from activities.models import Activity, ActivityTarget, Question
from notifications.models import Kind, Message
from privacy.audit import Actor
from tenants.models import Role
from tests.activities.helpers import jpeg_upload, quiz_for, scope_of, task_for
from tests.counts import SESSION_QUERIES
from tests.tenants.test_cross_tenant_sweep import row_counts

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)  # 09:00 in Chicago
SCRIPT = "<script>alert('x')</script>"


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


def new_url(kind):
    return f"{reverse('activities:new')}?kind={kind}"


def management(prefix="q", total=3, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "50",
    }


def only_activity():
    [activity] = Activity.objects.all()
    return activity


# --- creating each kind ------------------------------------------------------------------------


def test_a_teacher_writes_a_quiz_in_the_browser(world, client, login):
    login(world.tom)
    assert client.get(new_url("quiz")).status_code == 200
    response = client.post(
        new_url("quiz"),
        {
            "title": "Shapes",
            "instructions": "Look around.",
            "is_answer_revealed": "on",
            "points": "15",
            "due_at": "2026-11-27T17:00",
            "targets": [f"classroom:{world.room1.id}"],
            "title_es": "Formas",
            "instructions_es": "Miren alrededor.",
            **management(),
            "q-0-prompt": "Sides of a triangle?",
            "q-0-kind": "choice",
            "q-0-choices": "2\n3\n\n4",
            "q-0-correct_choice": "2",
            "q-0-prompt_es": "¿Lados de un triángulo?",
            "q-0-choices_es": "2\n3\n4",
            "q-1-prompt": "Name a round thing.",
            "q-1-kind": "short",
            "q-2-prompt": "",
            "q-2-kind": "choice",
        },
    )
    quiz = only_activity()
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:detail", args=[quiz.id])
    assert (quiz.kind, quiz.title, quiz.instructions, quiz.points, quiz.status) == (
        "quiz",
        "Shapes",
        "Look around.",
        15,
        "draft",
    )
    # 17:00 in Chicago (the school's time zone) is 23:00 UTC.
    assert quiz.due_at == datetime.datetime(2026, 11, 27, 23, 0, tzinfo=datetime.UTC)
    assert quiz.is_answer_revealed is True
    assert quiz.translations == {"es": {"title": "Formas", "instructions": "Miren alrededor."}}
    assert list(ActivityTarget.objects.values_list("classroom_id", flat=True)) == [world.room1.id]
    assert list(
        Question.objects.order_by("position").values_list(
            "kind", "prompt", "choices", "correct_choice", "translations"
        )
    ) == [
        (
            "choice",
            "Sides of a triangle?",
            ["2", "3", "4"],
            1,
            {"es": {"prompt": "¿Lados de un triángulo?", "choices": ["2", "3", "4"]}},
        ),
        ("short", "Name a round thing.", [], None, {}),
    ]


@pytest.mark.parametrize(
    "kind,extra,expected",
    [
        (
            "video",
            {"video_url": "https://youtu.be/dQw4w9WgXcQ"},
            {"video_provider": "youtube", "video_id": "dQw4w9WgXcQ"},
        ),
        (
            "reading",
            {"body_html": "<p>Read <b>this</b><script>alert(1)</script></p>"},
            {"body_html": "<p>Read this</p>"},
        ),
        ("task", {"response": "photo"}, {"response": "photo"}),
        ("picture", {"instructions": "What do you see?"}, {"attachment": ""}),
    ],
)
def test_each_kind_is_written_and_published_in_the_browser(
    world, client, login, kind, extra, expected
):
    login(world.tom)
    data = {"title": f"A {kind}", "points": "10", "targets": [f"classroom:{world.room1.id}"]}
    response = client.post(new_url(kind), {**data, **extra})
    activity = only_activity()
    assert response.status_code == 302, response.context["form"].errors
    assert {name: getattr(activity, name) for name in expected} == expected
    response = client.post(reverse("activities:publish", args=[activity.id]))
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.status, activity.published_at) == ("published", NOW)


def test_a_picture_is_uploaded_with_the_form(world, client, login):
    login(world.tom)
    response = client.post(
        new_url("picture"),
        {
            "title": "Market",
            "points": "5",
            "targets": [f"classroom:{world.room1.id}"],
            "attachment": jpeg_upload("market.jpg"),
        },
    )
    assert response.status_code == 302
    picture = only_activity()
    assert (picture.attachment_type, bool(picture.attachment)) == ("image/jpeg", True)
    page = client.get(reverse("activities:detail", args=[picture.id])).content.decode()
    assert reverse("files:activity_attachment", args=[picture.id]) in page


def test_a_district_admin_writes_library_templates(world, client, login):
    login(world.dana)
    page = client.get(new_url("task")).content.decode()
    assert 'name="targets"' not in page
    response = client.post(
        new_url("task"), {"title": "Family recipe", "points": "10", "response": "both"}
    )
    assert response.status_code == 302
    template = only_activity()
    assert (template.is_template, template.school_id, template.district_id) == (
        True,
        None,
        world.lakeside.id,
    )


def test_the_kind_is_chosen_first(world, client, login):
    login(world.tom)
    page = client.get(reverse("activities:new")).content.decode()
    for kind in Activity.Kind.values:
        assert f"?kind={kind}" in page
    assert client.get(new_url("essay")).templates[0].name == "activities/authoring/choose_kind.html"


# --- bad input ---------------------------------------------------------------------------------


def test_script_in_a_title_is_shown_escaped(world, client, login):
    login(world.tom)
    client.post(
        new_url("task"),
        {
            "title": SCRIPT,
            "instructions": f"Do it {SCRIPT}",
            "points": "10",
            "response": "photo",
            "targets": [f"classroom:{world.room1.id}"],
        },
    )
    task = only_activity()
    assert task.title == SCRIPT  # plain text, kept as typed
    for url in (reverse("activities:detail", args=[task.id]), reverse("activities:list")):
        page = client.get(url).content.decode()
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_a_video_link_to_another_host_is_a_form_error_and_nothing_is_written(world, client, login):
    login(world.tom)
    before = row_counts()
    response = client.post(
        new_url("video"),
        {
            "title": "Watch",
            "points": "10",
            "video_url": "https://videos.example.com/watch?v=dQw4w9WgXcQ",
            "targets": [f"classroom:{world.room1.id}"],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "video_url": ["Only YouTube and Vimeo videos can be linked."]
    }
    assert row_counts() == before


def test_a_target_outside_the_scope_is_a_form_error_and_nothing_is_written(world, client, login):
    login(world.tom)
    before = row_counts()
    for target in (
        f"classroom:{world.room2.id}",
        f"school:{world.a1.id}",
        f"classroom:{world.roomh1.id}",
    ):
        response = client.post(
            new_url("task"),
            {"title": "T", "points": "1", "response": "photo", "targets": [target]},
        )
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["targets"]
    assert row_counts() == before


def test_a_quiz_without_a_marked_answer_or_a_question_is_refused(world, client, login):
    login(world.tom)
    before = row_counts()
    base = {"title": "Q", "points": "1", "targets": [f"classroom:{world.room1.id}"]}
    response = client.post(
        new_url("quiz"),
        {
            **base,
            **management(total=1),
            "q-0-prompt": "Pick",
            "q-0-kind": "choice",
            "q-0-choices": "a\nb",
        },
    )
    assert response.context["questions"].errors == [
        {"correct_choice": ["Mark one of the answers as right."]}
    ]
    response = client.post(new_url("quiz"), {**base, **management(total=1), "q-0-kind": "choice"})
    assert response.context["questions"].non_form_errors() == ["Write at least one question."]
    assert row_counts() == before


def test_a_due_date_in_the_past_is_refused(world, client, login):
    login(world.tom)
    response = client.post(
        new_url("task"),
        {
            "title": "T",
            "points": "1",
            "response": "photo",
            "due_at": "2026-11-23T08:59",  # a minute ago in Chicago
            "targets": [f"classroom:{world.room1.id}"],
        },
    )
    assert response.context["form"].errors == {"due_at": ["Choose a due date in the future."]}


# --- edit, schedule, publish, close ------------------------------------------------------------


def test_editing_a_draft(world, client, login):
    quiz = quiz_for(world, publish=False)
    login(world.tom)
    form = client.get(reverse("activities:edit", args=[quiz.id])).context["form"]
    assert form.initial["targets"] == [f"classroom:{world.room1.id}"]
    response = client.post(
        reverse("activities:edit", args=[quiz.id]),
        {
            "title": "Counting to twenty",
            "points": "12",
            "targets": [f"classroom:{world.room1.id}"],
            **management(total=3, initial=2),
            "q-0-prompt": "10 + 10?",
            "q-0-kind": "choice",
            "q-0-choices": "19\n20",
            "q-0-correct_choice": "2",
            "q-1-prompt": "",
            "q-1-kind": "short",
            "q-2-kind": "choice",
        },
    )
    assert response.status_code == 302
    quiz.refresh_from_db()
    assert (quiz.title, quiz.points, quiz.instructions) == ("Counting to twenty", 12, "")
    assert list(quiz.questions.values_list("prompt", "choices", "correct_choice")) == [
        ("10 + 10?", ["19", "20"], 1)
    ]


def test_a_published_activitys_targets_are_shown_but_locked(world, client, login):
    task = task_for(world)  # Priya's, for the whole school
    login(world.priya)
    url = reverse("activities:edit", args=[task.id])
    assert client.get(url).context["form"].fields["targets"].disabled is True
    response = client.post(
        url,
        {
            "title": "Cook something new",
            "points": "10",
            "response": "both",
            "targets": [f"classroom:{world.room2.id}"],  # ignored: the field is locked
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.response) == ("Cook something new", "both")
    assert list(task.targets.values_list("school_id", "classroom_id")) == [(world.a1.id, None)]


def test_schedule_unschedule_publish_and_close(world, client, login):
    quiz = quiz_for(world, publish=False)
    login(world.tom)
    detail = reverse("activities:detail", args=[quiz.id])
    response = client.post(
        reverse("activities:schedule", args=[quiz.id]), {"publish_at": "2026-11-24T08:00"}
    )
    assert response["Location"] == detail
    quiz.refresh_from_db()
    assert (quiz.status, quiz.publish_at) == (
        "scheduled",
        datetime.datetime(2026, 11, 24, 14, 0, tzinfo=datetime.UTC),
    )
    assert "publishes 11/24/2026 8 a.m." in client.get(detail).content.decode()
    client.post(reverse("activities:unschedule", args=[quiz.id]))
    quiz.refresh_from_db()
    assert (quiz.status, quiz.publish_at) == ("draft", None)
    client.post(reverse("activities:publish", args=[quiz.id]))
    quiz.refresh_from_db()
    assert quiz.status == "published"
    assert Message.objects.filter(kind=Kind.NEW_ACTIVITY, source_id=str(quiz.id)).count() == 1
    client.post(reverse("activities:close", args=[quiz.id]))
    quiz.refresh_from_db()
    assert (quiz.status, quiz.closed_at) == ("closed", NOW)


def test_a_refused_publish_is_explained(world, client, login):
    quiz = quiz_for(world, publish=False)
    quiz.questions.all().delete()
    login(world.tom)
    response = client.post(reverse("activities:publish", args=[quiz.id]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Add at least one question to the quiz."
    ]
    response = client.post(
        reverse("activities:schedule", args=[quiz.id]),
        {"publish_at": "2026-11-23T08:00"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["Choose a time in the future."]
    quiz.refresh_from_db()
    assert quiz.status == "draft"


def test_the_detail_page_shows_targets_questions_and_counts(world, client, login):
    quiz = quiz_for(world)
    login(world.tom)
    response = client.get(reverse("activities:detail", args=[quiz.id]))
    detail = response.context["detail"]
    assert response.context["target_labels"] == ["Room 1"]
    assert (detail.children_reached, detail.submitted) == (2, 0)
    assert detail.counts == {"submitted": 0, "approved": 0, "returned": 0}
    assert [q.prompt for q in detail.questions] == ["2 + 3?", "Your favourite number?"]
    page = response.content.decode()
    assert "(right answer)" in page and reverse("activities:close", args=[quiz.id]) in page


def test_the_detail_page_shows_the_spanish_variant(world, client, login):
    quiz = quiz_for(world, translations={"es": {"title": "Contar hasta diez"}})
    login(world.tom)
    page = client.get(reverse("activities:detail", args=[quiz.id])).content.decode()
    assert "<summary>In Spanish</summary>" in page and "Contar hasta diez" in page


# --- the list ----------------------------------------------------------------------------------


def test_the_list_shows_the_scopes_activities_with_status(world, client, login):
    quiz = quiz_for(world)
    draft = quiz_for(world, publish=False)
    task_for(world)  # Priya's, for the whole school: not aimed at Tom's classroom
    login(world.tom)
    rows = [
        (a.id, a.status, a.submissions_count)
        for a in client.get(reverse("activities:list")).context["page"]
    ]
    assert rows == [(draft.id, "draft", 0), (quiz.id, "published", 0)]
    drafts = client.get(reverse("activities:list"), {"status": "draft"}).context["page"]
    assert [a.id for a in drafts] == [draft.id]
    login(world.priya)
    assert len(client.get(reverse("activities:list")).context["page"]) == 3


def test_the_list_query_count_does_not_grow(world, client, login, assert_num_queries):
    for _ in range(2):
        quiz_for(world)
    login(world.tom)
    url = reverse("activities:list")
    client.get(url)
    # The session; the district (the school's time zone); the count and the page of
    # activities (with their school, author and count of submissions); their targets.
    expected = SESSION_QUERIES + 4
    with assert_num_queries(expected):
        client.get(url)
    for _ in range(5):
        quiz_for(world)
        task_for(world, publish=False)
    with assert_num_queries(expected):
        client.get(url)


# --- the library -------------------------------------------------------------------------------


def template(world, title="Family recipe"):
    return do_create_activity(
        scope_of(world.dana),
        kind=Activity.Kind.TASK,
        title=title,
        instructions="Cook a family recipe.",
        response=Activity.Response.BOTH,
        is_template=True,
        actor=Actor(user=world.dana),
    )


def test_a_teacher_copies_a_template_into_their_classroom(world, client, login):
    original = template(world)
    login(world.tom)
    library = client.get(reverse("activities:library"))
    assert [t.id for t in library.context["templates"]] == [original.id]
    url = reverse("activities:copy", args=[original.id])
    assert client.get(url).context["form"].initial == {"targets": [f"classroom:{world.room1.id}"]}
    response = client.post(url, {"targets": [f"classroom:{world.room1.id}"]})
    copy = Activity.objects.get(template=original)
    assert response["Location"] == reverse("activities:edit", args=[copy.id])
    assert (copy.status, copy.school_id, copy.title, copy.response) == (
        "draft",
        world.a1.id,
        "Family recipe",
        "both",
    )
    # The list of activities is not the library.
    assert [a.id for a in client.get(reverse("activities:list")).context["page"]] == [copy.id]


def test_a_copy_aimed_outside_the_scope_writes_nothing(world, client, login):
    original = template(world)
    login(world.tom)
    before = row_counts()
    response = client.post(
        reverse("activities:copy", args=[original.id]), {"targets": [f"classroom:{world.room2.id}"]}
    )
    assert response.status_code == 200 and row_counts() == before


def test_templates_are_written_by_the_district_only(world, client, login):
    original = template(world)
    login(world.priya)
    assert client.get(reverse("activities:edit", args=[original.id])).status_code == 403
    assert client.post(reverse("activities:publish", args=[original.id])).status_code == 403
    login(world.dana)
    assert client.get(reverse("activities:edit", args=[original.id])).status_code == 200


# --- who may do what --------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(world, client):
    quiz = quiz_for(world)
    for url in (
        reverse("activities:list"),
        reverse("activities:new"),
        reverse("activities:detail", args=[quiz.id]),
        reverse("activities:library"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "person,role", [("ben", Role.GUARDIAN), ("vera", Role.VIEWER), ("sam", Role.STAFF)]
)
def test_families_viewers_and_staff_cannot_author(world, client, login, person, role):
    quiz = quiz_for(world)
    login(world.people[person], role=role)
    before = row_counts()
    for url in (
        reverse("activities:list"),
        new_url("quiz"),
        reverse("activities:detail", args=[quiz.id]),
        reverse("activities:library"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("activities:publish", args=[quiz.id])).status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize(
    "person,role",
    [
        ("tina", Role.TEACHER),  # same school, another classroom
        ("mo", Role.TEACHER),  # another school
        ("quinn", Role.SCHOOL_ADMIN),  # another school's admin
        ("hank", Role.DISTRICT_ADMIN),  # another district
        ("hugo", Role.TEACHER),
    ],
)
def test_another_classroom_school_or_district_gets_404_and_nothing_is_written(
    world, client, login, person, role
):
    quiz = quiz_for(world, publish=False)
    login(world.people[person], role=role)
    before = row_counts()
    assert client.get(reverse("activities:detail", args=[quiz.id])).status_code == 404
    assert client.get(reverse("activities:edit", args=[quiz.id])).status_code == 404
    for name in ("edit", "publish", "close", "unschedule"):
        assert (
            client.post(reverse(f"activities:{name}", args=[quiz.id]), {"title": "x"}).status_code
            == 404
        )
    assert (
        client.post(
            reverse("activities:schedule", args=[quiz.id]), {"publish_at": "2026-12-01T09:00"}
        ).status_code
        == 404
    )
    assert row_counts() == before
    assert quiz.id not in [a.id for a in client.get(reverse("activities:list")).context["page"]]


def test_a_teacher_reads_but_does_not_change_the_principals_activity_for_their_class(
    world, client, login
):
    activity = do_create_activity(
        scope_of(world.priya),
        kind=Activity.Kind.TASK,
        title="For Room 1",
        response="photo",
        targets=[TargetSpec(classroom=world.room1)],
        actor=Actor(user=world.priya),
    )
    login(world.tom)
    assert client.get(reverse("activities:detail", args=[activity.id])).status_code == 200
    assert client.get(reverse("activities:edit", args=[activity.id])).status_code == 403
    assert client.post(reverse("activities:publish", args=[activity.id])).status_code == 403

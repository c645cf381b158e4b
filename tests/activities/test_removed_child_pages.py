"""The family's activity pages for a child the school removed (PROMISES R4): read-only, the
same query counts; the portfolio, photos and badges stay; nothing is open or can be sent."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from activities.models import Submission
from guardians.actions.manage import do_remove_child
from privacy.audit import Actor
from tenants.models import Role
from tests.activities import test_media
from tests.activities.helpers import jpeg_upload, quiz_for
from tests.activities.test_media import submit
from tests.activities.test_media_views import body, family_url
from tests.counts import SESSION_QUERIES
from tests.engage.test_feed_queries import FAMILY_HOME_QUERIES

pytestmark = pytest.mark.django_db

private_storage = test_media.private_storage


def remove_mia(world):
    do_remove_child(world.mia, actor=Actor(user=world.priya))


def answers(activity) -> dict:
    return {f"q{q.id}": "1" if q.kind == "choice" else "7" for q in activity.questions.all()}


def test_the_feed_of_a_removed_child_lists_only_what_was_done(
    world, client, login, assert_num_queries
):
    done, _open = quiz_for(world), quiz_for(world)
    login(world.ana)
    activity = reverse("family_activities:activity", args=[world.mia.id, done.id])
    client.post(activity, answers(done))
    remove_mia(world)
    url = reverse("family_activities:feed", args=[world.mia.id])
    client.get(url)
    # as for any child: the child and enrollments, groups, activities, submissions
    with assert_num_queries(SESSION_QUERIES + 5):
        feed = client.get(url).context["feed"]
    assert feed.open == [] and [item.activity.id for item in feed.done] == [done.id]
    api = client.get(f"/api/v1/family/children/{world.mia.id}/activities/").json()
    assert api["open"] == [] and [s["activity_id"] for s in api["done"]] == [done.id]
    detail = client.get(f"/api/v1/family/children/{world.mia.id}/activities/{done.id}/").json()
    assert detail["activity"]["is_open"] is False


def test_a_returned_submission_of_a_removed_child_can_no_longer_be_changed(world, client, login):
    quiz = quiz_for(world)
    login(world.ana)
    url = reverse("family_activities:activity", args=[world.mia.id, quiz.id])
    client.post(url, answers(quiz))
    Submission.objects.update(status="returned", feedback="Try the last one again.")
    assert client.get(url).context["is_editable"] is True
    remove_mia(world)

    page = client.get(url)

    assert (page.context["is_open"], page.context["is_editable"]) == (False, False)
    assert "<form" not in page.content.decode().split("<main", 1)[1].split("</main>")[0]
    assert "Try the last one again." in page.content.decode()
    client.post(url, {**answers(quiz), "text": "Changed"})
    assert list(Submission.objects.values_list("status", "text")) == [("returned", "")]


def test_photos_of_a_removed_child_stay_with_the_family(
    world, login, private_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(world, [jpeg_upload(size=(800, 600))])
    photo = submission.photos.get()
    remove_mia(world)
    client = login(world.ana, role=Role.GUARDIAN)
    portfolio = client.get(reverse("family_activities:portfolio", args=[world.mia.id]))
    assert family_url(photo, "thumbnail") in portfolio.content.decode()
    response = client.get(family_url(photo))
    assert response.status_code == 200
    assert body(response) == (private_storage / photo.image.name).read_bytes()
    # another family still gets nothing
    assert login(world.ben, role=Role.GUARDIAN).get(family_url(photo)).status_code == 404


def test_the_family_home_with_a_removed_child_runs_the_same_queries(
    world, login, assert_num_queries
):
    quiz_for(world)
    remove_mia(world)
    client = login(world.ana, role=Role.GUARDIAN)  # Mia removed, Leo still at Lakeside Middle
    cache.clear()
    with assert_num_queries(FAMILY_HOME_QUERIES):
        page = client.get("/family/").text
    mia = world.mia
    assert (
        f'<h2 id="child-{mia.id}"><a href="/family/children/{mia.id}/">Mia Alvarez</a></h2>\n'
        '    <p><span class="status status-closed">'
    ) in page
    assert f'href="/family/children/{mia.id}/activities/' not in page
    assert f'href="/family/children/{mia.id}/portfolio/"' in page
    assert f'href="/family/children/{mia.id}/remove/"' in page

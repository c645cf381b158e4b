"""The families' activities API: the same rules as the pages, through DRF."""

import pytest

from activities.models import Submission
from tests.activities.helpers import jpeg_upload, quiz_for, task_for

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


def url(child, activity=None):
    base = f"/api/v1/family/children/{child.id}/activities/"
    return base if activity is None else f"{base}{activity.id}/"


def test_feed_activity_and_submit(world, client, login):
    quiz = quiz_for(world)
    login(world.ana)
    feed = client.get(url(world.mia)).json()
    assert [a["title"] for a in feed["open"]] == ["Counting to ten"] and feed["done"] == []
    detail = client.get(url(world.mia, quiz)).json()
    questions = detail["activity"]["questions"]
    assert [(q["kind"], q["choices"]) for q in questions] == [
        ("choice", ["4", "5", "6"]),
        ("short", []),
    ]
    assert detail["submission"] is None
    answers = {str(questions[0]["id"]): 1, str(questions[1]["id"]): "7"}
    response = client.post(
        url(world.mia, quiz), {"answers": answers, "rating": 4}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["score"], body["max_score"], body["rating"]) == (
        "submitted",
        1,
        1,
        4,
    )
    feed = client.get(url(world.mia)).json()
    assert feed["open"] == [] and [s["id"] for s in feed["done"]] == [body["id"]]
    portfolio = client.get(f"/api/v1/family/children/{world.mia.id}/portfolio/").json()
    assert portfolio["count"] == 1


def test_a_photo_over_the_api(world, client, login, django_capture_on_commit_callbacks):
    task = task_for(world)
    login(world.ana)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(world.mia, task), {"photos": [jpeg_upload()], "text": "x"})
    assert response.status_code == 200, response.content
    assert response.json()["photos"][0]["status"] in ("processing", "ready")


def test_errors_are_400_and_write_nothing(world, client, login):
    task = task_for(world)
    login(world.ben)  # reads English (Ana's errors come in Spanish)
    response = client.post(url(world.noah, task), {"text": "no photo"})
    assert response.status_code == 400 and response.json() == {"photos": ["Add a photo."]}
    assert Submission.objects.count() == 0


def test_another_familys_child_is_404(world, client, login):
    quiz = quiz_for(world)
    login(world.ben)
    assert client.get(url(world.mia)).status_code == 404
    assert client.get(url(world.mia, quiz)).status_code == 404
    response = client.post(url(world.mia, quiz), {"text": "x"}, content_type="application/json")
    assert response.status_code == 404 and Submission.objects.count() == 0


def test_a_family_that_did_not_agree_to_the_policy_is_refused(world, client):
    client.force_login(world.ana)  # no consent remembered, none recorded
    response = client.get(url(world.mia))
    assert response.status_code == 403
    assert "privacy policy" in response.json()["detail"]


def test_photos_over_the_api_for_token_clients(world, django_capture_on_commit_callbacks):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from privacy.actions import do_record_consents
    from privacy.audit import Actor

    task = task_for(world)
    do_record_consents(
        world.ana,
        world.lakeside,
        is_policy_accepted=True,
        choices={},
        source="join",
        actor=Actor.system(),
    )
    ana = APIClient()
    ana.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.ana).key}")
    with django_capture_on_commit_callbacks(execute=True):
        sent = ana.post(url(world.mia, task), {"photos": [jpeg_upload()]}, format="multipart")
    photo = sent.json()["photos"][0]
    detail = ana.get(url(world.mia, task)).json()["submission"]["photos"][0]
    assert detail["status"] == "ready"
    assert detail["thumbnail_url"] == f"/api/v1/family/photos/{photo['id']}/thumbnail/"
    response = ana.get(detail["thumbnail_url"])
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    assert response["Cache-Control"] == "private, no-store"
    ben = APIClient()
    ben.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.ben).key}")
    do_record_consents(
        world.ben,
        world.lakeside,
        is_policy_accepted=True,
        choices={},
        source="join",
        actor=Actor.system(),
    )
    assert ben.get(detail["thumbnail_url"]).status_code == 404
    assert ben.get(f"/api/v1/review/photos/{photo['id']}/thumbnail/").status_code == 403
    tom = APIClient()
    tom.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.tom).key}")
    assert tom.get(f"/api/v1/review/photos/{photo['id']}/thumbnail/").status_code == 200
    tina = APIClient()
    tina.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.tina).key}")
    assert tina.get(f"/api/v1/review/photos/{photo['id']}/thumbnail/").status_code == 404

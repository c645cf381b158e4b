"""Media on a real S3 API (moto's server on 127.0.0.1) through django-storages, with the
production storage settings: objects are private, signed URLs work and expire, the app's file
views redirect to them, and erasure and the archive's purge remove the objects from the bucket.
"""

import datetime
import runpy
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from activities import media
from activities.models import SubmissionPhoto
from engage import readiness
from privacy.archive import purge_archive
from privacy.audit import Actor
from privacy.erasure import do_erase_family
from privacy.lifecycle import do_delete_with_restore
from privacy.models import Archive, PrivacyRequest
from privacy.requests import do_create_request
from tests.activities.test_media import image_upload, submit
from tests.fakes.s3 import ACCESS_KEY, SECRET_KEY, ExpiringS3Server

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def s3_server():
    server = ExpiringS3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3(s3_server, settings, monkeypatch):
    """The default storage exactly as engage/settings/base.py builds it when
    AWS_STORAGE_BUCKET_NAME is set (as in docker-compose.yml), on a fresh private bucket."""
    bucket = f"engage-media-{uuid.uuid4().hex[:8]}"
    for name, value in {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": s3_server.url,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,  # read by boto3, as in production
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }.items():
        monkeypatch.setenv(name, value)
    production_storage = runpy.run_path(str(BASE_DIR / "engage/settings/base.py"))["STORAGES"]
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": production_storage["default"]}
    return SimpleNamespace(
        bucket=bucket,
        client=client,
        url=s3_server.url,
        stored_keys=lambda: sorted(
            o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])
        ),
    )


def fetch(url: str) -> tuple[int, bytes, dict]:
    """An anonymous GET, as a browser following a link would make it."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return (
                response.status,
                response.read(),
                {k.lower(): v for k, v in response.headers.items()},
            )
    except urllib.error.HTTPError as error:
        return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}


def test_the_production_storage_is_private_s3_with_short_signed_urls(s3):
    options = default_storage.__class__.__module__, default_storage.bucket_name
    assert options == ("storages.backends.s3", s3.bucket)
    assert default_storage.default_acl == "private"
    assert default_storage.querystring_auth is True
    assert default_storage.querystring_expire == 300
    assert default_storage.file_overwrite is False


def test_objects_are_private_and_signed_urls_expire(s3):
    name = default_storage.save("photos/1/probe.jpg", ContentFile(b"\xff\xd8 not much of a jpeg"))
    assert s3.stored_keys() == ["photos/1/probe.jpg"]

    status, _body, _headers = fetch(f"{s3.url}/{s3.bucket}/{name}")
    assert status == 403

    signed_at = datetime.datetime.now(datetime.UTC)
    signed = media.get_signed_url(default_storage, name, "image/jpeg")
    query = parse_qs(urlparse(signed).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["300"]
    status, body, headers = fetch(signed)
    assert (status, body) == (200, b"\xff\xd8 not much of a jpeg")
    assert headers["content-type"] == "image/jpeg"
    assert headers["cache-control"] == "private, no-store"

    with time_machine.travel(signed_at + datetime.timedelta(seconds=298), tick=False):
        assert fetch(signed)[0] == 200
    with time_machine.travel(signed_at + datetime.timedelta(seconds=302), tick=False):
        status, body, _headers = fetch(signed)
    assert status == 403
    assert b"Request has expired" in body


def test_a_family_photo_is_stored_in_s3_and_served_through_a_signed_url(
    s3, world, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(world, [image_upload()])
    photo = SubmissionPhoto.objects.get(submission=submission)
    assert photo.status == SubmissionPhoto.Status.READY
    district = world.lakeside.id
    # The upload went once the worker re-encoded it: the photo and its thumbnail remain.
    assert [key.rsplit("/", 1)[0] for key in s3.stored_keys()] == sorted(
        [photo.image.name.rsplit("/", 1)[0], photo.thumbnail.name.rsplit("/", 1)[0]]
    )
    assert all(f"/{district}/" in key for key in s3.stored_keys())

    client = login(world.ana, role="guardian")
    response = client.get(reverse("files:family_photo", args=[photo.id, "image"]))

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    assert response["Location"].startswith(f"{s3.url}/{s3.bucket}/{photo.image.name}?")
    status, body, headers = fetch(response["Location"])
    assert status == 200
    assert headers["content-type"] == "image/jpeg"
    assert body == s3.client.get_object(Bucket=s3.bucket, Key=photo.image.name)["Body"].read()
    assert body[:2] == b"\xff\xd8"

    # Another family's guardian gets a 404, never a URL.
    other = login(world.ben, role="guardian")
    assert other.get(reverse("files:family_photo", args=[photo.id, "image"])).status_code == 404


def test_erasure_removes_the_family_photos_from_the_bucket(
    s3, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(world, [image_upload()], guardian=world.ben, child=world.noah)
        kept = submit(world, [image_upload(color=(10, 200, 10))])  # Ana's: stays
    kept_keys = sorted(
        name
        for photo in SubmissionPhoto.objects.filter(submission=kept)
        for name in (photo.image.name, photo.thumbnail.name)
    )
    assert len(s3.stored_keys()) == 4
    request = do_create_request(
        world.lakeside, kind=PrivacyRequest.Kind.ERASURE, requester=world.ben, actor=Actor.system()
    )

    with django_capture_on_commit_callbacks(execute=True):
        do_erase_family(request, actor=Actor.system())

    assert s3.stored_keys() == kept_keys


def test_the_archive_purge_removes_the_objects_from_the_bucket(
    s3, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(world, [image_upload()])
    stored = s3.stored_keys()
    archive = do_delete_with_restore(
        submission,
        kind=Archive.Kind.SUBMISSION,
        district_id=submission.district_id,
        school_id=submission.school_id,
        actor=Actor(user=world.priya),
        reason="duplicate",
    )
    assert sorted(archive.files) == stored
    assert s3.stored_keys() == stored  # restorable: the files wait with the archive

    purge_archive(archive)

    assert s3.stored_keys() == []


def test_readiness_heads_the_bucket(s3, settings, monkeypatch):
    monkeypatch.setattr(readiness, "clock", lambda: 0.0)
    assert readiness._timed(readiness.check_storage) == {"status": "ok", "ms": 0.0}

    s3.client.delete_bucket(Bucket=s3.bucket)

    assert readiness._timed(readiness.check_storage) == {
        "status": "failed",
        "error": "ClientError",
        "ms": 0.0,
    }

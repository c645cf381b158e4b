"""Storage failing while a guardian sends photos: an S3 API server that goes away, a full disk.

The guardian submits through the real page (multipart POST, as a phone does). Each fault must
end in the page saying plainly that nothing was sent, with no submission, no photo row and no
stored file left behind, and the same upload must go through once storage is back.

S3 is moto's server on a free 127.0.0.1 port (the real boto3 client through django-storages);
the local media store is FileSystemStorage under the test's own directory, full on demand.
"""

import datetime
import errno

import boto3
import pytest
from botocore.config import Config
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from moto.server import ThreadedMotoServer
from storages.backends.s3 import S3Storage

from activities import media
from activities.models import Submission, SubmissionPhoto
from engage.bench.processes import free_port
from tests.activities.helpers import jpeg_upload, task_for

pytestmark = pytest.mark.django_db

NOTHING_SENT = (
    "Your photos could not be saved just now, so nothing was sent. "
    "Please try again in a few minutes."
)


@pytest.fixture
def s3(monkeypatch):
    """An S3 API server of the test's own; the app's media storage is a bucket on it."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials)
    bucket = f"engage-faults-{port}"  # moto keeps buckets for the life of the process
    client.create_bucket(Bucket=bucket)
    storage = S3Storage(
        bucket_name=bucket,
        endpoint_url=endpoint,
        region_name="us-east-1",
        access_key="test",
        secret_key="test",
        default_acl="private",
        querystring_auth=True,
        # Fail fast while the server is away, as a client with short timeouts does.
        client_config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )
    monkeypatch.setattr(media, "_storage", lambda: storage)
    yield (
        server,
        lambda: sorted(
            item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])
        ),
    )
    server.stop()


def send_photos(client, world, activity):
    url = f"/family/children/{world.noah.id}/activities/{activity.id}/"
    return client.post(
        url, {"text": "We baked bread.", "photos": [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")]}
    )


def assert_nothing_sent(response):
    assert response.status_code == 200
    assert NOTHING_SENT in response.content.decode()
    assert (Submission.objects.count(), SubmissionPhoto.objects.count()) == (0, 0)


@pytest.mark.slow
def test_s3_unavailable_during_an_upload_is_a_clear_error_and_nothing_is_half_saved(
    world, login, client, s3, django_capture_on_commit_callbacks
):
    server, stored_keys = s3
    activity = task_for(world)
    login(world.ben)
    server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        assert_nothing_sent(send_photos(client, world, activity))
    server.start()
    assert stored_keys() == []

    with django_capture_on_commit_callbacks(execute=True):
        response = send_photos(client, world, activity)
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert [photo.position for photo in submission.photos.order_by("position")] == [0, 1]
    # Processed by the (eager) worker: each photo and its thumbnail; the originals are gone.
    assert [key.split("/")[0] for key in stored_keys()] == ["photos"] * 2 + ["thumbnails"] * 2


@pytest.mark.slow
def test_s3_going_away_between_two_photos_leaves_no_row_and_the_sweep_removes_the_object(
    world, login, client, s3, monkeypatch, django_capture_on_commit_callbacks
):
    server, stored_keys = s3
    activity = task_for(world)
    login(world.ben)
    real_save = media._save
    saved = []

    def save_then_stop(storage, name, content):
        saved.append(real_save(storage, name, content))
        server.stop()  # the store goes away after the first photo is written
        return saved[-1]

    monkeypatch.setattr(media, "_save", save_then_stop)
    with django_capture_on_commit_callbacks(execute=True):
        assert_nothing_sent(send_photos(client, world, activity))
    assert len(saved) == 1
    server.start()
    # The first photo could not be deleted while the store was away: no row names it.
    assert [key.split("/")[0] for key in stored_keys()] == ["uploads"]
    assert media.do_delete_orphan_uploads() == 0  # young: it could be an upload in flight
    assert media.do_delete_orphan_uploads(now=timezone.now() + datetime.timedelta(hours=2)) == 1
    assert stored_keys() == []


def test_a_full_local_disk_during_an_upload_is_a_clear_error_and_nothing_is_half_saved(
    world, login, client, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    activity = task_for(world)
    login(world.ben)
    real_save = FileSystemStorage._save
    full = [True]

    def save_unless_full(self, name, content):
        if full[0]:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", save_unless_full)
    with django_capture_on_commit_callbacks(execute=True):
        assert_nothing_sent(send_photos(client, world, activity))
    assert not root.exists() or [p for p in root.rglob("*") if p.is_file()] == []

    full[0] = False
    with django_capture_on_commit_callbacks(execute=True):
        assert send_photos(client, world, activity).status_code == 302
    assert SubmissionPhoto.objects.filter(submission__activity=activity).count() == 2

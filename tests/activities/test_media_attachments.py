"""Teachers' attachments (issue 5, items 1 and 3): a video (MP4 or WebM), a picture prompt
(re-encoded like a family's photo) or a PDF reading, checked by content, kept privately under
the district's folder, replaced and removed without leaving files behind."""

import errno
import io

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from PIL import ExifTags, Image

from activities import attachments, media
from activities.actions.authoring import TargetSpec, do_create_activity
from activities.models import Activity
from privacy.audit import Actor
from tests.activities import test_media
from tests.activities.helpers import jpeg_upload, scope_of
from tests.activities.test_media import gps_exif, image_upload, named, stored_files

pytestmark = pytest.mark.django_db

private_storage = test_media.private_storage  # the same private media root on tmp_path

MB = 1024 * 1024
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 64
MKV = b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska" + b"\x00" * 64
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"


def sparse_file(tmp_path, name: str, head: bytes, size: int) -> File:
    """A real file of `size` bytes on disk (sparse, so cheap) starting with `head`."""
    path = tmp_path / name
    with path.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)
    return File(path.open("rb"), name=name)


def activity_of(world, kind: str) -> Activity:
    return do_create_activity(
        scope_of(world.tom),
        kind=kind,
        title="Look and talk",
        instructions="Talk about it together.",
        targets=[TargetSpec(classroom=world.room1)],
        response=Activity.Response.PHOTO if kind == Activity.Kind.TASK else "optional",
        actor=Actor(user=world.tom),
    )


@pytest.mark.parametrize(
    ("kind", "content", "name", "content_type"),
    [
        (Activity.Kind.VIDEO, MP4, "song.mp4", "video/mp4"),
        (Activity.Kind.VIDEO, WEBM, "song.webm", "video/webm"),
        (Activity.Kind.VIDEO, MP4, "song.webm", "video/mp4"),  # by content, not by name
        (Activity.Kind.READING, PDF, "story.pdf", "application/pdf"),
        (Activity.Kind.PICTURE, jpeg_upload().getvalue(), "prompt.jpg", "image/jpeg"),
    ],
)
def test_accepted_attachments_and_the_type_they_are_served_as(kind, content, name, content_type):
    assert attachments.check_activity_attachment(kind, named(content, name)) == content_type


@pytest.mark.parametrize(
    ("kind", "make_file", "message"),
    [
        (
            Activity.Kind.VIDEO,
            lambda tmp: named(MKV, "film.mkv"),
            "film.mkv is not an MP4 or WebM video.",
        ),
        (
            Activity.Kind.VIDEO,
            lambda tmp: named(MOV, "clip.mov"),
            "clip.mov is not an MP4 or WebM video.",
        ),
        (
            Activity.Kind.VIDEO,
            lambda tmp: named(image_upload("x.heic", format="HEIF").getvalue(), "clip.mp4"),
            "clip.mp4 is not an MP4 or WebM video.",
        ),
        (
            Activity.Kind.VIDEO,
            lambda tmp: named(b"<html><script>alert(1)</script></html>", "clip.mp4"),
            "clip.mp4 is not an MP4 or WebM video.",
        ),
        (
            Activity.Kind.VIDEO,
            lambda tmp: sparse_file(tmp, "long.mp4", MP4, 201 * MB),
            "long.mp4 is too large: this file can be at most 200 MB.",
        ),
        (
            Activity.Kind.READING,
            lambda tmp: named(b"Once upon a time", "story.pdf"),
            "story.pdf is not a PDF document.",
        ),
        (
            Activity.Kind.READING,
            lambda tmp: named(b"<!DOCTYPE html><script>alert(1)</script>", "story.pdf"),
            "story.pdf is not a PDF document.",
        ),
        (
            Activity.Kind.READING,
            lambda tmp: sparse_file(tmp, "book.pdf", PDF, 21 * MB),
            "book.pdf is too large: this file can be at most 20 MB.",
        ),
        (
            Activity.Kind.PICTURE,
            lambda tmp: named(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "prompt.svg"),
            "prompt.svg is not a JPEG, PNG, WebP or HEIC photo.",
        ),
        (
            Activity.Kind.PICTURE,
            lambda tmp: named(jpeg_upload().getvalue() + b"<script>alert(1)</script>", "p.jpg"),
            "p.jpg holds web page or script content as well as a picture.",
        ),
        (
            Activity.Kind.TASK,
            lambda tmp: named(PDF, "sheet.pdf"),
            "This kind of activity has no attached file.",
        ),
    ],
)
def test_refused_attachments_say_why_and_store_nothing(
    world, private_storage, tmp_path, kind, make_file, message
):
    activity = activity_of(world, kind)
    with pytest.raises(media.AttachmentRejected) as error:
        attachments.do_set_activity_attachment(activity, make_file(tmp_path))
    assert error.value.messages == [message]
    activity.refresh_from_db()
    assert (activity.attachment.name, activity.attachment_type) == ("", "")
    assert stored_files(private_storage) == []


def test_a_picture_prompt_is_re_encoded_without_metadata_and_capped(world, private_storage):
    activity = activity_of(world, Activity.Kind.PICTURE)
    upload = jpeg_upload("prompt.jpg", size=(3200, 2400), exif=gps_exif(orientation=8))
    attachments.do_set_activity_attachment(activity, upload)
    activity.refresh_from_db()
    assert activity.attachment_type == "image/jpeg"
    assert activity.attachment.name.startswith(f"activities/{world.lakeside.id}/")
    assert activity.attachment.name.endswith(".jpg")
    data = (private_storage / activity.attachment.name).read_bytes()
    stored = Image.open(io.BytesIO(data))
    assert (stored.format, stored.size) == ("JPEG", (1200, 1600))  # orientation 8: upright
    assert dict(stored.getexif()) == {}
    assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert b"PhoneMaker" not in data


def test_a_video_and_a_pdf_are_kept_as_sent(world, private_storage):
    video = activity_of(world, Activity.Kind.VIDEO)
    reading = activity_of(world, Activity.Kind.READING)
    attachments.do_set_activity_attachment(video, ContentFile(WEBM, name="song.webm"))
    attachments.do_set_activity_attachment(reading, ContentFile(PDF, name="story.pdf"))
    for activity, content, content_type, extension in (
        (video, WEBM, "video/webm", ".webm"),
        (reading, PDF, "application/pdf", ".pdf"),
    ):
        activity.refresh_from_db()
        assert activity.attachment_type == content_type
        assert activity.attachment.name.endswith(extension)
        assert (private_storage / activity.attachment.name).read_bytes() == content


def test_replacing_or_removing_deletes_the_previous_file_after_commit(
    world, private_storage, django_capture_on_commit_callbacks
):
    reading = activity_of(world, Activity.Kind.READING)
    with django_capture_on_commit_callbacks(execute=True):
        attachments.do_set_activity_attachment(reading, ContentFile(PDF, name="one.pdf"))
    first = reading.attachment.name
    with django_capture_on_commit_callbacks(execute=True):
        attachments.do_set_activity_attachment(reading, ContentFile(PDF + b"%2", name="two.pdf"))
    second = reading.attachment.name
    assert first != second
    assert not (private_storage / first).exists()
    assert (private_storage / second).read_bytes() == PDF + b"%2"

    with django_capture_on_commit_callbacks(execute=True):
        attachments.do_set_activity_attachment(reading, None)
    reading.refresh_from_db()
    assert (reading.attachment.name, reading.attachment_type) == ("", "")
    assert stored_files(private_storage) == []


def test_a_rejected_replacement_keeps_the_current_file(world, private_storage):
    reading = activity_of(world, Activity.Kind.READING)
    attachments.do_set_activity_attachment(reading, ContentFile(PDF, name="one.pdf"))
    kept = reading.attachment.name
    with pytest.raises(media.AttachmentRejected):
        attachments.do_set_activity_attachment(reading, named(b"not a pdf", "two.pdf"))
    reading.refresh_from_db()
    assert (reading.attachment.name, reading.attachment_type) == (kept, "application/pdf")
    assert (private_storage / kept).read_bytes() == PDF


def test_storage_failing_is_a_clear_error_and_changes_nothing(world, private_storage, monkeypatch):
    reading = activity_of(world, Activity.Kind.READING)

    def full(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", full)
    with pytest.raises(media.AttachmentRejected) as error:
        attachments.do_set_activity_attachment(reading, ContentFile(PDF, name="story.pdf"))
    assert error.value.messages == [
        "The file could not be saved just now. Please try again in a few minutes."
    ]
    reading.refresh_from_db()
    assert (reading.attachment.name, reading.attachment_type) == ("", "")
    assert stored_files(private_storage) == []

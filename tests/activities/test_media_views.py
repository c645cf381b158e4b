"""Private files (/files/): a photo reaches only its own family and the staff who may review it;
teachers' attachments reach staff who can read the activity and families it reaches. Local disk
streams through the view; S3 redirects to a short-lived signed URL. A photo still PROCESSING is a
404 (the pages show a placeholder: media.photo_urls is None until it is READY)."""

from urllib.parse import quote, urlencode

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.urls import reverse

from activities import media
from activities.actions.authoring import TargetSpec, do_create_activity, do_publish_activity
from activities.models import Activity
from privacy.audit import Actor
from tenants.models import Role
from tests.activities import test_media
from tests.activities.helpers import jpeg_upload, quiz_for, scope_of
from tests.activities.test_media import submit

pytestmark = pytest.mark.django_db

private_storage = test_media.private_storage  # the same private media root on tmp_path

PRIVATE = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
    "Cross-Origin-Resource-Policy": "same-origin",
}
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def photo(world, private_storage, django_capture_on_commit_callbacks):
    """Ana's photo of Mia (Room 1, Lakeside Elementary) for the school's task, processed."""
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(world, [jpeg_upload(size=(800, 600))])
    return submission.photos.get()


def family_url(photo, variant="image"):
    return reverse("files:family_photo", args=[photo.id, variant])


def review_url(photo, variant="image"):
    return reverse("files:review_photo", args=[photo.id, variant])


def district_url(photo, variant="image"):
    return reverse("files:district_photo", args=[photo.id, variant])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_private(response, content_type):
    assert response["Content-Type"] == content_type
    for header, value in PRIVATE.items():
        assert response[header] == value, header


def test_the_family_gets_their_photo_and_its_thumbnail_streamed_privately(
    world,
    login,
    photo,
    private_storage,
):
    client = login(world.ana, role=Role.GUARDIAN)
    response = client.get(family_url(photo))
    assert response.status_code == 200
    assert response.streaming
    assert_private(response, "image/jpeg")
    assert body(response) == (private_storage / photo.image.name).read_bytes()
    assert response["Content-Length"] == str(photo.bytes)

    thumbnail = client.get(family_url(photo, "thumbnail"))
    assert thumbnail.status_code == 200
    assert body(thumbnail) == (private_storage / photo.thumbnail.name).read_bytes()
    assert client.get(family_url(photo, "upload")).status_code == 404
    assert client.get(family_url(photo, "original")).status_code == 404


@pytest.mark.parametrize(
    ("who", "role", "status"),
    [
        ("ben", Role.GUARDIAN, 404),  # same classroom, another family
        ("cal", Role.GUARDIAN, 404),  # Mia's father, "no access"
        ("dee", Role.GUARDIAN, 404),  # another district
        ("tom", Role.TEACHER, 403),  # staff use the review URL
    ],
)
def test_only_the_family_reaches_the_family_url(world, login, photo, who, role, status):
    client = login(world.people[who], role=role)
    assert client.get(family_url(photo)).status_code == status


@pytest.mark.parametrize(
    ("who", "role", "status"),
    [
        ("tom", Role.TEACHER, 200),  # Room 1's teacher
        ("priya", Role.SCHOOL_ADMIN, 200),  # Lakeside Elementary's principal
        ("tina", Role.TEACHER, 404),  # Room 2
        ("mo", Role.TEACHER, 404),  # Room 7, the other school
        ("quinn", Role.SCHOOL_ADMIN, 404),  # the other school's principal
        ("hope", Role.SCHOOL_ADMIN, 404),  # another district's principal
        ("hugo", Role.TEACHER, 404),  # another district's teacher
        ("sam", Role.STAFF, 403),  # office staff do not review
        ("dana", Role.DISTRICT_ADMIN, 403),  # district admins use the district URL
        ("ana", Role.GUARDIAN, 403),
    ],
)
def test_staff_reach_a_photo_of_a_submission_they_may_review(
    world,
    login,
    photo,
    private_storage,
    who,
    role,
    status,
):
    client = login(world.people[who], role=role)
    response = client.get(review_url(photo, "thumbnail"))
    assert response.status_code == status
    if status == 200:
        assert_private(response, "image/jpeg")
        assert body(response) == (private_storage / photo.thumbnail.name).read_bytes()


def test_a_district_admin_sees_a_photo_only_of_a_school_they_opened(world, login, photo):
    client = login(world.dana, role=Role.DISTRICT_ADMIN)
    assert client.get(district_url(photo)).status_code == 404
    opened = client.post(
        reverse("review:open_school"), {"school": world.a2.id, "reason": "Attendance follow-up"}
    )
    assert opened.status_code == 302
    assert client.get(district_url(photo)).status_code == 404  # opened the other school

    client.post(reverse("review:open_school"), {"school": world.a1.id, "reason": "Complaint"})
    response = client.get(district_url(photo))
    assert response.status_code == 200
    assert_private(response, "image/jpeg")

    hank = login(world.hank, role=Role.DISTRICT_ADMIN)
    assert hank.get(district_url(photo)).status_code == 404  # another district
    teacher = login(world.tom, role=Role.TEACHER)
    assert teacher.get(district_url(photo)).status_code == 403


def test_anonymous_people_are_sent_to_sign_in(client, photo):
    for url in (family_url(photo), review_url(photo), district_url(photo)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('account_login')}?next={url}"


def test_a_photo_still_processing_is_a_404_and_has_no_url(
    world,
    login,
    private_storage,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False):
        submission = submit(world, [jpeg_upload()])
    photo = submission.photos.get()
    assert photo.status == "processing"
    assert media.photo_urls(photo, "family") is None
    assert login(world.ana, role=Role.GUARDIAN).get(family_url(photo)).status_code == 404
    assert login(world.tom, role=Role.TEACHER).get(review_url(photo)).status_code == 404


def test_photo_urls_are_none_until_ready(
    world, private_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = submit(world, [jpeg_upload()])
    photo = submission.photos.get()
    assert photo.status == "processing"
    assert media.photo_urls(photo, "family") is None
    assert media.photo_error_message(photo) == ""
    for callback in callbacks:
        callback()
    photo.refresh_from_db()
    assert media.photo_urls(photo, "family") == {
        "image": f"/files/family/photos/{photo.id}/image/",
        "thumbnail": f"/files/family/photos/{photo.id}/thumbnail/",
    }
    assert media.photo_urls(photo, "review") == {
        "image": f"/files/review/photos/{photo.id}/image/",
        "thumbnail": f"/files/review/photos/{photo.id}/thumbnail/",
    }
    assert media.photo_urls(photo, "district") == {
        "image": f"/files/district/photos/{photo.id}/image/",
        "thumbnail": f"/files/district/photos/{photo.id}/thumbnail/",
    }


def test_a_missing_file_is_a_404(world, login, photo, private_storage):
    (private_storage / photo.image.name).unlink()
    assert login(world.ana, role=Role.GUARDIAN).get(family_url(photo)).status_code == 404


def test_media_url_is_never_served(world, login, photo):
    client = login(world.ana, role=Role.GUARDIAN)
    assert client.get(f"/media-not-served/{photo.image.name}").status_code == 404


# --- On S3: a redirect to a short-lived signed URL ----------------------------------------------


class SignedUrlStorage(Storage):
    """Stands in for django-storages' S3Storage (not local disk): the same url() signature."""

    def __init__(self, location=None):
        self.location = location

    def url(self, name, parameters=None, expire=None, http_method=None):
        query = urlencode(sorted((parameters or {}).items()), quote_via=quote)
        return f"https://bucket.s3.example/{name}?X-Amz-Expires=300&{query}"


def test_on_s3_the_view_checks_then_redirects_to_a_signed_url(
    world,
    login,
    photo,
    settings,
    private_storage,
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": f"{__name__}.SignedUrlStorage",
            "OPTIONS": {"location": str(private_storage)},
        },
    }
    response = login(world.ana, role=Role.GUARDIAN).get(family_url(photo, "thumbnail"))
    assert response.status_code == 302
    assert response["Location"] == (
        f"https://bucket.s3.example/{photo.thumbnail.name}?X-Amz-Expires=300"
        "&ResponseCacheControl=private%2C%20no-store&ResponseContentDisposition=inline"
        "&ResponseContentType=image%2Fjpeg"
    )
    assert response["Cache-Control"] == "private, no-store"
    assert login(world.ben, role=Role.GUARDIAN).get(family_url(photo)).status_code == 404


# --- Teachers' attachments ---------------------------------------------------------------------


def attached(world, kind, content: bytes, name: str, *, publish=True) -> Activity:
    """Tom's activity of `kind` for Room 1 with `content` attached."""
    upload = ContentFile(content, name=name)
    activity = do_create_activity(
        scope_of(world.tom),
        kind=kind,
        title="Look and talk",
        targets=[TargetSpec(classroom=world.room1)],
        attachment=upload,
        actor=Actor(user=world.tom),
    )
    return do_publish_activity(activity, actor=Actor(user=world.tom)) if publish else activity


def staff_attachment_url(activity):
    return reverse("files:activity_attachment", args=[activity.id])


def family_attachment_url(child, activity):
    return reverse("files:family_activity_attachment", args=[child.id, activity.id])


def test_a_pdf_reading_is_served_inline_in_a_sandbox(
    world,
    login,
    private_storage,
):
    reading = attached(world, Activity.Kind.READING, PDF, "story.pdf")
    for user, role, url in (
        (world.tom, Role.TEACHER, staff_attachment_url(reading)),
        (world.ana, Role.GUARDIAN, family_attachment_url(world.mia, reading)),
    ):
        response = login(user, role=role).get(url)
        assert response.status_code == 200
        assert_private(response, "application/pdf")
        assert response["Content-Security-Policy"] == "sandbox"
        assert body(response) == PDF


def test_a_video_is_served_in_byte_ranges_for_players_that_seek(
    world,
    login,
    private_storage,
):
    video = attached(world, Activity.Kind.VIDEO, MP4, "song.mp4")
    client = login(world.ben, role=Role.GUARDIAN)
    url = family_attachment_url(world.noah, video)

    whole = client.get(url)
    assert (whole.status_code, whole["Accept-Ranges"]) == (200, "bytes")
    assert_private(whole, "video/mp4")
    assert body(whole) == MP4

    part = client.get(url, HTTP_RANGE="bytes=4-11")
    assert part.status_code == 206
    assert (part["Content-Range"], part["Content-Length"]) == (f"bytes 4-11/{len(MP4)}", "8")
    assert_private(part, "video/mp4")
    assert body(part) == b"ftypmp42"

    assert body(client.get(url, HTTP_RANGE="bytes=-4")) == MP4[-4:]
    assert body(client.get(url, HTTP_RANGE="bytes=1000-")) == MP4[1000:]
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(MP4)}-")
    assert (beyond.status_code, beyond["Content-Range"]) == (416, f"bytes */{len(MP4)}")
    several = client.get(url, HTTP_RANGE="bytes=0-1,4-5")
    assert several.status_code == 200 and body(several) == MP4


@pytest.mark.parametrize(
    ("who", "role", "status"),
    [
        ("tom", Role.TEACHER, 200),
        ("priya", Role.SCHOOL_ADMIN, 200),
        ("sam", Role.STAFF, 200),
        ("dana", Role.DISTRICT_ADMIN, 200),
        ("tina", Role.TEACHER, 404),  # Room 2: not hers, not aimed at her classroom
        ("quinn", Role.SCHOOL_ADMIN, 404),
        ("hope", Role.SCHOOL_ADMIN, 404),
        ("ana", Role.GUARDIAN, 404),  # families go through their child
        ("vera", Role.VIEWER, 403),
    ],
)
def test_staff_reach_an_attachment_of_an_activity_they_can_read(
    world,
    login,
    private_storage,
    who,
    role,
    status,
):
    picture = attached(world, Activity.Kind.PICTURE, jpeg_upload().getvalue(), "prompt.jpg")
    response = login(world.people[who], role=role).get(staff_attachment_url(picture))
    assert response.status_code == status
    if status == 200:
        assert_private(response, "image/jpeg")


def test_families_reach_an_attachment_only_through_a_child_it_reaches(
    world,
    login,
    private_storage,
):
    picture = attached(world, Activity.Kind.PICTURE, jpeg_upload().getvalue(), "prompt.jpg")
    draft = attached(world, Activity.Kind.READING, PDF, "draft.pdf", publish=False)
    ana = login(world.ana, role=Role.GUARDIAN)
    assert ana.get(family_attachment_url(world.mia, picture)).status_code == 200
    assert ana.get(family_attachment_url(world.leo, picture)).status_code == 404  # Room 7
    assert ana.get(family_attachment_url(world.mia, draft)).status_code == 404
    assert ana.get(family_attachment_url(world.noah, picture)).status_code == 404  # not hers
    cal = login(world.cal, role=Role.GUARDIAN)
    assert cal.get(family_attachment_url(world.mia, picture)).status_code == 404
    dee = login(world.dee, role=Role.GUARDIAN)
    assert dee.get(family_attachment_url(world.zoe, picture)).status_code == 404


def test_an_activity_without_a_file_is_a_404(world, login, private_storage):
    quiz = quiz_for(world)
    client = login(world.tom, role=Role.TEACHER)
    assert client.get(staff_attachment_url(quiz)).status_code == 404

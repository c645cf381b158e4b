"""Families' photos, safe by construction (issue 5, item 3 and "Bad input"): checked by content
before anything is stored, re-encoded by a worker without EXIF or GPS, capped at 1600 px with a
400 px thumbnail, and never half-saved when storage fails."""

import datetime
import errno
import io
import struct
import zlib

import pytest
import time_machine
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from PIL import ExifTags, Image, ImageFile

from activities import media, tasks
from activities.actions.submissions import do_submit
from activities.models import Submission, SubmissionPhoto
from activities.queries import family
from privacy.audit import Actor
from tests.activities.helpers import family_scope, jpeg_upload, task_for

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def private_storage(settings, tmp_path):
    """A private media root of the test's own (local disk, as in the embedded mode)."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


def stored_files(root) -> list[str]:
    """Every stored file as "<folder>/<district id>" (the rest of a name is random)."""
    if not root.exists():
        return []
    return sorted(
        "/".join(path.relative_to(root).parts[:2]) for path in root.rglob("*") if path.is_file()
    )


def named(data: bytes, name: str) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    upload.size = len(data)
    return upload


def image_upload(name="photo.png", size=(64, 48), mode="RGB", color=(200, 40, 40), **save):
    data = io.BytesIO()
    extension = "." + name.rsplit(".", 1)[-1].lower()
    image_format = save.pop("format", None) or Image.registered_extensions()[extension]
    Image.new(mode, size, color).save(data, format=image_format, **save)
    return named(data.getvalue(), name)


def gps_exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a phone writes it: the camera, the orientation and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (41.0, 52.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (87.0, 37.0, 40.0),
    }
    return exif


def png_bomb(width=20_000, height=20_000) -> bytes:
    """A small PNG (1 bit per pixel, all zeros) that decodes to width x height pixels."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def submit(world, photos, *, guardian=None, child=None, activity=None, **extra):
    guardian = guardian or world.ana
    scope = family_scope(guardian)
    activity = activity or task_for(world)
    child, activity = family.access_child_activity(scope, (child or world.mia).id, activity.id)
    return do_submit(scope, child, activity, photos=photos, actor=Actor(user=guardian), **extra)


def read_stored(root, name: str) -> Image.Image:
    return Image.open(root / name)


# --- Refused by content, nothing stored -----------------------------------------------------

REFUSED = [
    (
        "a text file named .jpg",
        lambda: named(b"Dear teacher, here is the photo.\n", "photo.jpg"),
        "photo.jpg is not a JPEG, PNG, WebP or HEIC photo.",
    ),
    (
        "SVG",
        lambda: named(
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
            "drawing.svg",
        ),
        "drawing.svg is not a JPEG, PNG, WebP or HEIC photo.",
    ),
    (
        "SVG named .png",
        lambda: named(b'<?xml version="1.0"?><svg><script>alert(1)</script></svg>', "a.png"),
        "a.png is not a JPEG, PNG, WebP or HEIC photo.",
    ),
    (
        "HTML",
        lambda: named(b"<!DOCTYPE html><html><script>alert(1)</script></html>", "page.jpg"),
        "page.jpg is not a JPEG, PNG, WebP or HEIC photo.",
    ),
    (
        "a GIF (Pillow could open it; only four formats are allowed)",
        lambda: image_upload("anim.gif", mode="P", color=1),
        "anim.gif is not a JPEG, PNG, WebP or HEIC photo.",
    ),
    (
        "a JPEG with an HTML page appended (polyglot)",
        lambda: named(
            jpeg_upload().getvalue() + b"<html><body><script>alert(1)</script></body></html>",
            "photo.jpg",
        ),
        "photo.jpg holds web page or script content as well as a picture.",
    ),
    (
        "a JPEG whose comment is a script, past the first and last 4 KB (polyglot)",
        lambda: noisy_jpeg("photo.jpg", comment=b" " * 8192 + b"<script>alert(1)</script>"),
        "photo.jpg holds web page or script content as well as a picture.",
    ),
    (
        "a JPEG whose EXIF description is an HTML page, past the first 4 KB (polyglot)",
        lambda: noisy_jpeg("photo.jpg", exif=_exif_description(" " * 8192 + "<HTML>hi</HTML>")),
        "photo.jpg holds web page or script content as well as a picture.",
    ),
    (
        "a PNG whose text chunk is an SVG (polyglot)",
        lambda: image_upload(
            "photo.png",
            pnginfo=_png_text("Comment", '<svg onload="alert(1)"/>'),
        ),
        "photo.png holds web page or script content as well as a picture.",
    ),
    (
        "a 30 MB photo",
        lambda: named(jpeg_upload().getvalue() + b"\x00" * (30 * MB), "big.jpg"),
        "big.jpg is too large: a photo can be at most 20 MB.",
    ),
    (
        "a decompression bomb (400 megapixels in 60 KB)",
        lambda: named(png_bomb(), "bomb.png"),
        "bomb.png has too many pixels: a photo can have at most 50 megapixels.",
    ),
    (
        "60 megapixels: under Pillow's own limit, over ours",
        lambda: named(png_bomb(10_000, 6_000), "huge.png"),
        "huge.png has too many pixels: a photo can have at most 50 megapixels.",
    ),
]


def noisy_jpeg(name="noisy.jpg", **save) -> io.BytesIO:
    """A 512 x 512 JPEG of noise (about 300 KB: its compressed pixels are random bytes)."""
    noise = Image.merge("RGB", [Image.effect_noise((512, 512), 64) for _ in range(3)])
    data = io.BytesIO()
    noise.save(data, format="JPEG", quality=95, **save)
    return named(data.getvalue(), name)


def _exif_description(text: str) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = text
    return exif


def _png_text(key: str, value: str):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(key, value)
    return info


@pytest.mark.parametrize(
    ("make_upload", "message"),
    [(make, message) for _, make, message in REFUSED],
    ids=[label for label, _, _ in REFUSED],
)
def test_a_refused_upload_says_why_and_stores_nothing(
    world, private_storage, make_upload, message, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(media.PhotoRejected) as error,
    ):
        submit(world, [jpeg_upload("fine.jpg"), make_upload()])
    assert error.value.messages == [message]
    assert Submission.objects.count() == 0
    assert SubmissionPhoto.objects.count() == 0
    assert stored_files(private_storage) == []


def test_a_bomb_is_refused_from_its_header_without_decoding_a_pixel(monkeypatch):
    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(media.PhotoRejected) as error:
        media.check_photo_uploads([named(png_bomb(), "bomb.png")])
    assert error.value.messages == [
        "bomb.png has too many pixels: a photo can have at most 50 megapixels."
    ]


def test_compressed_pixels_that_happen_to_spell_markup_are_not_refused():
    """Random bytes spell "<svg" in about one 4 MB photo in a hundred: only the edges of the
    file and its metadata are searched, never the compressed pixels."""
    pixels = bytearray(noisy_jpeg().getvalue())
    assert len(pixels) > 4 * media.SCAN_EDGE
    middle = len(pixels) // 2
    pixels[middle : middle + 5] = b"<SvG "
    assert media.check_photo(named(bytes(pixels), "noisy.jpg")) == "JPEG"


def test_six_photos_are_refused_and_so_is_a_sixth_added_later(world, private_storage):
    task = task_for(world)
    with pytest.raises(media.PhotoRejected) as error:
        submit(world, [jpeg_upload(f"{n}.jpg") for n in range(6)], activity=task)
    assert error.value.messages == ["You can send up to 5 photos."]
    assert (Submission.objects.count(), SubmissionPhoto.objects.count()) == (0, 0)
    assert stored_files(private_storage) == []

    submission = submit(world, [jpeg_upload(f"{n}.jpg") for n in range(5)], activity=task)
    with pytest.raises(media.PhotoRejected) as error:
        submit(world, [jpeg_upload("6.jpg")], activity=task)
    assert error.value.messages == ["You can send up to 5 photos."]
    assert list(submission.photos.values_list("position", flat=True)) == [0, 1, 2, 3, 4]
    assert stored_files(private_storage) == ["uploads/" + str(world.lakeside.id)] * 5


def test_jpeg_png_webp_and_heic_are_accepted_whatever_their_names(world, private_storage):
    uploads = [
        jpeg_upload("IMG_0001.JPG"),
        image_upload("drawing.png", mode="RGBA", color=(0, 0, 255, 0)),
        image_upload("photo.webp"),
        image_upload("IMG_0002.heic", format="HEIF"),
        named(jpeg_upload().getvalue(), "no-extension"),
    ]
    assert [media.check_photo(upload) for upload in uploads] == [
        "JPEG",
        "PNG",
        "WEBP",
        "HEIF",
        "JPEG",
    ]
    submission = submit(world, uploads)
    assert submission.photos.count() == 5


# --- Kept privately, processed by a worker -------------------------------------------------


def test_the_worker_strips_exif_and_gps_and_applies_the_orientation(
    world, private_storage, django_capture_on_commit_callbacks
):
    upload = jpeg_upload("IMG_0001.jpg", size=(64, 48), exif=gps_exif(orientation=6))
    sent = Image.open(io.BytesIO(upload.getvalue())).getexif()
    assert sent.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == (41.0, 52.0, 30.0)
    assert sent[ExifTags.Base.Make] == "PhoneMaker"

    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(world, [upload])

    photo = submission.photos.get()
    assert (photo.status, photo.error, photo.upload.name) == ("ready", "", "")
    assert (photo.width, photo.height) == (48, 64)  # orientation 6: turned upright
    for name in (photo.image.name, photo.thumbnail.name):
        data = (private_storage / name).read_bytes()
        stored = Image.open(io.BytesIO(data))
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert set(stored.info) & {"exif", "icc_profile", "comment", "xmp"} == set()
        assert b"Exif" not in data and b"PhoneMaker" not in data
    assert photo.bytes == len((private_storage / photo.image.name).read_bytes())
    district = str(world.lakeside.id)
    assert stored_files(private_storage) == [f"photos/{district}", f"thumbnails/{district}"]


@pytest.mark.parametrize(
    ("size", "image_size", "thumbnail_size"),
    [
        ((4000, 3000), (1600, 1200), (400, 300)),
        ((2000, 3000), (1067, 1600), (267, 400)),
        ((1600, 1200), (1600, 1200), (400, 300)),
        ((300, 200), (300, 200), (300, 200)),
    ],
)
def test_the_long_edge_is_capped_at_1600_and_the_thumbnail_at_400(
    world, private_storage, django_capture_on_commit_callbacks, size, image_size, thumbnail_size
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(world, [jpeg_upload(size=size)])
    photo = submission.photos.get()
    assert (photo.width, photo.height) == image_size
    assert read_stored(private_storage, photo.image.name).size == image_size
    assert read_stored(private_storage, photo.thumbnail.name).size == thumbnail_size


def test_heic_is_converted_to_jpeg(world, private_storage, django_capture_on_commit_callbacks):
    upload = image_upload("IMG_0002.HEIC", size=(80, 60), color=(10, 200, 10), format="HEIF")
    assert upload.getvalue()[4:12] == b"ftypheic"
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(world, [upload])
    photo = submission.photos.get()
    assert (photo.status, photo.width, photo.height) == ("ready", 80, 60)
    stored = read_stored(private_storage, photo.image.name)
    assert stored.format == "JPEG"
    red, green, blue = stored.convert("RGB").getpixel((40, 30))
    assert green > 180 and red < 40 and blue < 40


def test_transparency_becomes_white_and_a_colour_profile_is_applied_not_kept(
    world, private_storage, django_capture_on_commit_callbacks
):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    uploads = [
        image_upload("clear.png", mode="RGBA", color=(0, 0, 0, 0)),
        jpeg_upload("profiled.jpg"),
    ]
    with_profile = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(with_profile, "JPEG", icc_profile=srgb)
    uploads[1] = named(with_profile.getvalue(), "profiled.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(world, uploads)
    clear, profiled = submission.photos.order_by("position")
    assert read_stored(private_storage, clear.image.name).getpixel((10, 10)) == (255, 255, 255)
    stored = read_stored(private_storage, profiled.image.name)
    assert "icc_profile" not in stored.info
    red, green, blue = stored.getpixel((10, 10))
    assert abs(red - 200) <= 3 and abs(green - 40) <= 3 and abs(blue - 40) <= 3


def test_processing_twice_changes_nothing(
    world, private_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(world, [jpeg_upload()])
    photo = submission.photos.get()
    files = stored_files(private_storage)
    assert media.process_photo(photo.id) == "skipped"
    photo.refresh_from_db()
    assert photo.status == "ready" and stored_files(private_storage) == files


def test_a_photo_that_cannot_be_decoded_fails_with_a_reason_and_its_upload_is_removed(
    world, private_storage, django_capture_on_commit_callbacks
):
    whole = jpeg_upload(size=(640, 480)).getvalue()
    truncated = named(whole[: len(whole) // 2], "cut.jpg")  # the header is fine, the data is not
    media.check_photo_uploads([truncated])  # passes the checks: only decoding finds out
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(world, [truncated])
    photo = submission.photos.get()
    assert (photo.status, photo.error, photo.upload.name) == ("failed", "unreadable", "")
    assert (photo.image.name, photo.thumbnail.name) == ("", "")
    assert media.photo_error_message(photo) == "This photo could not be read. Please send it again."
    assert media.photo_urls(photo, "family") is None
    assert stored_files(private_storage) == []


def test_storage_failing_in_the_worker_is_retried_then_fails_the_photo(
    world, private_storage, monkeypatch
):
    submission = submit(world, [jpeg_upload()])  # not committed: no task queued yet
    photo = submission.photos.get()
    attempts = []

    def unavailable(self, name, mode="rb"):
        attempts.append(name)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(FileSystemStorage, "open", unavailable)
    # As a worker would, but in-process: each retry runs at once (without its countdown).
    monkeypatch.setitem(tasks.process_submission_photo.app.conf, "task_eager_propagates", False)
    tasks.process_submission_photo.apply(args=[photo.id])
    photo.refresh_from_db()
    assert len(attempts) == 6  # the first try and 5 retries
    assert (photo.status, photo.error, photo.upload.name) == ("failed", "storage", "")
    assert stored_files(private_storage) == []


def test_a_photo_removed_while_it_was_processed_leaves_no_file(
    world, private_storage, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        submission = submit(world, [jpeg_upload()])
    photo = submission.photos.get()
    render = media.render_photo

    def render_then_removed(source):
        rendered = render(source)
        with django_capture_on_commit_callbacks(execute=True):
            media.do_remove_submission_photo(SubmissionPhoto.objects.get(id=photo.id))
        return rendered

    monkeypatch.setattr(media, "render_photo", render_then_removed)
    assert media.process_photo(photo.id) == "skipped"
    assert SubmissionPhoto.objects.count() == 0
    assert stored_files(private_storage) == []


def test_removing_a_photo_deletes_its_files_after_commit(
    world, private_storage, django_capture_on_commit_callbacks
):
    task = task_for(world)
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(world, [jpeg_upload(), jpeg_upload("b.jpg")], activity=task)
    first, second = submission.photos.order_by("position")
    with django_capture_on_commit_callbacks(execute=True):
        submit(world, [], removed_photo_ids=[first.id], activity=task)
    assert list(SubmissionPhoto.objects.values_list("id", flat=True)) == [second.id]
    assert sorted([second.image.name, second.thumbnail.name]) == sorted(
        str(p.relative_to(private_storage)) for p in private_storage.rglob("*") if p.is_file()
    )


def test_the_sweep_queues_lost_photos_again_and_fails_those_past_an_hour(
    world, private_storage, django_capture_on_commit_callbacks
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            submission = submit(world, [jpeg_upload(), jpeg_upload("b.jpg")])
        lost, expired = submission.photos.order_by("position")
        SubmissionPhoto.objects.filter(id=expired.id).update(
            created_at=start - datetime.timedelta(minutes=61)
        )
    with time_machine.travel(start + datetime.timedelta(minutes=9), tick=False):
        assert media.do_sweep_stale_photos() == {"requeued": 0, "failed": 1}
    with time_machine.travel(start + datetime.timedelta(minutes=11), tick=False):
        assert media.do_sweep_stale_photos() == {"requeued": 1, "failed": 0}
        assert media.do_sweep_stale_photos() == {"requeued": 0, "failed": 0}
    lost.refresh_from_db()
    expired.refresh_from_db()
    assert (lost.status, lost.error) == ("ready", "")
    assert (expired.status, expired.error, expired.upload.name) == ("failed", "timed_out", "")
    district = str(world.lakeside.id)
    assert stored_files(private_storage) == [f"photos/{district}", f"thumbnails/{district}"]


# --- Storage unavailable or full during the upload ---------------------------------------------


def test_a_full_disk_during_the_upload_is_a_clear_error_and_nothing_is_half_saved(
    world, private_storage, monkeypatch, django_capture_on_commit_callbacks
):
    real_save = FileSystemStorage._save
    saved = []

    def full_after_one(self, name, content):
        if saved:
            raise OSError(errno.ENOSPC, "No space left on device")
        saved.append(real_save(self, name, content))
        return saved[-1]

    monkeypatch.setattr(FileSystemStorage, "_save", full_after_one)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(media.PhotoRejected) as error,
    ):
        submit(world, [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")], text="We baked bread.")
    assert isinstance(error.value, media.PhotoStorageUnavailable)
    assert error.value.messages == [
        "Your photos could not be saved just now, so nothing was sent. "
        "Please try again in a few minutes."
    ]
    assert len(saved) == 1  # the first was written, then deleted
    assert (Submission.objects.count(), SubmissionPhoto.objects.count()) == (0, 0)
    assert stored_files(private_storage) == []

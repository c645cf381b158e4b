"""Photos families send and files teachers attach, safe by construction.

What: every upload is checked by its content before anything is stored; photos are kept in
private storage until a worker re-encodes them (no EXIF, no GPS, long edge 1600 px, a 400 px
thumbnail), and only the re-encoded files are ever served, through permission-checked views
(activities.views.media) or short-lived signed URLs on S3. No file has a public URL.

Why: a photo of a child must not leak where it was taken, must not carry a script a browser
could run, and must not take a worker down (a decompression bomb is refused from its header,
before a single pixel is decoded).

Re-running is safe: `process_photo` only ever moves a PROCESSING photo to READY or FAILED with a
conditional UPDATE, so a duplicate or late task finds nothing to do and removes what it wrote;
removing a photo deletes its files after the commit that removed its row.

The contract the rest of the app uses:

- `check_photo_uploads(files, already=0)` raises PhotoRejected (nothing stored) for what is not
  a JPEG, PNG, WebP or HEIC/HEIF photo by its content, is over MAX_PHOTO_BYTES or
  MAX_PHOTO_PIXELS, carries web content (a polyglot), or makes more than MAX_PHOTOS.
- `do_add_submission_photos(submission, files, start_position=...)` keeps checked uploads
  privately, one SubmissionPhoto each (PROCESSING), and queues `process_photo` after commit;
  raises PhotoStorageUnavailable (a PhotoRejected) with nothing left behind when storage fails.
- `process_photo(photo_id)` re-encodes one photo (the Celery task on the "media" queue).
- `do_remove_submission_photo(photo)` deletes the row, then its files after commit.
- `photo_urls(photo, audience)` the URLs of a READY photo's variants, None while it is not.
Teachers' files (a video, a picture prompt re-encoded like a photo, a PDF reading) are in
activities.attachments, which uses the checks and storage helpers here.
"""

import io
import logging
import os
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from activities.models import MAX_PHOTOS, Submission, SubmissionPhoto

logger = logging.getLogger(__name__)

MB = 1024 * 1024
MAX_PHOTO_BYTES = 20 * MB
# A 12-megapixel phone photo is far below; a decompression bomb is far above. Checked from the
# header, before anything is decoded.
MAX_PHOTO_PIXELS = 50_000_000
LONG_EDGE = 1600
THUMBNAIL_EDGE = 400
JPEG_QUALITY = 82
# What Image.open may try, so no other Pillow plugin ever parses an upload. MPO is how Pillow
# names a JPEG that holds several pictures (some phones' portrait shots).
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
ALLOWED_FORMATS = frozenset({*PHOTO_FORMATS, "MPO"})
VARIANTS = ("image", "thumbnail")
# Markup a browser could be talked into running, inside something that is also a picture.
WEB_CONTENT = re.compile(
    rb"<(?:!doctype|html|body|head|script|svg|iframe|object|embed|\?php)",
    re.IGNORECASE,
)
# Where markup is looked for: the first and last bytes (where content sniffers look, and where
# a page appended to a picture ends up) and the picture's own text metadata. Not the compressed
# pixels: random bytes spell "<svg" in about one 4 MB photo in a hundred.
SCAN_EDGE = 4096
# Metadata that is binary (scanned as parsed EXIF tags instead, or not at all).
BINARY_METADATA = frozenset({"exif", "icc_profile"})
BINARY_SEGMENTS = (b"Exif\x00", b"ICC_PROFILE\x00", b"MPF\x00")


class MediaRejected(ValidationError):
    """An upload that cannot be accepted; the message says why and is safe to show."""


class PhotoRejected(MediaRejected):
    """A family's photo that is not acceptable (nothing was stored)."""


class PhotoStorageUnavailable(PhotoRejected):
    """Storage failed while keeping the photos (disk full, S3 down); nothing was kept."""


class AttachmentRejected(MediaRejected):
    """A teacher's attachment that is not acceptable (nothing was stored)."""


class StorageUnavailable(Exception):
    """The storage backend failed (a full disk, S3 unreachable): transient, worth retrying."""


class UnusablePhoto(Exception):
    """A photo that passed the checks but cannot be processed; `reason` is a PHOTO_ERRORS key."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# Why a photo ended FAILED (SubmissionPhoto.error holds the key, shown translated).
PHOTO_ERRORS = {
    "unreadable": gettext_lazy("This photo could not be read. Please send it again."),
    "too_many_pixels": gettext_lazy("This photo is too large to process."),
    "storage": gettext_lazy("This photo could not be saved. Please send it again."),
    "timed_out": gettext_lazy("This photo took too long to prepare. Please send it again."),
}


# --- Checks ----------------------------------------------------------------------------------


def check_photo_uploads(files, *, already: int = 0) -> None:
    """Refuse the whole set (nothing is stored) when any file is not an acceptable photo, or when
    `already` kept photos and these would make more than MAX_PHOTOS. Raises PhotoRejected."""
    if already + len(files) > MAX_PHOTOS:
        raise PhotoRejected(_("You can send up to %(max)d photos.") % {"max": MAX_PHOTOS})
    for upload in files:
        try:
            check_photo(upload)
        except MediaRejected as error:
            raise PhotoRejected(error.message) from error


def check_photo(upload) -> str:
    """Check one upload by its content; return its Pillow format. Raises MediaRejected."""
    name = _display_name(upload)
    if _size_of(upload) > MAX_PHOTO_BYTES:
        raise MediaRejected(
            _("%(name)s is too large: a photo can be at most %(max)d MB.")
            % {"name": name, "max": MAX_PHOTO_BYTES // MB}
        )
    not_a_photo = _("%(name)s is not a JPEG, PNG, WebP or HEIC photo.") % {"name": name}
    try:
        upload.seek(0)
        with Image.open(upload, formats=PHOTO_FORMATS) as image:
            if image.format not in ALLOWED_FORMATS:
                raise MediaRejected(not_a_photo)
            _check_pixels(image.size, name)
            image_format = image.format
            metadata = list(_text_metadata(image))
            image.verify()
    except Image.DecompressionBombError as error:
        raise MediaRejected(_too_many_pixels(name)) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise MediaRejected(not_a_photo) from error
    finally:
        upload.seek(0)
    if has_web_content(upload, metadata):
        raise MediaRejected(
            _("%(name)s holds web page or script content as well as a picture.") % {"name": name}
        )
    return image_format


def _check_pixels(size: tuple[int, int], name: str) -> None:
    width, height = size
    if width * height > MAX_PHOTO_PIXELS:
        raise MediaRejected(_too_many_pixels(name))


def _too_many_pixels(name: str) -> str:
    return _("%(name)s has too many pixels: a photo can have at most %(max)d megapixels.") % {
        "name": name,
        "max": MAX_PHOTO_PIXELS // 1_000_000,
    }


def has_web_content(upload, metadata: list[bytes]) -> bool:
    """Is there HTML, SVG or script markup in the first or last SCAN_EDGE bytes of the file or in
    the picture's text metadata (a polyglot)?"""
    size = _size_of(upload)
    try:
        upload.seek(0)
        head = upload.read(SCAN_EDGE)
        upload.seek(max(size - SCAN_EDGE, 0))
        tail = upload.read(SCAN_EDGE)
    finally:
        upload.seek(0)
    return any(WEB_CONTENT.search(part) for part in (head, tail, *metadata))


def _text_metadata(image: Image.Image):
    """The picture's comments, XMP, text chunks, other application segments and EXIF text."""
    for key, value in image.info.items():
        if key not in BINARY_METADATA and isinstance(value, str | bytes):
            yield value.encode("utf-8", "replace") if isinstance(value, str) else value
    for _marker, payload in getattr(image, "applist", ()):  # JPEG APPn and COM segments
        if not payload.startswith(BINARY_SEGMENTS):
            yield payload
    tags = []
    if raw_exif := image.info.get("exif"):  # parsed from what was read: no further file access
        exif = Image.Exif()
        try:
            exif.load(raw_exif)
            tags = list(exif.values())
        except Exception:  # unreadable EXIF is dropped by the re-encoding anyway
            tags = []
    for value in tags:
        if isinstance(value, str | bytes):
            yield value.encode("utf-8", "replace") if isinstance(value, str) else value


def _display_name(upload) -> str:
    name = os.path.basename(getattr(upload, "name", "") or "")
    return name[:80] or _("The file")


def _size_of(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    return size


# --- Keeping uploads ---------------------------------------------------------------------------


@transaction.atomic
def do_add_submission_photos(
    submission: Submission, files, *, start_position: int = 0
) -> list[SubmissionPhoto]:
    """Keep checked uploads privately, one PROCESSING photo each, and queue their processing
    after commit. Raises PhotoStorageUnavailable when storage fails (files already written are
    deleted, no row is kept: the caller's transaction rolls back)."""
    storage = _storage()
    written: list[str] = []
    try:
        photos = []
        for offset, upload in enumerate(files):
            upload.seek(0)
            name = _save(
                storage, _private_name("uploads", submission.district_id, "upload"), upload
            )
            written.append(name)
            photo = SubmissionPhoto.objects.create(
                district_id=submission.district_id,
                school_id=submission.school_id,
                submission=submission,
                position=start_position + offset,
                upload=name,
                bytes=_size_of(upload),
            )
            photos.append(photo)
    except BaseException as error:
        _delete_files(storage, written)
        if isinstance(error, StorageUnavailable):
            logger.warning(
                "activities.photo.storage_failed",
                extra={"submission_id": submission.id, "error": str(error)},
            )
            raise PhotoStorageUnavailable(
                _(
                    "Your photos could not be saved just now, so nothing was sent. "
                    "Please try again in a few minutes."
                )
            ) from error
        raise
    ids = [photo.id for photo in photos]
    transaction.on_commit(lambda: _enqueue(ids))
    return photos


def _enqueue(photo_ids: list[int]) -> None:
    from activities import tasks

    for photo_id in photo_ids:
        try:
            tasks.process_submission_photo.delay(photo_id)
        except Exception:  # broker down: the photo stays PROCESSING and the sweep queues it again
            logger.warning("activities.photo.enqueue_failed", extra={"photo_id": photo_id})


@transaction.atomic
def do_remove_submission_photo(photo: SubmissionPhoto) -> None:
    """Delete a photo's row, then its files once that commits (the family removed it)."""
    names = [f.name for f in (photo.upload, photo.image, photo.thumbnail) if f]
    storage = _storage()
    photo.delete()
    transaction.on_commit(lambda: _delete_files(storage, names))


# --- Processing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def process_photo(photo_id: int) -> str:
    """Re-encode one PROCESSING photo: "ready", "failed" (with a reason, upload removed) or
    "skipped" (gone, or already done). Raises StorageUnavailable for the task to retry."""
    photo = SubmissionPhoto.objects.filter(id=photo_id).first()  # by id: the task's own row
    if photo is None or photo.status != SubmissionPhoto.Status.PROCESSING or not photo.upload:
        return "skipped"
    storage = _storage()
    data = _read(storage, photo.upload.name)
    try:
        rendered = render_photo(io.BytesIO(data))
    except UnusablePhoto as error:
        return _fail(photo, error.reason)
    except Exception:  # whatever a decoder throws must not leave the photo PROCESSING
        logger.exception("activities.photo.render_failed", extra={"photo_id": photo.id})
        return _fail(photo, "unreadable")
    return _store_rendered(photo, rendered, storage)


def _store_rendered(photo: SubmissionPhoto, rendered: RenderedPhoto, storage: Storage) -> str:
    written: list[str] = []
    try:
        for folder, data in (("photos", rendered.image), ("thumbnails", rendered.thumbnail)):
            written.append(
                _save(storage, _private_name(folder, photo.district_id, "jpg"), ContentFile(data))
            )
    except StorageUnavailable:
        _delete_files(storage, written)
        raise
    claimed = SubmissionPhoto.objects.filter(
        id=photo.id, status=SubmissionPhoto.Status.PROCESSING
    ).update(
        status=SubmissionPhoto.Status.READY,
        image=written[0],
        thumbnail=written[1],
        width=rendered.width,
        height=rendered.height,
        bytes=len(rendered.image),
        upload="",
    )
    if not claimed:  # removed, or another worker finished first: keep nothing of ours
        _delete_files(storage, written)
        return "skipped"
    _delete_files(storage, [photo.upload.name])
    return "ready"


def _fail(photo: SubmissionPhoto, reason: str) -> str:
    """PROCESSING -> FAILED with its reason; the upload is deleted (it will never be served)."""
    claimed = SubmissionPhoto.objects.filter(
        id=photo.id, status=SubmissionPhoto.Status.PROCESSING
    ).update(status=SubmissionPhoto.Status.FAILED, error=reason, upload="")
    if not claimed:
        return "skipped"
    logger.info("activities.photo.failed", extra={"photo_id": photo.id, "reason": reason})
    _delete_files(_storage(), [photo.upload.name] if photo.upload else [])
    return "failed"


def do_fail_photo(photo_id: int, reason: str) -> str:
    """Give up on a PROCESSING photo (storage kept failing, or it never finished)."""
    photo = SubmissionPhoto.objects.filter(id=photo_id).first()  # by id: the task's own row
    if photo is None or photo.status != SubmissionPhoto.Status.PROCESSING:
        return "skipped"
    return _fail(photo, reason)


def render_photo(source, *, long_edge: int = LONG_EDGE) -> RenderedPhoto:
    """Decode, orient, convert to sRGB, cap the long edge and make a thumbnail; both as JPEG
    without any metadata. Raises UnusablePhoto. Pure: no database, no storage."""
    original = Image.open(source, formats=PHOTO_FORMATS)
    if original.format not in ALLOWED_FORMATS:
        raise UnusablePhoto("unreadable")
    if original.width * original.height > MAX_PHOTO_PIXELS:
        raise UnusablePhoto("too_many_pixels")
    if original.format in ("JPEG", "MPO"):
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale while the long edge stays >= the cap.
        original.draft("RGB", _draft_size(original.size, long_edge))
    orientation = original.getexif().get(ExifTags.Base.Orientation, 1)
    image = _to_srgb(original, original.info.get("icc_profile"))
    # Bicubic for the large step (a 1.25x reduction after the draft: sharp enough, and half the
    # time of Lanczos), Lanczos for the small thumbnail.
    image.thumbnail((long_edge, long_edge), Image.Resampling.BICUBIC)
    image = _orient(image, orientation)
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
    return RenderedPhoto(_jpeg(image), _jpeg(thumbnail), image.width, image.height)


def _draft_size(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    factor = max(size) / long_edge
    if factor <= 1:
        return size
    return (max(1, int(size[0] / factor)), max(1, int(size[1] / factor)))


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """An RGB image in sRGB: transparency over white, an embedded colour profile applied."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(
                image if image.mode in ("RGB", "CMYK", "L") else image.convert("RGB"),
                source,
                _SRGB,
                outputMode="RGB",
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: plain conversion below
    return image if image.mode == "RGB" else image.convert("RGB")


_SRGB = ImageCms.createProfile("sRGB")

_ORIENT = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _orient(image: Image.Image, orientation: int) -> Image.Image:
    """Apply the camera's EXIF orientation to the pixels (the EXIF itself is dropped)."""
    for method in _ORIENT.get(orientation, ()):
        image = image.transpose(method)
    return image


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # No exif=, icc_profile= or comment=: nothing of the original's metadata is written.
    # Baseline, not progressive: progressive encoding took a third of the processing time.
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def do_sweep_stale_photos(*, now=None) -> dict[str, int]:
    """Queue again photos still PROCESSING after 10 minutes (a lost task, a broker outage);
    fail those still PROCESSING after an hour. Run by beat; safe to run any number of times."""
    now = now or timezone.now()
    stale = SubmissionPhoto.objects.filter(  # unscoped: a platform sweep by status and age
        status=SubmissionPhoto.Status.PROCESSING, created_at__lt=now - timedelta(minutes=10)
    )
    expired = list(
        stale.filter(created_at__lt=now - timedelta(hours=1)).values_list("id", flat=True)
    )
    failed = sum(do_fail_photo(photo_id, "timed_out") == "failed" for photo_id in expired)
    requeued = list(stale.exclude(id__in=expired).values_list("id", flat=True))
    _enqueue(requeued)
    return {"requeued": len(requeued), "failed": failed}


ORPHAN_UPLOAD_AGE = timedelta(hours=1)


def do_delete_orphan_uploads(*, now=None) -> int:
    """Delete kept uploads that no photo names, once over an hour old; returns how many.

    An upload whose storage went away mid-request cannot be deleted then (its row is rolled
    back, the file stays): this removes it later, so no child's photo outlives its record. A
    younger file may be an upload whose transaction has not committed yet, so it is left alone.
    Run by the photo sweep; a storage still unavailable is simply tried again next time."""
    now = now or timezone.now()
    storage = _storage()
    deleted = 0
    try:
        folders, _ = storage.listdir("uploads")
        for folder in folders:
            names = [f"uploads/{folder}/{name}" for name in storage.listdir(f"uploads/{folder}")[1]]
            named = set(
                SubmissionPhoto.objects.filter(  # unscoped: a platform sweep of stored files
                    upload__in=names
                ).values_list("upload", flat=True)
            )
            for name in names:
                if name not in named and storage.get_modified_time(name) < now - ORPHAN_UPLOAD_AGE:
                    storage.delete(name)
                    deleted += 1
    except FileNotFoundError:
        pass  # no upload was ever kept on this disk
    except Exception:
        logger.warning("activities.media.orphan_sweep_failed", extra={"deleted": deleted})
    return deleted


# --- Showing photos ----------------------------------------------------------------------------

AUDIENCE_URL_NAMES = {
    "family": "files:family_photo",
    "review": "files:review_photo",
    "district": "files:district_photo",
}


def photo_urls(photo: SubmissionPhoto, audience: str) -> dict[str, str] | None:
    """{"image": url, "thumbnail": url} of a READY photo for "family", "review" (teachers,
    school admins) or "district" (a district admin who opened the school); None while the photo
    is PROCESSING or FAILED (show a placeholder, or `photo_error_message`). The URLs are
    permission-checked views; on S3 they redirect to a short-lived signed URL."""
    if photo.status != SubmissionPhoto.Status.READY:
        return None
    try:
        return {
            variant: reverse(AUDIENCE_URL_NAMES[audience], args=[photo.id, variant])
            for variant in VARIANTS
        }
    except NoReverseMatch:
        return None


def photo_error_message(photo: SubmissionPhoto) -> str:
    """Why a FAILED photo could not be used, in the reader's language ("" otherwise)."""
    if photo.status != SubmissionPhoto.Status.FAILED:
        return ""
    return str(PHOTO_ERRORS.get(photo.error, PHOTO_ERRORS["unreadable"]))


def get_photo_file(photo: SubmissionPhoto, variant: str) -> str | None:
    """The stored name of a READY photo's variant ("image" or "thumbnail"), else None."""
    if photo.status != SubmissionPhoto.Status.READY or variant not in VARIANTS:
        return None
    return getattr(photo, variant).name or None


# --- Storage helpers ---------------------------------------------------------------------------


def _storage() -> Storage:
    return default_storage


def is_local_storage(storage: Storage) -> bool:
    """Local disk (files go through a view) rather than S3 (signed URLs)."""
    return isinstance(storage, FileSystemStorage)


def get_signed_url(storage: Storage, name: str, content_type: str) -> str:
    """A short-lived signed URL of a private S3 object (MEDIA_URL_EXPIRE_SECONDS), asking S3 to
    answer with the same content type, disposition and caching the local views send."""
    return storage.url(
        name,
        parameters={
            "ResponseContentType": content_type,
            "ResponseContentDisposition": "inline",
            "ResponseCacheControl": "private, no-store",
        },
    )


def _private_name(folder: str, district_id: int, extension: str) -> str:
    """An unguessable name under the district's folder (export and erasure go by district)."""
    return f"{folder}/{district_id}/{uuid.uuid4().hex}.{extension}"


# The storage calls: whatever the backend raises (OSError on local disk, the S3 client's own
# errors through django-storages) is StorageUnavailable, so no vendor is named here.


def _save(storage: Storage, name: str, content) -> str:
    try:
        return storage.save(name, content)
    except Exception as error:
        raise StorageUnavailable(f"save: {type(error).__name__}") from error


def _read(storage: Storage, name: str) -> bytes:
    try:
        with storage.open(name, "rb") as handle:
            return handle.read()
    except Exception as error:
        raise StorageUnavailable(f"read: {type(error).__name__}") from error


def _delete_files(storage: Storage, names) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # left for the storage's own lifecycle; never fails the caller
            logger.warning("activities.media.delete_failed", extra={"file_name": name})

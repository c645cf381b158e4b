"""Photos families send (and files teachers attach), safe by construction.

This module is the contract the rest of the app uses:

- `check_photo_uploads(files)` refuses, before anything is stored, what is not a photo by its
  content (whatever its name), too large in bytes or pixels, or too many (PhotoRejected, with a
  message safe to show).
- `do_add_submission_photos(submission, files, start_position=...)` keeps the uploads in private
  storage, one SubmissionPhoto each (PROCESSING), and after commit asks a worker to re-encode
  them (`process_photo`).
- `process_photo(photo_id)` re-encodes (dropping EXIF and GPS), caps the long edge and makes a
  thumbnail; idempotent.
- `do_remove_submission_photo(photo)` deletes the row and its files.
"""

import io
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from activities.models import MAX_PHOTOS, Submission, SubmissionPhoto

logger = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 20 * 1024 * 1024
MAX_PHOTO_PIXELS = 50_000_000  # a 12-megapixel phone photo is far below; a bomb is far above
LONG_EDGE = 1600
THUMBNAIL_EDGE = 400
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF"}


class PhotoRejected(ValidationError):
    """An upload that is not an acceptable photo; the message says why, safe to show."""


def check_photo_uploads(files, *, already: int = 0) -> None:
    """Refuse the whole set (nothing stored) when any file is not an acceptable photo."""
    if already + len(files) > MAX_PHOTOS:
        raise PhotoRejected(_("You can send up to %(max)d photos.") % {"max": MAX_PHOTOS})
    for upload in files:
        _check_one(upload)


def _check_one(upload) -> None:
    name = getattr(upload, "name", "") or _("the photo")
    if upload.size > MAX_PHOTO_BYTES:
        raise PhotoRejected(
            _("%(name)s is larger than %(mb)d MB.")
            % {"name": name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            if image.format not in ALLOWED_FORMATS:
                raise PhotoRejected(
                    _("%(name)s is not a JPEG, PNG, WebP or HEIC photo.") % {"name": name}
                )
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise PhotoRejected(_("%(name)s has too many pixels.") % {"name": name})
            image.verify()
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise PhotoRejected(
            _("%(name)s is not a JPEG, PNG, WebP or HEIC photo.") % {"name": name}
        ) from error
    finally:
        upload.seek(0)


@transaction.atomic
def do_add_submission_photos(
    submission: Submission, files, *, start_position: int = 0
) -> list[SubmissionPhoto]:
    """Keep checked uploads privately and queue their processing (after commit)."""
    photos = []
    for offset, upload in enumerate(files):
        photo = SubmissionPhoto(
            district_id=submission.district_id,
            school_id=submission.school_id,
            submission=submission,
            position=start_position + offset,
            bytes=upload.size,
        )
        photo.upload.save(f"{submission.id}-{start_position + offset}.upload", upload, save=False)
        photo.save()
        photos.append(photo)
    ids = [photo.id for photo in photos]
    transaction.on_commit(lambda: _enqueue(ids))
    return photos


def _enqueue(photo_ids: list[int]) -> None:
    from activities import tasks

    for photo_id in photo_ids:
        try:
            tasks.process_submission_photo.delay(photo_id)
        except Exception:  # broker down: the photo stays PROCESSING until a sweep retries it
            logger.warning("activities.photo.enqueue_failed", extra={"photo_id": photo_id})


def process_photo(photo_id: int) -> str:
    """Re-encode one uploaded photo (no metadata), 1600 px at most, and a thumbnail."""
    photo = SubmissionPhoto.objects.filter(id=photo_id).first()  # by id: the task's own row
    if photo is None or photo.status != SubmissionPhoto.Status.PROCESSING or not photo.upload:
        return "skipped"
    try:
        with photo.upload.open("rb") as handle, Image.open(handle) as original:
            image = ImageOps.exif_transpose(original).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        SubmissionPhoto.objects.filter(id=photo.id).update(
            status=SubmissionPhoto.Status.FAILED, error="unreadable"
        )
        return "failed"
    big = _fit(image, LONG_EDGE)
    small = _fit(image, THUMBNAIL_EDGE)
    photo.image.save(f"{photo.id}.jpg", ContentFile(_jpeg(big)), save=False)
    photo.thumbnail.save(f"{photo.id}.jpg", ContentFile(_jpeg(small)), save=False)
    photo.width, photo.height = big.size
    upload_name = photo.upload.name
    photo.upload = ""
    photo.status = SubmissionPhoto.Status.READY
    photo.save(update_fields=["image", "thumbnail", "width", "height", "upload", "status"])
    photo.upload.storage.delete(upload_name)
    return "ready"


def _fit(image: Image.Image, edge: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return copy


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82, optimize=True)  # no exif= : metadata dropped
    return out.getvalue()


@transaction.atomic
def do_remove_submission_photo(photo: SubmissionPhoto) -> None:
    """Delete a photo and its files (the family removed it before review)."""
    names = [f.name for f in (photo.upload, photo.image, photo.thumbnail) if f]
    storage = photo.image.storage
    photo.delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])

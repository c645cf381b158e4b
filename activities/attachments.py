"""Files teachers attach to activities: a video (MP4 or WebM), a picture to talk about, a PDF.

Checked by content, not name (activities.media's photo checks for pictures, which are re-encoded
without metadata), kept in private storage under a random name, served only through the
permission-checked views of activities.views.media (or a short-lived signed S3 URL).
"""

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.media import (
    MB,
    PHOTO_ERRORS,
    AttachmentRejected,
    MediaRejected,
    StorageUnavailable,
    UnusablePhoto,
    _delete_files,
    _display_name,
    _private_name,
    _save,
    _size_of,
    _storage,
    check_photo,
    render_photo,
)
from activities.models import Activity

logger = logging.getLogger(__name__)

MAX_VIDEO_BYTES = 200 * MB
MAX_DOCUMENT_BYTES = 20 * MB
# ISO base media brands of MP4 video browsers play (not QuickTime "qt  ", not HEIF images).
MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"}
)
ATTACHMENT_KINDS = (Activity.Kind.VIDEO, Activity.Kind.PICTURE, Activity.Kind.READING)
EXTENSIONS = {
    "video/mp4": "mp4",
    "video/webm": "webm",
    "image/jpeg": "jpg",
    "application/pdf": "pdf",
}


def check_activity_attachment(kind: str, file) -> str:
    """Check a teacher's file for an activity of `kind` by its content; return the content type
    it will be served with. Video: MP4 or WebM up to 200 MB; picture: a photo (as families'
    photos; re-encoded when set); reading: a PDF up to 20 MB. Raises AttachmentRejected."""
    name = _display_name(file)
    if kind == Activity.Kind.PICTURE:
        try:
            check_photo(file)
        except MediaRejected as error:
            raise AttachmentRejected(error.message) from error
        return "image/jpeg"
    if kind == Activity.Kind.VIDEO:
        _check_attachment_size(file, name, MAX_VIDEO_BYTES)
        content_type = _sniff_video(file)
        if content_type is None:
            raise AttachmentRejected(_("%(name)s is not an MP4 or WebM video.") % {"name": name})
        return content_type
    if kind == Activity.Kind.READING:
        _check_attachment_size(file, name, MAX_DOCUMENT_BYTES)
        if _head(file, 5) != b"%PDF-":
            raise AttachmentRejected(_("%(name)s is not a PDF document.") % {"name": name})
        return "application/pdf"
    raise AttachmentRejected(_("This kind of activity has no attached file."))


def _check_attachment_size(file, name: str, limit: int) -> None:
    if _size_of(file) > limit:
        raise AttachmentRejected(
            _("%(name)s is too large: this file can be at most %(max)d MB.")
            % {"name": name, "max": limit // MB}
        )


def _head(file, count: int) -> bytes:
    file.seek(0)
    try:
        return file.read(count)
    finally:
        file.seek(0)


def _sniff_video(file) -> str | None:
    head = _head(file, 64)
    if head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return "video/mp4"
    # WebM is Matroska (EBML) whose DocType element (0x4282) says "webm".
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"\x42\x82\x84webm" in head:
        return "video/webm"
    return None


@transaction.atomic
def do_set_activity_attachment(activity: Activity, file) -> Activity:
    """Check `file` for the activity's kind, keep it privately (a picture re-encoded as JPEG,
    without metadata) and set it as the activity's attachment; None removes it. The previous
    file is deleted after commit. Raises AttachmentRejected (nothing stored)."""
    storage = _storage()
    name, content_type = "", ""
    if file is not None:
        content_type = check_activity_attachment(activity.kind, file)
        content = file
        if activity.kind == Activity.Kind.PICTURE:
            content = ContentFile(_render_picture(file))
        file_name = _private_name("activities", activity.district_id, EXTENSIONS[content_type])
        try:
            content.seek(0)
            name = _save(storage, file_name, content)
        except StorageUnavailable as error:
            logger.warning(
                "activities.attachment.storage_failed", extra={"activity_id": activity.id}
            )
            raise AttachmentRejected(
                _("The file could not be saved just now. Please try again in a few minutes.")
            ) from error
    previous = activity.attachment.name
    activity.attachment, activity.attachment_type = name, content_type
    activity.updated_at = timezone.now()
    activity.save(update_fields=["attachment", "attachment_type", "updated_at"])
    if previous and previous != name:
        transaction.on_commit(lambda: _delete_files(storage, [previous]))
    return activity


def _render_picture(file) -> bytes:
    file.seek(0)
    try:
        return render_photo(file).image
    except UnusablePhoto as error:
        raise AttachmentRejected(str(PHOTO_ERRORS[error.reason])) from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise AttachmentRejected(str(PHOTO_ERRORS["unreadable"])) from error


def get_attachment_file(activity: Activity) -> tuple[str, str] | None:
    """(stored name, content type) of the activity's attachment, or None."""
    if not activity.attachment or not activity.attachment_type:
        return None
    return activity.attachment.name, activity.attachment_type

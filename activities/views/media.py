"""Private files, served only after a permission check (/files/).

Photos of children and teachers' attachments are never public (MEDIA_URL is not served). On
local disk each request is checked here and the file streamed with headers that keep it out of
caches and stop browsers sniffing it into something else; on S3 the same check ends in a redirect
to a short-lived signed URL. A photo that is still PROCESSING (or FAILED) is a 404, like one that
is not yours: pages show a placeholder instead (activities.media.photo_urls returns None).
"""

import re

from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)

from activities import attachments, media
from activities.queries.family import access_child_activity, access_family_photo
from activities.queries.staff import access_activity, access_staff_photo
from activities.views.review import get_opened_school_ids
from tenants.roles import Cap
from tenants.views_base import scoped_view

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# A PDF may hold scripts: in a sandbox it runs without our origin (no cookies, no requests).
PDF_HEADERS = {"Content-Security-Policy": "sandbox"}
RANGE = re.compile(r"bytes=(\d*)-(\d*)")
STREAM_CHUNK = 256 * 1024


@scoped_view(Cap.FAMILY_VIEW)
def family_photo(request, scope, photo_id: int, variant: str):
    """A photo (or its thumbnail) of the guardian's own child's submission."""
    return photo_response(access_family_photo(scope, photo_id), variant)


@scoped_view(Cap.SUBMISSION_REVIEW)
def review_photo(request, scope, photo_id: int, variant: str):
    """A photo of a submission in the teacher's classrooms or the school admin's school."""
    return photo_response(access_staff_photo(scope, photo_id), variant)


@scoped_view(Cap.SCHOOL_OPEN)
def district_photo(request, scope, photo_id: int, variant: str):
    """A district admin sees a photo only of a school they opened with a reason (audited by the
    review pages, kept in their session): any other school's is a 404."""
    opened = get_opened_school_ids(request)
    return photo_response(access_staff_photo(scope, photo_id, opened_school_ids=opened), variant)


@scoped_view(Cap.ACTIVITY_READ)
def staff_attachment(request, scope, activity_id: int):
    """A teacher's attached video, picture or PDF, for staff who can read the activity."""
    if scope.is_family:  # families reach an activity only through their child (below)
        raise Http404
    return _attachment_response(request, access_activity(scope, activity_id))


@scoped_view(Cap.FAMILY_VIEW)
def family_attachment(request, scope, child_id: int, activity_id: int):
    """The attachment of an activity that reaches the guardian's own child."""
    _child, activity = access_child_activity(scope, child_id, activity_id)
    return _attachment_response(request, activity)


def photo_response(photo, variant: str):
    name = media.get_photo_file(photo, variant)
    if name is None:
        raise Http404
    return _serve(name, "image/jpeg")


def _attachment_response(request, activity):
    found = attachments.get_attachment_file(activity)
    if found is None:
        raise Http404
    name, content_type = found
    extra = PDF_HEADERS if content_type == "application/pdf" else {}
    return _serve(name, content_type, extra, request=request)


def _serve(name: str, content_type: str, extra: dict | None = None, *, request=None):
    """Stream a private file from local disk (a byte range when `request` asks for one: video
    players seek), or redirect to a signed URL on S3."""
    storage = default_storage
    if not media.is_local_storage(storage):
        response = HttpResponseRedirect(media.get_signed_url(storage, name, content_type))
        response["Cache-Control"] = PRIVATE_HEADERS["Cache-Control"]
        return response
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError as error:
        raise Http404 from error
    wanted = request.headers.get("Range", "") if request is not None else ""
    response = _ranged(handle, content_type, wanted) if wanted else None
    if response is None:
        response = FileResponse(handle, content_type=content_type)
    if request is not None:
        response["Accept-Ranges"] = "bytes"
    for header, value in {**PRIVATE_HEADERS, **(extra or {})}.items():
        response[header] = value
    return response


def _ranged(handle, content_type: str, wanted: str):
    """206 for one satisfiable `bytes=` range, 416 for an unsatisfiable one, None to send all
    (several ranges, or a header we do not read)."""
    match = RANGE.fullmatch(wanted.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    size = handle.size
    if match.group(1):
        start = int(match.group(1))
        end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    else:  # the last N bytes
        start, end = max(size - int(match.group(2)), 0), size - 1
    if start >= size or end < start:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    response = StreamingHttpResponse(
        _read_range(handle, start, end - start + 1), status=206, content_type=content_type
    )
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    return response


def _read_range(handle, start: int, length: int):
    try:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(STREAM_CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()

"""A family's copy of their own data, at once and self-service (PROMISES R6), as one ZIP.

Design. What: `data.json` (everything Engage holds about the guardian and about each child they
have access to: profile, contacts, links, consents with their policy versions, message settings,
the messages sent to them with their text, privacy requests, and per child the school record,
progress, badges and every submission with its answers, text, comment, rating, status and the
teacher's feedback), `photos/` (the processed images, read through the storage API, never a URL)
and `summary.html` (the same, readable, one self-contained page: inline style, no script, no
other origin). Why: a family can take their data without asking anyone, and see exactly what the
school sees.

Safe by construction: every row is read through the requester's own user id, in the scope's
district, and through their own active links with access (`list_family_links`), so another
family's rows are never selected. Other people appear only as facts: "another guardian is linked"
(never their name or contacts), "another guardian" as the sender of a submission, and the
teacher's display name on feedback (no staff contact).

Memory stays flat: the archive is written into a SpooledTemporaryFile (to disk past
SPOOL_BYTES), photos are copied from storage into it in 64 KB blocks (stored, not recompressed:
they are JPEGs already), and only the JSON of one family is held at once (a few hundred KB for
hundreds of submissions). Queries are a fixed number whatever the number of submissions.

Re-running is harmless: building only reads; each completed export records one ACCESS request,
done at once, and one `data.exported` audit event. A person may export EXPORTS_PER_HOUR times an
hour (cache counter per person), so a stuck button cannot build archives in a loop.
"""

import json
import logging
import shutil
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from activities.models import BadgeAward, ChildProgress, Submission, SubmissionPhoto
from guardians.models import GuardianProfile, HouseholdMember, JoinRequest
from notifications.models import Delivery, NotificationPreference
from privacy.audit import Actor, record_audit_event
from privacy.classification import Category
from privacy.models import Consent, PrivacyRequest, ProcessingRestriction
from privacy.queries_family import get_consent_history, list_child_summaries
from privacy.requests import do_complete_request, do_create_request
from tenants.actions import ActionError
from tenants.models import Membership
from tenants.scope import Scope

logger = logging.getLogger(__name__)

FORMAT = "engage-family-export/1"
SPOOL_BYTES = 8 * 1024 * 1024
COPY_BLOCK = 64 * 1024
EXPORTS_PER_HOUR = 3
RATE_WINDOW_SECONDS = 3600
# Categories a copy leaves out: credentials (password hashes, token hashes) and the security log,
# which is about the platform's safety rather than the family (kept for a limited time, R10).
NOT_EXPORTED = frozenset({Category.NONE, Category.CREDENTIAL, Category.SECURITY})


class ExportRateLimited(ActionError):
    """The person exported EXPORTS_PER_HOUR times this hour already; nothing was built."""


@dataclass
class FamilyExport:
    data: dict
    # (name in the archive, name in storage, the JSON entry to mark when the file is missing)
    photos: list[tuple[str, str, dict]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        children = self.data["children"]
        return {
            "children": len(children),
            "submissions": sum(len(c["submissions"]) for c in children),
            "photos": len(self.photos),
            "messages": len(self.data["you"]["messages"]),
        }


# --- collecting ------------------------------------------------------------------------------


def personal_values(instance, *, exclude=()) -> dict:
    """The instance's own (non-relation) fields that hold personal data, by their classification,
    without credentials, security records or keyed hashes (meaningless outside Engage)."""
    values = {}
    for model_field in instance._meta.concrete_fields:
        name = model_field.name
        category = instance.data_classification.get(name, Category.NONE)
        if (
            model_field.is_relation
            or category in NOT_EXPORTED
            or name.endswith("_hash")
            or name in exclude
        ):
            continue
        values[name] = getattr(instance, name)
    return values


def collect_family_data(scope: Scope, *, now=None) -> FamilyExport:
    """Everything Engage holds about the scope's guardian and their children (see module), as
    JSON-ready data and the list of photo files. A fixed number of queries (about 17)."""
    now = now or timezone.now()
    export = FamilyExport(
        data={
            "format": FORMAT,
            "exported_at": now,
            "district": scope.district.name,
            "you": _guardian_data(scope),
            "children": [],
        }
    )
    summaries = list_child_summaries(scope)
    submissions = _submissions_by_child(scope, [s.child.id for s in summaries])
    badges = _badges_by_child(scope, [s.child.id for s in summaries])
    for summary in summaries:
        child = summary.child
        folder = f"photos/{slugify(child.first_name) or 'child'}-{child.id}"
        export.data["children"].append(
            {
                **personal_values(child),
                "school": child.school.name,
                "classes": [c.name for c in summary.classrooms],
                "your_relationship": summary.link.relationship,
                "your_relationship_label": summary.link.get_relationship_display(),
                "your_contact_role": summary.link.contact_role,
                "linked_since": summary.link.created_at,
                "another_guardian_is_linked": summary.other_guardians > 0,
                "progress": _progress_data(summary.progress),
                "badges": badges.get(child.id, []),
                "submissions": [
                    _submission_data(scope, s, folder, export)
                    for s in submissions.get(child.id, [])
                ],
            }
        )
    return export


def _guardian_data(scope: Scope) -> dict:
    user, district_id = scope.user, scope.district.id
    profile = GuardianProfile.objects.filter(district_id=district_id, guardian_id=user.id).first()
    household = (
        HouseholdMember.objects.filter(district_id=district_id, guardian_id=user.id)
        .select_related("household")
        .first()
    )
    preferences = NotificationPreference.objects.filter(user_id=user.id).first()
    return {
        **personal_values(user),
        "roles": _roles_data(scope),
        "profile": personal_values(profile) if profile else None,
        "household": personal_values(household.household) if household else None,
        "consents": [_consent_data(c) for c in get_consent_history(user, district_id)],
        "message_settings": personal_values(preferences) if preferences else None,
        "restrictions_of_processing": [
            {"since": r.created_at, "lifted_at": r.lifted_at}
            for r in ProcessingRestriction.objects.filter(
                district_id=district_id, user_id=user.id
            ).order_by("created_at", "id")
        ],
        "privacy_requests": _requests_data(scope),
        "join_requests": _join_requests_data(scope),
        "messages": _messages_data(scope),
    }


def _roles_data(scope: Scope) -> list[dict]:
    memberships = (
        Membership.objects.filter(district_id=scope.district.id, user_id=scope.user.id)
        .select_related("school", "classroom")
        .order_by("created_at", "id")
    )
    return [
        {
            "role": m.role,
            "role_label": m.get_role_display(),
            "school": m.school.name if m.school_id else None,
            "class": m.classroom.name if m.classroom_id else None,
            "is_active": m.is_active,
            "since": m.created_at,
        }
        for m in memberships
    ]


def _consent_data(consent: Consent) -> dict:
    version = consent.policy_version
    return {
        "kind": consent.kind,
        "kind_label": consent.get_kind_display(),
        "is_granted": consent.is_granted,
        "policy_version": version.version if version else None,
        "policy_title": version.title if version else None,
        "source": consent.source,
        "recorded_at": consent.recorded_at,
    }


def _requests_data(scope: Scope) -> list[dict]:
    requests = (
        PrivacyRequest.objects.filter(district_id=scope.district.id, requester_id=scope.user.id)
        .select_related("school")
        .order_by("created_at", "id")
    )
    return [
        {
            "kind": r.kind,
            "kind_label": r.get_kind_display(),
            "status": r.status,
            "status_label": r.get_status_display(),
            "school": r.school.name if r.school_id else None,
            "details": r.details,
            "response": r.response,
            "created_at": r.created_at,
            "due_at": r.due_at,
            "completed_at": r.completed_at,
        }
        for r in requests
    ]


def _join_requests_data(scope: Scope) -> list[dict]:
    rows = (
        JoinRequest.objects.filter(district_id=scope.district.id, requester_id=scope.user.id)
        .select_related("classroom")
        .order_by("created_at", "id")
    )
    return [
        {
            **personal_values(row),
            "class": row.classroom.name,
            "status": row.status,
            "status_label": row.get_status_display(),
        }
        for row in rows
    ]


def _messages_data(scope: Scope) -> list[dict]:
    """Each message of the district that was sent to the person, once, in the language it was
    sent to them in, with the channels it went by (the address is theirs)."""
    deliveries = (
        Delivery.objects.filter(district_id=scope.district.id, recipient_id=scope.user.id)
        .select_related("message", "message__school")
        .order_by("created_at", "id")
    )
    by_message: dict[int, dict] = {}
    for delivery in deliveries:
        message = delivery.message
        entry = by_message.get(message.id)
        if entry is None:
            text = message.text_for(delivery.language)
            entry = by_message[message.id] = {
                "kind": message.kind,
                "kind_label": message.get_kind_display(),
                "school": message.school.name if message.school_id else None,
                "subject": text.get("subject", ""),
                "body": text.get("body", ""),
                "is_text_deleted": message.body_purged_at is not None,
                "created_at": message.created_at,
                "deliveries": [],
            }
        entry["deliveries"].append(
            {
                "channel": delivery.channel,
                "address": delivery.address,
                "status": delivery.status,
                "status_label": delivery.get_status_display(),
                "sent_at": delivery.sent_at,
            }
        )
    return list(by_message.values())


def _progress_data(progress: ChildProgress | None) -> dict | None:
    return personal_values(progress) if progress is not None else None


def _badges_by_child(scope: Scope, child_ids: list[int]) -> dict[int, list[dict]]:
    badges = defaultdict(list)
    rows = BadgeAward.objects.filter(district_id=scope.district.id, child_id__in=child_ids)
    for badge in rows.order_by("awarded_at", "id"):
        badges[badge.child_id].append(
            {
                "kind": badge.kind,
                "kind_label": badge.get_kind_display(),
                "label": badge.label,
                "awarded_at": badge.awarded_at,
            }
        )
    return badges


def _submissions_by_child(scope: Scope, child_ids: list[int]) -> dict[int, list[Submission]]:
    """Every submission about the children (by this guardian or another), with the activity,
    its questions, the reviewer and the processed photos prefetched: 3 queries in all."""
    rows = (
        Submission.objects.filter(district_id=scope.district.id, child_id__in=child_ids)
        .select_related("activity", "reviewed_by")
        .prefetch_related(
            "activity__questions",
            Prefetch(
                "photos",
                queryset=SubmissionPhoto.objects.filter(status=SubmissionPhoto.Status.READY),
                to_attr="ready_photos",
            ),
        )
        .order_by("submitted_at", "id")
    )
    by_child = defaultdict(list)
    for submission in rows:
        by_child[submission.child_id].append(submission)
    return by_child


def _submission_data(scope: Scope, submission: Submission, folder: str, export) -> dict:
    if submission.guardian_id == scope.user.id:
        sent_by = "you"
    elif submission.guardian_id is None:
        sent_by = "unknown"
    else:
        sent_by = "another guardian"
    reviewer = submission.reviewed_by
    photos = []
    for photo in submission.ready_photos:
        if not photo.image:
            continue
        extension = photo.image.name.rsplit(".", 1)[-1].lower()
        name = (
            f"{folder}/{submission.submitted_at:%Y-%m-%d}-{submission.id}-"
            f"{photo.position + 1}.{extension}"
        )
        entry = {"file": name, "width": photo.width, "height": photo.height}
        photos.append(entry)
        export.photos.append((name, photo.image.name, entry))
    activity = submission.activity
    return {
        "activity": activity.title,
        "activity_kind": activity.kind,
        "sent_by": sent_by,
        "submitted_at": submission.submitted_at,
        "updated_at": submission.updated_at,
        "status": submission.status,
        "status_label": submission.get_status_display(),
        "text": submission.text,
        "answers": _answers(activity, submission.answers),
        "score": submission.score,
        "max_score": submission.max_score,
        "rating": submission.rating,
        "comment": submission.comment,
        "feedback": submission.feedback,
        # The teacher's display name only: no staff contact is part of a family's data.
        "reviewed_by": reviewer.get_full_name() if reviewer else None,
        "reviewed_at": submission.reviewed_at,
        "is_shared_by_school": submission.is_shared,
        "photos": photos,
    }


def _answers(activity, answers: dict) -> list[dict]:
    """[{question, answer}] in the quiz's order: a choice's text, or the short answer typed."""
    questions = {str(q.id): q for q in activity.questions.all()}
    found = []
    for question_id, value in answers.items():
        question = questions.get(str(question_id))
        answer = value
        if question is not None and isinstance(value, int) and 0 <= value < len(question.choices):
            answer = question.choices[value]
        found.append(
            {
                "question": question.prompt if question else None,
                "answer": answer,
                "position": question.position if question else None,
            }
        )
    found.sort(key=lambda a: (a["position"] is None, a["position"] or 0))
    return [{"question": a["question"], "answer": a["answer"]} for a in found]


# --- writing ---------------------------------------------------------------------------------


def write_family_export(scope: Scope, out, *, now=None) -> FamilyExport:
    """Write the family's ZIP (see module) into the binary file `out`; returns what was in it.
    Reads only: nothing is recorded (do_export_family_data records)."""
    export = collect_family_data(scope, now=now)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, stored_name, entry in export.photos:
            if not _copy_file(archive, name, stored_name):
                entry["file"] = None
                entry["is_missing"] = True
        archive.writestr("data.json", _json(export.data))
        archive.writestr(
            "summary.html",
            render_to_string("privacy/family/export_summary.html", {"data": export.data}),
        )
    return export


def _json(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def _copy_file(archive: zipfile.ZipFile, name: str, stored_name: str) -> bool:
    """Copy one stored file into the archive in blocks; False (logged) when it cannot be read."""
    info = zipfile.ZipInfo(name, date_time=timezone.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    try:
        with default_storage.open(stored_name, "rb") as source, archive.open(info, "w") as entry:
            shutil.copyfileobj(source, entry, COPY_BLOCK)
    except Exception:  # a file the storage lost must not cost the family the rest of the copy
        logger.warning("privacy.export.photo_unreadable", extra={"stored_name": stored_name})
        return False
    return True


def build_family_export(scope: Scope, *, now=None):
    """(the ZIP as a temporary file at position 0, FamilyExport). The caller closes the file."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned open)
    try:
        export = write_family_export(scope, out, now=now)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out, export


# --- the action --------------------------------------------------------------------------------


def take_export_allowance(user_id: int) -> bool:
    """Count one export for the person; False past EXPORTS_PER_HOUR in the window. Per person,
    not per district: one person's exports share one budget wherever they are a guardian."""
    key = f"privacy-export:{user_id}"
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        return cache.incr(key) <= EXPORTS_PER_HOUR
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW_SECONDS)
        return True


def do_export_family_data(scope: Scope, *, actor: Actor):
    """Build the family's copy and record it (R6); returns (open file at 0, FamilyExport).

    Not one transaction: the build only reads, outside any transaction (seconds, for a large
    family), then `do_record_family_export` records it in one. Raises ExportRateLimited (nothing
    built, nothing written) past the hourly allowance."""
    if not take_export_allowance(scope.user.id):
        raise ExportRateLimited(
            _("You have downloaded your data %(n)d times in the last hour. Please try again later.")
            % {"n": EXPORTS_PER_HOUR}
        )
    out, export = build_family_export(scope)
    try:
        do_record_family_export(scope, export.counts, actor=actor)
    except BaseException:
        out.close()
        raise
    return out, export


@transaction.atomic
def do_record_family_export(scope: Scope, counts: dict, *, actor: Actor) -> PrivacyRequest:
    """An ACCESS request completed at once (an open one the person already had is the one
    answered), and the audit event `data.exported` with what the copy held (counts only)."""
    district, user = scope.district, scope.user
    request = (
        PrivacyRequest.objects.select_for_update()
        .filter(
            district_id=district.id,
            requester_id=user.id,
            kind=PrivacyRequest.Kind.ACCESS,
            status=PrivacyRequest.Status.OPEN,
        )
        .first()
    )
    if request is None:
        request = do_create_request(
            district, kind=PrivacyRequest.Kind.ACCESS, requester=user, actor=actor
        )
    do_complete_request(request, response="exported", certificate={"counts": counts}, actor=actor)
    record_audit_event(
        actor=actor, action="data.exported", target=user, district_id=district.id, metadata=counts
    )
    return request

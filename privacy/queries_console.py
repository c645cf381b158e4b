"""Reads of the privacy console (/privacy/console/): requests, deleted items, runs, certificates
and the audit log, each bounded by the scope.

District admins (district-wide scope) read their whole district. School admins read:
- requests of their school, plus the family requests made district-wide (school empty) by a
  guardian with an active link to a child of their school: a family with children in two
  schools is in both schools' queues, and either school may answer;
- archives (deleted items), certificates and audit events recorded against their school;
- the district's retention runs (counts only, nothing about any person).
`access_*` raise Http404 for an id outside the scope, so another tenant's request or archive does
not exist for the caller.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from guardians.models import Child, GuardianLink
from privacy.models import Archive, AuditEvent, PrivacyRequest, PrivacySettings, RetentionRun
from tenants.scope import Scope

Kind = PrivacyRequest.Kind
Status = PrivacyRequest.Status

# Requests a family makes about their own data (the others are a district's deletion requests).
FAMILY_KINDS = (Kind.ACCESS, Kind.CORRECTION, Kind.RESTRICTION, Kind.CLOSURE, Kind.ERASURE)
PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50
# Certificates listed on the history page (the newest; older ones stay printable by address).
CERTIFICATE_LIMIT = 50


def _requests_in_scope(scope: Scope) -> QuerySet[PrivacyRequest]:
    if scope.is_family:
        return PrivacyRequest.objects.none()
    requests = PrivacyRequest.objects.filter(district_id=scope.district.id)
    if scope.school is None:
        return requests
    families = GuardianLink.objects.filter(
        district_id=scope.district.id, is_active=True, child__school_id=scope.school.id
    ).values("guardian_id")
    return requests.filter(
        Q(school_id=scope.school.id)
        | Q(school__isnull=True, kind__in=FAMILY_KINDS, requester_id__in=families)
    )


def list_requests_for_scope(
    scope: Scope, *, status: str | None = Status.OPEN, kind: str | None = None
) -> QuerySet[PrivacyRequest]:
    """The scope's requests (of `status` and `kind` when given), oldest due first, with the
    requester and the school read in the same query."""
    requests = _requests_in_scope(scope).select_related("requester", "school")
    if status:
        requests = requests.filter(status=status)
    if kind:
        requests = requests.filter(kind=kind)
    return requests.order_by("due_at", "id")


def access_request(scope: Scope, request_id: int) -> PrivacyRequest:
    """One request of the scope (Http404 otherwise), with requester, school and handler."""
    requests = _requests_in_scope(scope).select_related("requester", "school", "handled_by")
    return get_object_or_404(requests, id=request_id)


def list_requester_children_for_scope(scope: Scope, request: PrivacyRequest) -> list[Child]:
    """The requester's children the scope's staff know (to find the record a correction is
    about); no other family's."""
    if request.requester_id is None:
        return []
    children = scope.apply(Child.objects.filter(is_active=True)).filter(
        guardian_links__guardian_id=request.requester_id, guardian_links__is_active=True
    )
    return list(children.select_related("school").order_by("last_name", "first_name", "id"))


def days_left(due_at: datetime.datetime, *, today: datetime.date | None = None) -> int:
    """Whole days from today to the due date, in the current time zone (negative: overdue)."""
    today = today or timezone.localdate()
    return (timezone.localdate(due_at) - today).days


# --- policy settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsRows:
    """The stored settings of the scope's district and (for a school admin) school."""

    district: PrivacySettings | None
    school: PrivacySettings | None

    @property
    def district_values(self) -> dict:
        return self.district.values if self.district else {}

    @property
    def school_values(self) -> dict:
        return self.school.values if self.school else {}


def get_settings_rows_for_scope(scope: Scope) -> SettingsRows:
    """Both rows in one query, with who last changed them."""
    school_id = scope.school.id if scope.school else None
    rows = PrivacySettings.objects.filter(district_id=scope.district.id).filter(
        Q(school__isnull=True) | Q(school_id=school_id)
    )
    by_school = {row.school_id: row for row in rows.select_related("updated_by")}
    return SettingsRows(by_school.get(None), by_school.get(school_id) if school_id else None)


# --- deleted items (R1) and certificates -------------------------------------------------------


def _archives_in_scope(scope: Scope) -> QuerySet[Archive]:
    if scope.is_family:
        return Archive.objects.none()
    return scope.apply(Archive.objects.all())


def list_restorable_archives_for_scope(scope: Scope, *, now=None) -> QuerySet[Archive]:
    """Deleted items that can still be restored, the soonest to go first, with who deleted."""
    now = now or timezone.now()
    return (
        _archives_in_scope(scope)
        .filter(state=Archive.State.ARCHIVED, restore_until__gt=now)
        .select_related("deleted_by", "school")
        .order_by("restore_until", "id")
    )


def access_archive(scope: Scope, archive_id: int) -> Archive:
    """One archive of the scope, whatever its state (Http404 outside the scope)."""
    return get_object_or_404(
        _archives_in_scope(scope).select_related("deleted_by", "restored_by"), id=archive_id
    )


def list_request_certificates_for_scope(scope: Scope) -> list[PrivacyRequest]:
    """Requests carried out with a deletion certificate, newest first (CERTIFICATE_LIMIT)."""
    requests = (
        _requests_in_scope(scope)
        .filter(status=Status.DONE)
        .exclude(certificate={})
        .select_related("school")
        .order_by("-completed_at", "-id")
    )
    return list(requests[:CERTIFICATE_LIMIT])


def list_purged_archives_for_scope(scope: Scope) -> list[Archive]:
    """Archives deleted for good, newest first (CERTIFICATE_LIMIT): their certificates."""
    archives = (
        _archives_in_scope(scope)
        .filter(state=Archive.State.PURGED)
        .select_related("school")
        .order_by("-purged_at", "-id")
    )
    return list(archives[:CERTIFICATE_LIMIT])


def access_request_certificate(scope: Scope, request_id: int) -> PrivacyRequest:
    """A request of the scope that holds a certificate (Http404 otherwise)."""
    requests = _requests_in_scope(scope).filter(status=Status.DONE).exclude(certificate={})
    return get_object_or_404(requests.select_related("school", "handled_by"), id=request_id)


def access_purged_archive(scope: Scope, archive_id: int) -> Archive:
    archives = _archives_in_scope(scope).filter(state=Archive.State.PURGED)
    return get_object_or_404(archives.select_related("school", "deleted_by"), id=archive_id)


# --- retention runs --------------------------------------------------------------------------


def list_retention_runs_for_scope(scope: Scope) -> QuerySet[RetentionRun]:
    """The district's retention runs, newest first (counts only: no person in them)."""
    if scope.is_family:
        return RetentionRun.objects.none()
    return RetentionRun.objects.filter(district_id=scope.district.id).order_by("-started_at", "-id")


# --- the audit log (S3) ----------------------------------------------------------------------


def _audit_in_scope(scope: Scope) -> QuerySet[AuditEvent]:
    if scope.is_family:
        return AuditEvent.objects.none()
    events = AuditEvent.objects.filter(district_id=scope.district.id)
    if scope.school is not None:
        events = events.filter(school_id=scope.school.id)
    return events


def list_audit_events_for_scope(
    scope: Scope,
    *,
    action: str = "",
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """The scope's audit events, newest first: `action` matches a prefix ("privacy_request"
    finds every request event), `start` <= created_at < `end`."""
    events = _audit_in_scope(scope).select_related("actor")
    if action:
        events = events.filter(action__startswith=action)
    if start is not None:
        events = events.filter(created_at__gte=start)
    if end is not None:
        events = events.filter(created_at__lt=end)
    return events.order_by("-created_at", "-id")


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    # The cursor of the next (older) page, or "" on the last page.
    next_cursor: str


def get_audit_page(events: QuerySet[AuditEvent], *, cursor: str = "") -> AuditPage:
    """One page of `events` (ordered newest first) after `cursor`, by keyset: a page costs one
    query however deep it is, and no count is taken. A cursor that does not parse starts over."""
    position = parse_cursor(cursor)
    if position is not None:
        created_at, event_id = position
        events = events.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=event_id)
        )
    rows = list(events[: AUDIT_PAGE_SIZE + 1])
    if len(rows) <= AUDIT_PAGE_SIZE:
        return AuditPage(rows, "")
    rows = rows[:AUDIT_PAGE_SIZE]
    last = rows[-1]
    return AuditPage(rows, make_cursor(last))


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)


def make_cursor(event: AuditEvent) -> str:
    """ "<microseconds since 1970>_<id>": exact (no float), and opaque enough for a URL."""
    return f"{(event.created_at - EPOCH) // MICROSECOND}_{event.id}"


def parse_cursor(cursor: str) -> tuple[datetime.datetime, int] | None:
    stamp, _sep, event_id = (cursor or "").partition("_")
    try:
        return EPOCH + int(stamp) * MICROSECOND, int(event_id)
    except (ValueError, OverflowError):
        return None

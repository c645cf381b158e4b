"""The privacy console's records (/privacy/console/...): retention runs and deletion
certificates, the data inventory, the subprocessors and the audit log with its CSV export.
Every page needs privacy:admin and reads through privacy.queries_console with the scope."""

import csv
import datetime
import json

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from privacy import queries_console as queries
from privacy.actions_settings import do_record_audit_export
from privacy.audit import Actor
from privacy.forms_console import AuditFilterForm
from privacy.inventory import (
    build_inventory,
    category_names,
    district_retention,
    list_subprocessors,
    plain_counts,
)
from privacy.jobs import JOBS
from privacy.queries import get_policy
from tenants.roles import Cap
from tenants.views_base import scoped_view

READ = Cap.PRIVACY_ADMIN
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_CHUNK = 1000


# --- retention runs and certificates -----------------------------------------------------------


@scoped_view(READ)
def history(request, scope):
    """The district's retention runs (newest first, 50 a page) and the scope's certificates."""
    runs = Paginator(queries.list_retention_runs_for_scope(scope), queries.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for run in runs:
        job = JOBS.get(run.job)
        run.description = job.description if job else ""
    request_certificates = queries.list_request_certificates_for_scope(scope)
    for item in request_certificates:
        item.category_names = category_names(item.certificate.get("categories", []))
    archive_certificates = queries.list_purged_archives_for_scope(scope)
    for item in archive_certificates:
        item.category_names = category_names(item.categories)
    return render(
        request,
        "privacy/console/history.html",
        {
            "runs": runs,
            "request_certificates": request_certificates,
            "archive_certificates": archive_certificates,
            "tab": "history",
        },
    )


@scoped_view(READ)
def request_certificate(request, scope, privacy_request_id: int):
    """A printable certificate of a carried-out request: counts and categories, no content."""
    privacy_request = queries.access_request_certificate(scope, privacy_request_id)
    certificate = privacy_request.certificate
    return render(
        request,
        "privacy/console/certificate.html",
        {
            "privacy_request": privacy_request,
            "counts": plain_counts(certificate.get("counts", {})),
            "categories": category_names(certificate.get("categories", [])),
            "kept": certificate.get("kept", []),
            "tab": "history",
        },
    )


@scoped_view(READ)
def archive_certificate(request, scope, archive_id: int):
    """A printable certificate of something deleted for good after its restore window."""
    archive = queries.access_purged_archive(scope, archive_id)
    return render(
        request,
        "privacy/console/certificate.html",
        {
            "archive": archive,
            "counts": plain_counts(archive.counts),
            "categories": category_names(archive.categories),
            "kept": [],
            "tab": "history",
        },
    )


# --- inventory and subprocessors ---------------------------------------------------------------


@scoped_view(READ)
def inventory(request, scope):
    """The schedule of data the district's Engage holds, with the windows in force (printable)."""
    policy = get_policy(scope.district.id, scope.school.id if scope.school else None)
    return render(
        request,
        "privacy/console/inventory.html",
        {
            "categories": build_inventory(scope.district, policy),
            "district_retention": district_retention(policy),
            "subprocessors": list_subprocessors(),
            "generated_at": timezone.now(),
            "tab": "inventory",
        },
    )


@scoped_view(READ)
def subprocessors(request, scope):
    return render(
        request,
        "privacy/console/subprocessors.html",
        {"subprocessors": list_subprocessors(), "tab": "subprocessors"},
    )


# --- the audit log (S3) ------------------------------------------------------------------------


@scoped_view(READ)
def audit_log(request, scope):
    """The scope's audit events, newest first, filtered by action and dates, 50 a page by
    keyset (no count, one query a page however deep)."""
    search = AuditFilterForm(request.GET or None)
    events = queries.list_audit_events_for_scope(scope, **search.filters())
    page = queries.get_audit_page(events, cursor=request.GET.get("after", ""))
    for event in page.events:
        event.details = json.dumps(event.metadata, sort_keys=True, ensure_ascii=False)
    return render(
        request,
        "privacy/console/audit.html",
        {
            "search": search,
            "events": page.events,
            "next_cursor": page.next_cursor,
            "is_first_page": not request.GET.get("after"),
            "tab": "audit",
        },
    )


@scoped_view(READ)
def audit_export(request, scope):
    """The filtered audit log as CSV, streamed in chunks (constant memory), safe to open in a
    spreadsheet; the export itself is recorded in the log."""
    search = AuditFilterForm(request.GET or None)
    filters = search.filters()
    do_record_audit_export(
        scope.district,
        school=scope.school,
        filters={k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in filters.items()},
        actor=Actor.from_request(request),
    )
    events = queries.list_audit_events_for_scope(scope, **filters)
    response = StreamingHttpResponse(_csv_lines(events), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-{scope.district.slug}-{stamp}.csv"'
    )
    return response


class _Echo:
    def write(self, value):
        return value


def _csv_lines(events):
    writer = csv.writer(_Echo())
    yield writer.writerow(
        [
            "time_utc",
            "action",
            "actor_id",
            "actor",
            "target_type",
            "target_id",
            "school_id",
            "ip_address",
            "details",
        ]
    )
    for event in events.iterator(chunk_size=EXPORT_CHUNK):
        actor = event.actor
        yield writer.writerow(
            [
                safe_cell(value)
                for value in (
                    event.created_at.astimezone(datetime.UTC).isoformat(),
                    event.action,
                    event.actor_id or "",
                    (actor.get_full_name() or actor.email or actor.phone or "") if actor else "",
                    event.target_type,
                    event.target_id,
                    event.school_id or "",
                    event.ip_address or "",
                    json.dumps(event.metadata, sort_keys=True, ensure_ascii=False),
                )
            ]
        )


def safe_cell(value) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ tab or CR gets a leading
    quote, so it is never run as a formula."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text

"""Reads of roster import runs, for the upload page and the API."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from tenants.models import RosterImportRun
from tenants.roster.progress import get_import_progress
from tenants.scope import Scope


def list_import_runs_for_scope(scope: Scope) -> QuerySet[RosterImportRun]:
    """The scope's import runs, newest first: a school admin sees their school's uploads."""
    runs = RosterImportRun.objects.filter(district_id=scope.district.id)
    if scope.school is not None:
        runs = runs.filter(school_id=scope.school.id)
    return runs.select_related("started_by", "school").order_by("-started_at", "-id")


def access_import_run(scope: Scope, run_id: int) -> RosterImportRun:
    return get_object_or_404(list_import_runs_for_scope(scope), id=run_id)


def get_run_progress(run: RosterImportRun) -> dict:
    """{"done", "total", "percent"} of a run, live while it runs."""
    done, total = get_import_progress(run)
    if run.status == RosterImportRun.Status.FINISHED:
        done = total = max(done, total, 1)
    percent = int(100 * done / total) if total else 0
    return {"done": done, "total": total, "percent": min(percent, 100)}

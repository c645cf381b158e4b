"""The roster upload page: upload a file, watch the import's progress, read its report."""

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from privacy.audit import Actor
from tenants.actions import ActionError
from tenants.models import RosterImportRun
from tenants.roles import Cap
from tenants.roster import queries
from tenants.roster.report import COUNT_KEYS, OUTCOMES
from tenants.roster.uploads import do_queue_roster_import
from tenants.views_base import scoped_view


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (.zip)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
    source_format = forms.ChoiceField(
        label=_("Format"),
        choices=[("oneroster", _("OneRoster 1.1 or 1.2 (CSV)")), ("engage", _("Engage CSV"))],
    )
    is_dry_run = forms.BooleanField(
        label=_("Check only: show the report without changing anything"), required=False
    )
    is_valid_rows_only = forms.BooleanField(
        label=_("If some rows have errors, import the other rows anyway"), required=False
    )


@scoped_view({"GET": Cap.ROSTER_MANAGE, "POST": Cap.ROSTER_MANAGE})
def imports(request, scope):
    """Upload a roster; the import runs in the background. Earlier runs are listed."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = do_queue_roster_import(
                scope,
                data["file"],
                source_format=data["source_format"],
                is_dry_run=data["is_dry_run"],
                is_valid_rows_only=data["is_valid_rows_only"],
                trigger=RosterImportRun.Trigger.UPLOAD,
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            form.add_error("file", str(error))
        else:
            return redirect("tenants:roster_import", run_id=run.id)
    return render(
        request,
        "tenants/roster/imports.html",
        {"form": form, "runs": queries.list_import_runs_for_scope(scope)[:50]},
    )


@scoped_view(Cap.ROSTER_MANAGE)
def import_detail(request, scope, run_id: int):
    """One run: progress while it runs (the page polls its progress part), then the report."""
    run = queries.access_import_run(scope, run_id)
    template = (
        "tenants/roster/_progress.html"
        if request.headers.get("HX-Request") and run.status != RosterImportRun.Status.FINISHED
        else "tenants/roster/import_detail.html"
    )
    counts = [
        (COUNT_LABELS[key], [run.report.get(outcome, {}).get(key, 0) for outcome in OUTCOMES])
        for key in COUNT_KEYS
    ]
    return render(
        request,
        template,
        {
            "run": run,
            "progress": queries.get_run_progress(run),
            "outcomes": [OUTCOME_LABELS[o] for o in OUTCOMES],
            "counts": counts,
        },
    )


COUNT_LABELS = {
    "schools": _("Schools"),
    "classrooms": _("Classrooms"),
    "teachers": _("Staff"),
    "children": _("Children"),
    "guardians": _("Guardians"),
    "guardian_links": _("Guardian links"),
    "enrollments": _("Enrollments and roles"),
}
OUTCOME_LABELS = {
    "created": pgettext_lazy("roster rows", "Created"),
    "updated": pgettext_lazy("roster rows", "Updated"),
    "unchanged": pgettext_lazy("roster rows", "Unchanged"),
    "deactivated": pgettext_lazy("roster rows", "Deactivated"),
}


@scoped_view(Cap.ROSTER_MANAGE)
def roster_format(request, scope):
    """The Engage CSV format, with its templates to download."""
    return render(request, "tenants/roster/format.html", {"files": TEMPLATE_FILES})


TEMPLATE_FILES = ["staff.csv", "children.csv", "guardians.csv", "links.csv"]

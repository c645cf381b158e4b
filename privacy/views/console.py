"""The privacy console (/privacy/console/): the requests queue, the policy windows and deleted
items. Run history, certificates, the data inventory, subprocessors and the audit log are in
console_records.py.

District admins act on their district, school admins on their school (privacy.queries_console
says exactly what each sees); both need privacy:admin. Requests and archives are looked up with
the scope, so another tenant's id is a 404 before anything is written.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy import queries_console as queries
from privacy.actions_settings import (
    ANSWERABLE_AS_DONE,
    do_answer_request,
    do_erase_now,
    do_update_policy_settings,
)
from privacy.archive import RestoreError
from privacy.audit import Actor
from privacy.forms_console import AnswerRequestForm, PolicySettingsForm, RequestFilterForm
from privacy.inventory import plain_counts, window_text
from privacy.lifecycle import do_restore
from privacy.models import PrivacyRequest
from privacy.policy import WINDOWS, PolicyError, resolve
from tenants.actions import ActionError
from tenants.roles import Cap
from tenants.views_base import scoped_view

READ = Cap.PRIVACY_ADMIN
WRITE = {"GET": Cap.PRIVACY_ADMIN, "POST": Cap.PRIVACY_ADMIN}
Kind = PrivacyRequest.Kind
Status = PrivacyRequest.Status


def _posted(request):
    return request.POST if request.method == "POST" else None


def _page(request, queryset, size=queries.PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _set_due(item, due_at) -> None:
    """days_left, days_overdue and is_overdue of an item due at `due_at`, for _due.html."""
    item.days_left = queries.days_left(due_at)
    item.days_overdue = -item.days_left
    item.is_overdue = due_at < timezone.now()


# --- the requests queue ------------------------------------------------------------------------


@scoped_view(READ)
def requests_queue(request, scope):
    """The scope's requests, oldest due first; open ones unless the filter says otherwise."""
    search = RequestFilterForm(request.GET or None, initial={"status": Status.OPEN})
    page = _page(request, queries.list_requests_for_scope(scope, **search.filters()))
    for row in page:
        _set_due(row, row.due_at)
    return render(
        request,
        "privacy/console/requests.html",
        {"search": search, "page": page, "tab": "requests"},
    )


@scoped_view(WRITE)
def request_detail(request, scope, privacy_request_id: int):
    """One request: the family's words, and the school's answer (done or declined)."""
    privacy_request = queries.access_request(scope, privacy_request_id)
    _set_due(privacy_request, privacy_request.due_at)
    can_be_done = privacy_request.kind in ANSWERABLE_AS_DONE
    form = AnswerRequestForm(_posted(request), can_be_done=can_be_done)
    if request.method == "POST" and form.is_valid():
        try:
            do_answer_request(
                privacy_request,
                status=form.cleaned_data["status"],
                response=form.cleaned_data["response"],
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The request is closed; the family can read your answer."))
            return redirect("privacy:console_request", privacy_request.id)
    return render(
        request,
        "privacy/console/request_detail.html",
        {
            "privacy_request": privacy_request,
            "children": queries.list_requester_children_for_scope(scope, privacy_request),
            "days_left": privacy_request.days_left,
            "days_overdue": privacy_request.days_overdue,
            "is_overdue": privacy_request.is_overdue,
            "is_open": privacy_request.status == Status.OPEN,
            "can_erase": privacy_request.kind == Kind.ERASURE,
            "form": form,
            "tab": "requests",
        },
    )


@scoped_view(WRITE)
def request_erase(request, scope, privacy_request_id: int):
    """Confirm, then carry out a request to be forgotten now (R5) instead of at the next run."""
    privacy_request = queries.access_request(scope, privacy_request_id)
    if privacy_request.kind != Kind.ERASURE:
        raise Http404
    if privacy_request.status != Status.OPEN:
        messages.info(request, _("This request is already closed."))
        return redirect("privacy:console_request", privacy_request.id)
    if request.method == "POST":
        do_erase_now(privacy_request, school=scope.school, actor=Actor.from_request(request))
        messages.success(request, _("The family's data was erased; the certificate is below."))
        return redirect("privacy:console_request", privacy_request.id)
    return render(
        request,
        "privacy/console/request_erase.html",
        {
            "privacy_request": privacy_request,
            "children": queries.list_requester_children_for_scope(scope, privacy_request),
            "tab": "requests",
        },
    )


# --- policy windows ----------------------------------------------------------------------------


@scoped_view(WRITE)
def policy_settings(request, scope):
    """The effective windows; district admins set the district's within the platform's bounds,
    school admins may only tighten them for their school."""
    rows = queries.get_settings_rows_for_scope(scope)
    district_policy = resolve(rows.district_values)
    is_school = scope.school is not None
    form = PolicySettingsForm(
        _posted(request),
        parent=district_policy.values if is_school else None,
        initial=rows.school_values if is_school else district_policy.values,
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = do_update_policy_settings(
                scope.district,
                school=scope.school,
                values=form.values(),
                actor=Actor.from_request(request),
            )
        except PolicyError as error:
            for name, reason in error.errors.items():
                form.add_error(name if name in form.fields else None, reason)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing changed."))
            return redirect("privacy:console_settings")
    effective = resolve(rows.district_values, rows.school_values) if is_school else district_policy
    return render(
        request,
        "privacy/console/settings.html",
        {
            "form": form,
            "windows": _window_rows(district_policy, effective),
            "rows": rows,
            "is_school": is_school,
            "tab": "settings",
        },
    )


def _window_rows(district_policy, effective) -> list[dict]:
    return [
        {
            "label": window.label,
            "promise": window.promise,
            "default": window_text(window.unit, window.default),
            "minimum": window_text(window.unit, window.minimum),
            "maximum": window_text(window.unit, window.maximum),
            "district": window_text(window.unit, district_policy.values[window.name]),
            "effective": window_text(window.unit, effective.values[window.name]),
        }
        for window in WINDOWS
    ]


# --- deleted items (R1) ------------------------------------------------------------------------


@scoped_view(READ)
def deleted_items(request, scope):
    """What was deleted and can still be restored, the soonest to go first."""
    page = _page(request, queries.list_restorable_archives_for_scope(scope))
    for archive in page:
        _set_due(archive, archive.restore_until)
        archive.what = plain_counts(archive.counts)
    return render(request, "privacy/console/deleted.html", {"page": page, "tab": "deleted"})


@scoped_view({"POST": Cap.PRIVACY_ADMIN})
def restore(request, scope, archive_id: int):
    """Put a deleted item back exactly (R1); a RestoreError says why it cannot be."""
    archive = queries.access_archive(scope, archive_id)
    try:
        do_restore(archive, actor=Actor.from_request(request))
    except RestoreError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Restored: everything deleted with it is back."))
    return redirect("privacy:console_deleted")

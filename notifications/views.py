from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from notifications.queries import list_outbox_entries
from tenants.views_base import public_view


def can_read_outbox(user) -> bool:
    """The outbox holds every tenant's messages: operators only, or anyone in local development."""
    return settings.DEBUG or (user.is_authenticated and user.is_staff)


@public_view
def outbox(request):
    """The local outbox, readable by a person (embedded mode only)."""
    if not settings.ENGAGE_OUTBOX_PAGE:
        raise Http404
    if not can_read_outbox(request.user):
        raise PermissionDenied
    entries = list_outbox_entries(to=request.GET.get("to") or None)
    # htmx polls the list every few seconds, so a sign-in code shows up without a reload.
    template = "notifications/_outbox_entries.html" if request.htmx else "notifications/outbox.html"
    return render(request, template, {"entries": entries})

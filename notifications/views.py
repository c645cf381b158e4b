"""Messaging pages: staff compose and follow up announcements; families read and choose."""

from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from notifications import actions, queries
from notifications.forms import AnnouncementForm, PreferencesForm
from notifications.models import Channel, NotificationPreference
from privacy.audit import Actor
from tenants import queries as tenant_queries
from tenants.actions import ActionError
from tenants.models import Group
from tenants.roles import Cap
from tenants.views_base import public_view, scoped_view

FAMILY_PICKER_LIMIT = 500


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
    entries = queries.list_outbox_entries(to=request.GET.get("to") or None)
    # htmx polls the list every few seconds, so a sign-in code shows up without a reload.
    template = "notifications/_outbox_entries.html" if request.htmx else "notifications/outbox.html"
    return render(request, template, {"entries": entries})


def _announcement_form(scope, data=None):
    classrooms = tenant_queries.list_classrooms_for_scope(scope)
    choices = {"classroom_ids": [(c.id, f"{c.school.name} · {c.name}") for c in classrooms]}
    types = ["classrooms", "guardians"]
    if not scope.is_classroom_level:
        choices["school_ids"] = [
            (s.id, s.name) for s in tenant_queries.list_schools_for_scope(scope)
        ]
        groups = Group.objects.filter(district_id=scope.district.id)  # scope-exempt: filtered here
        if scope.school is not None:
            groups = groups.filter(school_id=scope.school.id)
        choices["group_ids"] = [(g.id, g.name) for g in groups]
        types += ["schools", "groups"]
    if scope.is_district_wide:
        types.append("district")
    families = queries.list_families_for_scope(scope)[:FAMILY_PICKER_LIMIT]
    choices["guardian_ids"] = [(u.id, u.get_full_name() or u.email or u.phone) for u in families]
    return AnnouncementForm(data, choices=choices, audience_types=types)


@scoped_view({"GET": Cap.MESSAGE_SEND, "POST": Cap.MESSAGE_SEND})
def compose(request, scope):
    """Compose an announcement; the reach preview updates as the audience changes (htmx)."""
    form = _announcement_form(scope, request.POST if request.method == "POST" else None)
    if request.method == "GET":
        # A dashboard's "send these families a message" link picks the audience.
        form.initial = {
            "audience_type": request.GET.get("audience_type", ""),
            "guardian_ids": request.GET.getlist("guardian_ids"),
        }
    if request.method == "POST" and form.is_valid():
        try:
            message = actions.do_send_announcement(
                scope,
                audience=form.audience(),
                content=form.content(),
                channels=form.cleaned_data["channels"],
                is_urgent=form.cleaned_data["is_urgent"],
                scheduled_for=form.cleaned_data["scheduled_for"],
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            flash.success(request, _("Your message is on its way."))
            return redirect("notifications:message_detail", message_id=message.id)
    return render(request, "notifications/compose.html", {"form": form})


@scoped_view({"POST": Cap.MESSAGE_SEND})
def reach(request, scope):
    """How many families each channel will reach (htmx partial, nothing written)."""
    form = _announcement_form(scope, request.POST)
    form.is_valid()
    reach = None
    if "audience_type" in form.cleaned_data and form.cleaned_data.get("channels"):
        from notifications.audiences import check_audience_in_scope

        audience = form.audience()
        check_audience_in_scope(scope, audience)
        reach = queries.get_audience_reach(
            scope.district.id, audience, form.cleaned_data["channels"]
        )
    return render(request, "notifications/_reach.html", {"reach": reach})


@scoped_view(Cap.MESSAGE_SEND)
def message_list(request, scope):
    return render(
        request,
        "notifications/message_list.html",
        {"messages_sent": queries.list_messages_for_scope(scope)[:100]},
    )


@scoped_view(Cap.MESSAGE_SEND)
def message_detail(request, scope, message_id: int):
    """One message's delivery report: counts per channel and the families not reached."""
    message = queries.access_message(scope, message_id)
    return render(
        request,
        "notifications/message_detail.html",
        {
            "message": message,
            "text": message.text_for(message.default_language),
            "report": queries.get_delivery_report(message),
            "unreachable": queries.list_unreachable_for_message(message),
        },
    )


@scoped_view(Cap.MESSAGE_READ)
def inbox(request, scope):
    return render(
        request, "notifications/inbox.html", {"inbox": queries.list_inbox_for_user(scope.user)[:50]}
    )


@scoped_view(Cap.MESSAGE_READ)
def inbox_message(request, scope, message_id: int):
    message = queries.access_inbox_message(scope.user, message_id)
    language = scope.user.preferred_language or message.default_language
    return render(
        request,
        "notifications/inbox_message.html",
        {"message": message, "text": message.text_for(language)},
    )


@scoped_view({"GET": Cap.ACCOUNT_SELF, "POST": Cap.ACCOUNT_SELF})
def preferences(request, scope):
    """A family's channels, per-kind modes, quiet hours, daily cap and language."""
    current = queries.get_preferences(scope.user)
    initial = {
        "channels": current.channels,
        "language": scope.user.preferred_language,
        "quiet_start": current.quiet_start,
        "quiet_end": current.quiet_end,
        "daily_cap": current.daily_cap,
        **{f"mode_{kind}": current.mode_for(kind) for kind in current.modes or {}},
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    for name, field in form.fields.items():
        if name.startswith("mode_") and name not in initial:
            field.initial = NotificationPreference.Mode.INSTANT
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.do_update_preferences(
            scope.user,
            channels=data["channels"],
            modes=form.modes(),
            quiet_start=data["quiet_start"],
            quiet_end=data["quiet_end"],
            daily_cap=data["daily_cap"],
            language=data["language"],
            actor=Actor.from_request(request),
        )
        flash.success(request, _("Your choices are saved."))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "sms_stopped": queries.is_suppressed(Channel.SMS, scope.user.phone),
        },
    )

"""The incident register (PROMISES S2): platform operators' pages (/privacy/incidents/) to record
a breach, follow its 48- and 72-hour clocks and give each district its notice; and the district
admins' read-only page of the incidents their district was told of (/privacy/district/incidents/).
"""

import datetime
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy import incidents
from privacy.audit import Actor
from privacy.models import Incident, IncidentDistrict
from tenants.actions import ActionError
from tenants.api_permissions import has_totp
from tenants.middleware import MFA_OK_SESSION_KEY
from tenants.models import District
from tenants.roles import Cap
from tenants.views_base import public_view, scoped_view

# Operators act for the platform, not in a district: their pages show and take times in UTC.
OPERATOR_TIME_ZONE = datetime.UTC


def operator_view(methods: tuple[str, ...] = ("GET",)):
    """A page for platform operators (User.is_staff), outside any tenant's scope.

    Operators hold no membership, so there is no capability to declare: the view is marked
    public for engage.E003 and guarded here instead (as notifications.views.outbox is). They
    must have set up two-factor (a TOTP authenticator, asked for at every sign-in), like the
    admins of a district; until then they are sent to set it up.
    """
    allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_staff or not user.is_active:
                raise PermissionDenied
            if request.method not in allowed:
                return HttpResponseNotAllowed(sorted(allowed))
            if request.session.get(MFA_OK_SESSION_KEY) != user.id:
                if not has_totp(user):
                    return redirect("mfa_activate_totp")
                request.session[MFA_OK_SESSION_KEY] = user.id
            with timezone.override(OPERATOR_TIME_ZONE):
                return view(request, *args, **kwargs)

        return public_view(wrapper)

    return decorator


# --- Forms --------------------------------------------------------------------------------------

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class IncidentForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Short title"),
        max_length=200,
        help_text=gettext_lazy("For the register; districts do not see it."),
    )
    description = forms.CharField(
        label=gettext_lazy("What happened"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("In plain words: every affected district receives this text."),
    )
    discovered_at = forms.DateTimeField(
        label=gettext_lazy("Discovered (UTC)"), widget=DATETIME_WIDGET
    )
    confirmed_at = forms.DateTimeField(
        label=gettext_lazy("Confirmed (UTC)"),
        widget=DATETIME_WIDGET,
        help_text=gettext_lazy("The 48- and 72-hour clocks start here."),
    )
    breach_date_kind = forms.ChoiceField(
        label=gettext_lazy("When the breach happened"),
        choices=Incident.BreachDate.choices,
        widget=forms.RadioSelect,
    )
    breach_started_on = forms.DateField(
        label=gettext_lazy("Date (or first day of the range)"), required=False, widget=DATE_WIDGET
    )
    breach_ended_on = forms.DateField(
        label=gettext_lazy("Last day of the range"), required=False, widget=DATE_WIDGET
    )
    information_types = forms.MultipleChoiceField(
        label=gettext_lazy("Types of personal information involved"),
        choices=list(incidents.INFORMATION_TYPES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_information = forms.CharField(
        label=gettext_lazy("Other types of information"), max_length=300, required=False
    )
    is_delayed_for_law_enforcement = forms.BooleanField(
        label=gettext_lazy("Notification was delayed at the request of law enforcement"),
        required=False,
    )
    law_enforcement_details = forms.CharField(
        label=gettext_lazy("Why, and until when"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Incident.Status.choices)
    districts = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Affected districts"),
        queryset=District.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def initial_for(cls, incident: Incident) -> dict:
        initial = {name: getattr(incident, name) for name in cls.base_fields if name != "districts"}
        initial["districts"] = [a.district_id for a in incident.affected.all()]
        return initial

    def details(self) -> incidents.IncidentDetails:
        data = {k: v for k, v in self.cleaned_data.items() if k != "districts"}
        return incidents.IncidentDetails(**data)


class ContactForm(forms.Form):
    contact_name = forms.CharField(
        label=gettext_lazy("Contact name"), max_length=200, required=False
    )
    contact_email = forms.EmailField(label=gettext_lazy("Contact email"), required=False)


class SentForm(forms.Form):
    sent_at = forms.DateTimeField(
        label=gettext_lazy("Sent at (UTC)"), required=False, widget=DATETIME_WIDGET
    )
    reference = forms.CharField(
        label=gettext_lazy("Authority and case number"), max_length=200, required=False
    )


# --- Operators ----------------------------------------------------------------------------------


@operator_view()
def register(request):
    """Every incident with its clocks: the districts' 48 hours and the authority's 72."""
    return render(request, "privacy/incidents/register.html", {"rows": incidents.list_register()})


@operator_view(("GET", "POST"))
def incident_new(request):
    form = IncidentForm(request.POST or None, initial={"status": Incident.Status.INVESTIGATING})
    if request.method == "POST" and form.is_valid():
        try:
            incident = incidents.do_record_incident(
                form.details(),
                districts=list(form.cleaned_data["districts"]),
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The incident is in the register; its clocks are running."))
            return redirect("privacy:incident_detail", incident_id=incident.id)
    return render(request, "privacy/incidents/form.html", {"form": form, "incident": None})


@operator_view(("GET", "POST"))
def incident_edit(request, incident_id: int):
    incident = incidents.access_incident(incident_id)
    form = IncidentForm(request.POST or None, initial=IncidentForm.initial_for(incident))
    if request.method == "POST" and form.is_valid():
        try:
            incidents.do_update_incident(
                incident,
                form.details(),
                districts=list(form.cleaned_data["districts"]),
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The incident is updated."))
            return redirect("privacy:incident_detail", incident_id=incident.id)
    return render(request, "privacy/incidents/form.html", {"form": form, "incident": incident})


@operator_view()
def incident_detail(request, incident_id: int):
    """One incident: its details, each district's contact and notice, the authority's notice."""
    incident = incidents.access_incident(incident_id)
    now = timezone.now()
    affected = [
        (
            a,
            incidents.district_clock(a, now),
            ContactForm(initial=_contact(a), auto_id=f"contact-{a.district_id}-%s"),
        )
        for a in incident.affected.all()
    ]
    return render(
        request,
        "privacy/incidents/detail.html",
        {
            "incident": incident,
            "affected": affected,
            "authority": incidents.authority_clock(incident, now),
            "information_types": incidents.get_notice_types(incident),
            "breach_date": incidents.describe_breach_date(incident),
            "sent_form": SentForm(),
        },
    )


def _contact(affected: IncidentDistrict) -> dict:
    return {"contact_name": affected.contact_name, "contact_email": affected.contact_email}


@operator_view()
def notice(request, incident_id: int, district_id: int):
    """The notice for one affected district, to print (or to read before sending)."""
    affected = incidents.access_affected_district(
        incidents.access_incident(incident_id), district_id
    )
    with timezone.override(affected.district.timezone):
        return render(
            request,
            "privacy/incidents/notice.html",
            {
                "affected": affected,
                "notice": incidents.get_notice(affected),
                "is_operator": True,
            },
        )


@operator_view()
def notice_text(request, incident_id: int, district_id: int):
    """The same notice as plain text, to paste into an email."""
    affected = incidents.access_affected_district(
        incidents.access_incident(incident_id), district_id
    )
    text = f"{incidents.notice_subject(affected)}\n\n{incidents.render_notice_text(affected)}\n"
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@operator_view(("POST",))
def send_notice(request, incident_id: int, district_id: int):
    """Email the notice to the district's admins now, and record it as sent."""
    affected = incidents.access_affected_district(
        incidents.access_incident(incident_id), district_id
    )
    try:
        incidents.do_send_district_notice(affected, actor=Actor.from_request(request))
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The notice is on its way to the admins of %(district)s.")
            % {"district": affected.district.name},
        )
    return redirect("privacy:incident_detail", incident_id=incident_id)


@operator_view(("POST",))
def record_notice(request, incident_id: int, district_id: int):
    """Record a notice given another way (printed, by phone, from the operator's mailbox)."""
    affected = incidents.access_affected_district(
        incidents.access_incident(incident_id), district_id
    )
    form = SentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the time the notice was sent, or leave it empty for now."))
        return redirect("privacy:incident_detail", incident_id=incident_id)
    try:
        incidents.do_record_district_notice(
            affected, sent_at=form.cleaned_data["sent_at"], actor=Actor.from_request(request)
        )
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The notice to %(district)s is recorded as sent.")
            % {"district": affected.district.name},
        )
    return redirect("privacy:incident_detail", incident_id=incident_id)


@operator_view(("POST",))
def set_contact(request, incident_id: int, district_id: int):
    affected = incidents.access_affected_district(
        incidents.access_incident(incident_id), district_id
    )
    form = ContactForm(request.POST)
    if form.is_valid():
        incidents.do_set_incident_contact(
            affected, **form.cleaned_data, actor=Actor.from_request(request)
        )
        messages.success(request, _("The contact is saved."))
    else:
        messages.error(request, _("Enter a valid email address."))
    return redirect("privacy:incident_detail", incident_id=incident_id)


@operator_view(("POST",))
def record_authority(request, incident_id: int):
    """Record that the authority was told (the 72-hour clock)."""
    incident = incidents.access_incident(incident_id)
    form = SentForm(request.POST)
    try:
        if not form.is_valid():
            raise ActionError(_("Give the time the notice was sent, or leave it empty for now."))
        incidents.do_record_authority_notice(
            incident,
            reference=form.cleaned_data["reference"],
            sent_at=form.cleaned_data["sent_at"],
            actor=Actor.from_request(request),
        )
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The authority's notice is recorded."))
    return redirect("privacy:incident_detail", incident_id=incident_id)


# --- District admins ----------------------------------------------------------------------------


@scoped_view(Cap.PRIVACY_ADMIN)
def district_incidents(request, scope):
    """The incidents the district was told of (district admins only)."""
    if not scope.is_district_wide:
        raise Http404
    return render(
        request,
        "privacy/incidents/district_list.html",
        {"rows": incidents.list_incidents_for_scope(scope)},
    )


@scoped_view(Cap.PRIVACY_ADMIN)
def district_incident(request, scope, incident_id: int):
    """The notice the district received, to read or print."""
    if not scope.is_district_wide:
        raise Http404
    affected = incidents.access_district_incident(scope, incident_id)
    return render(
        request,
        "privacy/incidents/notice.html",
        {"affected": affected, "notice": incidents.get_notice(affected), "is_operator": False},
    )

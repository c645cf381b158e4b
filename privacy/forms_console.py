"""Forms of the privacy console. They parse and explain; the actions decide (and check again)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.inventory import window_text
from privacy.models import PrivacyRequest
from privacy.policy import WINDOWS, Unit

Status = PrivacyRequest.Status

UNIT_NAMES = {
    Unit.DAYS: _("days"),
    Unit.BUSINESS_DAYS: _("business days"),
    Unit.MONTHS: _("months"),
}
ALL = "all"


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[*Status.choices, (ALL, _("Any status"))],
    )
    kind = forms.ChoiceField(
        label=_("Kind of request"),
        required=False,
        choices=[("", _("Every kind")), *PrivacyRequest.Kind.choices],
    )

    def filters(self) -> dict:
        """{status, kind} for list_requests_for_scope: open requests unless asked otherwise."""
        data = self.cleaned_data if self.is_valid() else {}
        status = data.get("status") or Status.OPEN
        return {"status": None if status == ALL else status, "kind": data.get("kind") or None}


class AnswerRequestForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Answer"),
        widget=forms.RadioSelect,
        choices=[
            (Status.DONE, _("Done: say what was changed or sent")),
            (Status.DECLINED, _("Declined: say why")),
        ],
    )
    response = forms.CharField(
        label=_("Your answer to the family"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
        help_text=_("The family reads this. Do not include anyone else's details."),
    )

    def __init__(self, *args, can_be_done: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_be_done:
            self.fields["status"].choices = [(Status.DECLINED, _("Declined: say why"))]
            self.fields["status"].initial = Status.DECLINED

    def clean(self):
        data = super().clean()
        if not (data.get("response") or "").strip():
            if data.get("status") == Status.DECLINED:
                self.add_error("response", _("Say why the request is declined."))
            elif data.get("status") == Status.DONE:
                self.add_error("response", _("Say what was changed or sent."))
        return data


class PolicySettingsForm(forms.Form):
    """One whole-number field per policy window (privacy.policy.WINDOWS).

    For a district (`parent` None) every field is required and bounded by the platform's legal
    bounds. For a school (`parent`: its district's effective values) a field left empty follows
    the district, and a value may only tighten the district's."""

    def __init__(self, *args, parent: dict[str, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent = parent
        for window in WINDOWS:
            help_parts = [
                _("Default: %(value)s.") % {"value": window_text(window.unit, window.default)},
                _("Allowed: %(minimum)s to %(maximum)s.")
                % {
                    "minimum": window.minimum,
                    "maximum": window_text(window.unit, window.maximum),
                },
                _("Promise %(code)s.") % {"code": window.promise},
            ]
            if parent is not None:
                help_parts.insert(
                    0,
                    _("District: %(value)s; leave empty to follow it.")
                    % {"value": window_text(window.unit, parent[window.name])},
                )
            self.fields[window.name] = forms.IntegerField(
                label=f"{window.label} ({UNIT_NAMES[window.unit]})",
                min_value=window.minimum,
                max_value=window.maximum,
                required=parent is None,
                help_text=" ".join(str(part) for part in help_parts),
            )

    def clean(self):
        data = super().clean()
        if self.parent is None:
            return data
        for window in WINDOWS:
            value = data.get(window.name)
            if value is not None and window.is_looser(value, self.parent[window.name]):
                limit = window_text(window.unit, self.parent[window.name])
                if window.is_longer_tighter:
                    message = _("A school may only give more notice than the district's %(v)s.")
                else:
                    message = _("A school may only keep data for less than the district's %(v)s.")
                self.add_error(window.name, message % {"v": limit})
        return data

    def values(self) -> dict[str, int | None]:
        return {window.name: self.cleaned_data.get(window.name) for window in WINDOWS}


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action starts with"),
        required=False,
        max_length=80,
        help_text=_('For example "privacy_request" or "child.deleted".'),
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end date is before the start date."))
        return data

    def filters(self) -> dict:
        """{action, start, end} for list_audit_events_for_scope: dates are whole days in the
        current time zone (the end day included). An invalid filter is not applied."""
        if not self.is_valid():
            return {"action": "", "start": None, "end": None}
        data = self.cleaned_data
        return {
            "action": data.get("action", "").strip(),
            "start": _start_of(data["start"]) if data.get("start") else None,
            "end": _start_of(data["end"] + datetime.timedelta(days=1)) if data.get("end") else None,
        }


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import PREFERENCE_KINDS, Channel, Kind, NotificationPreference
from tenants.models import LANGUAGE_CHOICES

AUDIENCE_CHOICES = [
    ("classrooms", _("Classrooms")),
    ("schools", _("Whole school")),
    ("district", _("Whole district")),
    ("groups", _("Groups")),
    ("guardians", _("Hand-picked families")),
]


class AnnouncementForm(forms.Form):
    audience_type = forms.ChoiceField(label=_("Send to"), choices=AUDIENCE_CHOICES)
    classroom_ids = forms.TypedMultipleChoiceField(
        label=_("Classrooms"), coerce=int, required=False
    )
    school_ids = forms.TypedMultipleChoiceField(label=_("Schools"), coerce=int, required=False)
    group_ids = forms.TypedMultipleChoiceField(label=_("Groups"), coerce=int, required=False)
    guardian_ids = forms.TypedMultipleChoiceField(label=_("Families"), coerce=int, required=False)
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Channel.SMS, Channel.EMAIL],
    )
    subject = forms.CharField(label=_("Subject"), max_length=120)
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=1500
    )
    subject_es = forms.CharField(
        label=_("Subject (Spanish, optional)"), max_length=120, required=False
    )
    body_es = forms.CharField(
        label=_("Message (Spanish, optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=1500,
    )
    is_urgent = forms.BooleanField(
        label=_("Urgent: send now, even in quiet hours and past families' limits"), required=False
    )
    scheduled_for = forms.DateTimeField(
        label=_("Send later (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, choices: dict, audience_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for name, options in choices.items():
            self.fields[name].choices = options
        self.fields["audience_type"].choices = [
            (value, label) for value, label in AUDIENCE_CHOICES if value in audience_types
        ]

    def audience(self) -> dict:
        kind = self.cleaned_data["audience_type"]
        field = {
            "classrooms": "classroom_ids",
            "schools": "school_ids",
            "groups": "group_ids",
            "guardians": "guardian_ids",
        }.get(kind)
        return (
            {"type": kind, "ids": sorted(self.cleaned_data.get(field) or [])}
            if field
            else {"type": kind}
        )

    def content(self) -> dict:
        data = self.cleaned_data
        content = {"en": {"subject": data["subject"], "body": data["body"]}}
        if data.get("body_es"):
            content["es"] = {
                "subject": data.get("subject_es") or data["subject"],
                "body": data["body_es"],
            }
        return content


class PreferencesForm(forms.Form):
    channels = forms.ChoiceField(
        label=_("How should school reach you?"),
        choices=NotificationPreference.Channels.choices,
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    quiet_start = forms.TimeField(
        label=_("Quiet hours start"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours end"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    daily_cap = forms.IntegerField(
        label=_("At most this many messages a day (the rest come in one digest)"),
        min_value=1,
        max_value=20,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in PREFERENCE_KINDS:
            self.fields[f"mode_{kind}"] = forms.ChoiceField(
                label=Kind(kind).label,
                choices=NotificationPreference.Mode.choices,
                widget=forms.RadioSelect,
            )

    def modes(self) -> dict:
        return {kind.value: self.cleaned_data[f"mode_{kind}"] for kind in PREFERENCE_KINDS}

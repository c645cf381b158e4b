from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import LANGUAGE_CHOICES


class GrantRoleForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the person"))
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        required=False,
        help_text=_("Needed only for someone who has no Engage account yet."),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        help_text=_("Needed only for someone who has no Engage account yet."),
    )
    role = forms.ChoiceField(label=_("Role"))
    classroom_id = forms.TypedChoiceField(
        label=_("Classroom (teachers)"), coerce=int, required=False, empty_value=None
    )
    school_id = forms.TypedChoiceField(
        label=_("School"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, role_choices, classroom_choices, school_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices
        self.fields["classroom_id"].choices = [("", "—"), *classroom_choices]
        self.fields["school_id"].choices = [("", "—"), *school_choices]


class PreferencesForm(forms.Form):
    preferred_language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)


class StaffNameForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)

"""Forms of the privacy pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

# --- the family's own privacy page (/privacy/me/) --------------------------------------------


class FamilyConsentForm(forms.Form):
    """The optional opt-ins (C3, C4), changeable at any time. The policy box shows only to a
    person who has not agreed to the policy in force (a new version since they joined)."""

    is_policy_accepted = forms.BooleanField(
        label=_("I have read the privacy policy and agree to it."), required=True
    )
    photo_promotion = forms.BooleanField(
        label=_(
            "The school may use photos and comments I share in its newsletters, website or social "
            "media."
        ),
        required=False,
    )
    non_essential = forms.BooleanField(
        label=_("Send me optional news and event messages, not only school essentials."),
        required=False,
    )

    def __init__(self, *args, needs_policy: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_policy:
            del self.fields["is_policy_accepted"]


class CorrectionForm(forms.Form):
    """A correction request (R14) for one of the schools of the family's children. The school's
    choices are the family's own; the view answers 404 for any other id, before validation."""

    school = forms.TypedChoiceField(label=_("Which school should correct it?"), coerce=int)
    details = forms.CharField(
        label=_("What is wrong, and what should it say?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For example: my daughter's name is spelled Mía, not Mia."),
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [(school.id, school.name) for school in schools]

"""Forms of the people-management pages (/people/). They parse input; the actions decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from guardians.models import GuardianLink
from tenants.models import LANGUAGE_CHOICES
from tenants.phones import InvalidPhoneNumber, normalise_phone

PHONE_HELP = _("A mobile number, e.g. (312) 555-0142 or +44 7700 900123.")


def _classroom_choices(classrooms) -> list[tuple[int, str]]:
    """ "School · Room" for district-wide lists, the room alone within one school."""
    schools = {c.school_id for c in classrooms}
    if len(schools) > 1:
        return [(c.id, f"{c.school.name} · {c.name}") for c in classrooms]
    return [(c.id, c.name) for c in classrooms]


class ClassroomChoiceMixin:
    """A `classroom_id` field whose choices are the given classrooms (the scope's, this year)."""

    def set_classrooms(self, classrooms, *, empty_label=None) -> None:
        self.classrooms = {c.id: c for c in classrooms}
        choices = _classroom_choices(classrooms)
        if empty_label is not None:
            choices = [("", empty_label), *choices]
        self.fields["classroom_id"].choices = choices

    def chosen_classroom(self):
        return self.classrooms.get(self.cleaned_data.get("classroom_id"))


def _clean_phone(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return normalise_phone(value)
    except InvalidPhoneNumber as error:
        raise forms.ValidationError(
            _("That mobile number is not valid. Include the area code, e.g. (312) 555-0142.")
        ) from error


class ChildSearchForm(ClassroomChoiceMixin, forms.Form):
    q = forms.CharField(label=_("Name or pupil number"), required=False, max_length=100)
    classroom_id = forms.TypedChoiceField(
        label=_("Classroom"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, classrooms, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_classrooms(classrooms, empty_label=_("All classrooms"))


class GuardianSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, email or mobile"), required=False, max_length=100)


class ChildForm(ClassroomChoiceMixin, forms.Form):
    """A child's record; with `classrooms`, also the classroom a new child joins."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    preferred_name = forms.CharField(
        label=_("Preferred name"),
        max_length=150,
        required=False,
        help_text=_("What the child is called day to day, if not their first name."),
    )
    grade_level = forms.CharField(label=_("Grade"), max_length=8, required=False)
    pupil_number = forms.CharField(label=_("Pupil number"), max_length=64, required=False)
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional. Used only to check a parent's identity when they join."),
    )
    is_disadvantaged = forms.NullBooleanField(
        label=_("Disadvantaged (pupil premium or free school meals)"),
        required=False,
        widget=forms.NullBooleanSelect,
        help_text=_(
            "As the district records it. Kept encrypted; used only to count how engagement "
            "differs between groups, never shown to teachers or families."
        ),
    )
    classroom_id = forms.TypedChoiceField(label=_("Classroom"), coerce=int)

    def __init__(self, *args, classrooms=None, **kwargs):
        super().__init__(*args, **kwargs)
        if classrooms is None:
            del self.fields["classroom_id"]
        else:
            self.set_classrooms(classrooms)


class MoveChildForm(ClassroomChoiceMixin, forms.Form):
    classroom_id = forms.TypedChoiceField(label=_("New classroom"), coerce=int)

    def __init__(self, *args, classrooms, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_classrooms(classrooms)


class LinkFields(forms.Form):
    relationship = forms.ChoiceField(
        label=_("Relationship to the child"), choices=GuardianLink.Relationship.choices
    )
    contact_role = forms.ChoiceField(
        label=_("Contact role"), choices=GuardianLink.ContactRole.choices
    )
    no_access = forms.BooleanField(
        label=_("No access (custody restriction)"),
        required=False,
        help_text=_(
            "This guardian sees nothing of the child; the link is kept so the school knows."
        ),
    )


class GuardianContactFields(forms.Form):
    email = forms.EmailField(label=_("Email address"), required=False)
    phone = forms.CharField(label=_("Mobile number"), required=False, help_text=PHONE_HELP)

    def clean_phone(self):
        return _clean_phone(self.cleaned_data.get("phone"))

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("Give an email address or a mobile number (or both)."))
        return data


class LinkGuardianForm(GuardianContactFields, LinkFields):
    """Link someone to a child: the person who has this email / mobile, or a new person."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        required=False,
        help_text=_("Needed only for someone new to Engage."),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        help_text=_("Needed only for someone new to Engage."),
    )
    preferred_language = forms.ChoiceField(
        label=_("Language for messages"), choices=LANGUAGE_CHOICES, initial="en"
    )

    field_order = [
        "email",
        "phone",
        "first_name",
        "last_name",
        "preferred_language",
        "relationship",
        "contact_role",
        "no_access",
    ]


class LinkForm(LinkFields):
    """Edit an existing link."""


class GuardianForm(GuardianContactFields):
    """Staff correct a guardian's details. A verified contact shows as such (read-only)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    preferred_language = forms.ChoiceField(
        label=_("Language for messages"), choices=LANGUAGE_CHOICES
    )

    field_order = ["first_name", "last_name", "email", "phone", "preferred_language"]

    def __init__(self, *args, guardian, **kwargs):
        super().__init__(*args, **kwargs)
        for name, verified in (
            ("email", guardian.email_verified),
            ("phone", guardian.phone_verified),
        ):
            if verified:
                field = self.fields[name]
                field.widget.attrs["readonly"] = True
                field.help_text = _("Confirmed by the guardian: only they can change it.")

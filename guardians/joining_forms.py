"""Forms of the joining pages (a phone screen: few fields, the right keyboards, no placeholders)."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guardians.models import GuardianLink
from notifications.models import Channel
from tenants.phones import InvalidPhoneNumber, normalise_phone


def _text(label, max_length=150, required=True, autocomplete=None):
    attrs = {"autocomplete": autocomplete} if autocomplete else {}
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.TextInput(attrs=attrs)
    )


class ContactField(forms.CharField):
    """A mobile number or an email address in one field; cleans to (channel, address)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Your mobile number or email address"))
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "username"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        if "@" in value:
            try:
                validate_email(value)
            except ValidationError as error:
                raise ValidationError(_("Enter a valid email address."), code="email") from error
            return Channel.EMAIL, value.lower()
        try:
            return Channel.SMS, normalise_phone(value)
        except InvalidPhoneNumber as error:
            raise ValidationError(
                _("Enter a valid mobile number or email address."), code="contact"
            ) from error


class BirthDateField(forms.DateField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)

    def clean(self, value):
        date = super().clean(value)
        if date and not (timezone.localdate().year - 25 <= date.year <= timezone.localdate().year):
            raise ValidationError(_("Check the date of birth."), code="birth_date")
        return date


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


class ChannelForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)


class ConsentForm(forms.Form):
    is_policy_accepted = forms.BooleanField(
        label=_("I have read the privacy policy and agree to it."), required=True
    )
    photo_promotion = forms.BooleanField(
        label=_(
            "The school may use photos and comments I share in its newsletters, website or social "
            "media (optional)."
        ),
        required=False,
    )
    non_essential = forms.BooleanField(
        label=_("Send me optional news and event messages, not only school essentials (optional)."),
        required=False,
    )


RELATIONSHIP_CHOICES = [("", _("Prefer not to say")), *GuardianLink.Relationship.choices]


class ProfileForm(forms.Form):
    relationship = forms.ChoiceField(
        label=_("Your relationship to the child"), choices=RELATIONSHIP_CHOICES, required=False
    )
    children_grades = _text(_("Your children's grades (optional)"), max_length=100, required=False)
    children_at_school = forms.IntegerField(
        label=_("How many of your children go to this school? (optional)"),
        min_value=1,
        max_value=20,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    ethnicity = _text(_("Ethnicity (optional)"), max_length=100, required=False)


class RegisterForm(forms.Form):
    first_name = _text(_("Your first name"), autocomplete="given-name")
    last_name = _text(_("Your last name"), autocomplete="family-name")
    child_first_name = _text(_("Your child's first name"), autocomplete="off")
    child_last_name = _text(_("Your child's last name"), autocomplete="off")
    child_birth_date = BirthDateField(label=_("Your child's date of birth"))
    contact = ContactField(help_text=_("The one the school has for you."))


class JoinCodeEntryForm(forms.Form):
    code = forms.CharField(
        label=_("Join code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )


class JoinRequestForm(forms.Form):
    first_name = _text(_("Your first name"), autocomplete="given-name")
    last_name = _text(_("Your last name"), autocomplete="family-name")
    contact = ContactField()
    relationship = forms.ChoiceField(
        label=_("Your relationship to the child"),
        choices=GuardianLink.Relationship.choices,
        initial=GuardianLink.Relationship.PARENT,
    )
    child_first_name = _text(_("Your child's first name"), autocomplete="off")
    child_last_name = _text(_("Your child's last name"), autocomplete="off")
    child_birth_date = BirthDateField(
        label=_("Your child's date of birth (optional)"), required=False
    )


class InviteForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=_("Send by"),
        choices=Channel.choices,
        initial=[Channel.SMS, Channel.EMAIL],
        widget=forms.CheckboxSelectMultiple,
    )


class ApproveForm(forms.Form):
    """`child` is a roster child's id, or "new" to add the child as the family typed them."""

    child = forms.CharField(max_length=20)

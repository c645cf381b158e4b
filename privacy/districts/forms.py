"""The district admin's deletion request form: what to delete, confirmed by typing its name."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import District, School

WHOLE_DISTRICT = "district"


class DeletionRequestForm(forms.Form):
    target = forms.ChoiceField(label=_("What to delete"), widget=forms.RadioSelect)
    confirm = forms.CharField(
        label=_("Type its name to confirm"),
        max_length=200,
        help_text=_("The school's name, or the district's name to delete all of its data."),
    )

    def __init__(self, data=None, *, district: District, schools: list[School]):
        super().__init__(data)
        self.district = district
        self.schools = {str(school.id): school for school in schools}
        self.fields["target"].choices = [(str(school.id), school.name) for school in schools] + [
            (WHOLE_DISTRICT, _("All data of %(district)s") % {"district": district.name})
        ]

    def clean(self):
        cleaned = super().clean()
        target, typed = cleaned.get("target"), cleaned.get("confirm", "")
        if target is None:
            return cleaned
        school = self.schools.get(target)
        expected = school.name if school else self.district.name
        if typed.strip().casefold() != expected.strip().casefold():
            self.add_error("confirm", _("Type exactly “%(name)s” to confirm.") % {"name": expected})
        cleaned["school"] = school
        return cleaned

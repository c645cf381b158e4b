"""The district's privacy policy versions (PROMISES S4): list them with how many families agreed
to the one in force, read one, publish a new one (district admins only)."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy import versions
from privacy.audit import Actor
from privacy.queries import get_policy_in_force
from tenants.actions import ActionError
from tenants.roles import Cap
from tenants.views_base import scoped_view

MATERIAL_CHOICES = [
    (
        "yes",
        gettext_lazy(
            "Material: families must agree again once it takes effect (30 days' notice at least)"
        ),
    ),
    ("no", gettext_lazy("Not material: families are shown what changed, once")),
]


class PublishForm(forms.Form):
    version = forms.CharField(
        label=gettext_lazy("Version"),
        max_length=40,
        help_text=gettext_lazy("A name families can quote, such as 2027-01."),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    summary = forms.CharField(
        label=gettext_lazy("The policy in short"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Shown to families when they agree to it."),
    )
    changes_summary = forms.CharField(
        label=gettext_lazy("What changed, in plain words"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    url = forms.URLField(
        label=gettext_lazy("Link to the full policy"),
        required=False,
        help_text=gettext_lazy("Leave empty to use Engage's policy page."),
    )
    is_material = forms.ChoiceField(
        label=gettext_lazy("Kind of change"), choices=MATERIAL_CHOICES, widget=forms.RadioSelect
    )
    effective_on = forms.DateField(
        label=gettext_lazy("Takes effect on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _district_admin_only(scope) -> None:
    if not scope.is_district_wide:
        raise Http404


@scoped_view(Cap.PRIVACY_ADMIN)
def version_list(request, scope):
    """Every version (in force, scheduled, replaced) and the families' agreement so far."""
    _district_admin_only(scope)
    all_versions = versions.list_versions_for_scope(scope)
    in_force, _material = versions.in_force_among(all_versions)
    rows = [(v, versions.get_version_state(v, in_force)) for v in all_versions]
    return render(
        request,
        "privacy/versions/list.html",
        {
            "rows": rows,
            "in_force": in_force,
            "counts": versions.get_consent_counts(scope.district, all_versions),
            "notice_days": versions.MATERIAL_NOTICE_DAYS,
        },
    )


@scoped_view(Cap.PRIVACY_ADMIN)
def version_detail(request, scope, version_id: int):
    _district_admin_only(scope)
    version = versions.access_policy_version(scope, version_id)
    state = versions.get_version_state(version, get_policy_in_force(scope.district))
    return render(request, "privacy/versions/detail.html", {"version": version, "state": state})


@scoped_view({"GET": Cap.PRIVACY_ADMIN, "POST": Cap.PRIVACY_ADMIN})
def version_new(request, scope):
    """Publish a version; a material one tells the district's admins at once."""
    _district_admin_only(scope)
    earliest = versions.earliest_effective_day(scope.district, is_material=True)
    form = PublishForm(request.POST or None, initial={"effective_on": earliest})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = versions.do_publish_policy_version(
                scope.district,
                version=data["version"],
                title=data["title"],
                summary=data["summary"],
                changes_summary=data["changes_summary"],
                url=data["url"],
                effective_on=data["effective_on"],
                is_material=data["is_material"] == "yes",
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _published_message(version))
            return redirect("privacy:district_version", version_id=version.id)
    return render(
        request,
        "privacy/versions/form.html",
        {"form": form, "notice_days": versions.MATERIAL_NOTICE_DAYS, "earliest": earliest},
    )


def _published_message(version) -> str:
    if version.is_material:
        return _(
            "Version %(version)s is published. The district's admins were told; families are "
            "asked to agree again from the day it takes effect."
        ) % {"version": version.version}
    return _(
        "Version %(version)s is published. Families are shown what changed once it takes effect."
    ) % {"version": version.version}

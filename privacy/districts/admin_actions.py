"""The Django admin's action on districts: record the end of their contract (PROMISES R8).

Operators (is_staff) choose districts, then a date on a confirmation page; each district goes
through `do_terminate_district`, as with `manage.py terminate_district`.
"""

import datetime
import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy.audit import Actor
from privacy.districts.contract import do_terminate_district
from tenants.actions import ActionError


class ContractEndForm(forms.Form):
    ended_on = forms.DateField(
        label=gettext_lazy("The contract ends on (in each district's time zone)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@admin.action(description=gettext_lazy("Record the end of the contract"), permissions=["change"])
def record_contract_end(modeladmin, request, queryset):
    form = ContractEndForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        day = form.cleaned_data["ended_on"]
        for district in queryset:
            ended_at = datetime.datetime.combine(
                day, datetime.time(), tzinfo=zoneinfo.ZoneInfo(district.timezone)
            )
            try:
                do_terminate_district(
                    district, ended_at=ended_at, actor=Actor.from_request(request)
                )
            except ActionError as error:
                modeladmin.message_user(request, str(error), messages.ERROR)
            else:
                modeladmin.message_user(
                    request, _("%(district)s: the contract ends.") % {"district": district.name}
                )
        return None
    return TemplateResponse(
        request,
        "privacy/districts/admin_contract_end.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Record the end of the contract"),
            "districts": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )

"""A district's own data (/privacy/district/): deletion requests for a school or the whole
district with their printable certificates (R7), and the contract's status once it ends (R8,
R9). District-wide privacy admins only: a school admin holds privacy:admin for their school, not
for the district's data as a whole."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privacy.audit import Actor
from privacy.districts import queries
from privacy.districts.forms import DeletionRequestForm
from privacy.districts.requests import do_request_deletion, do_withdraw_deletion_request
from privacy.queries import get_policy
from tenants.actions import ActionError
from tenants.queries import list_schools_for_scope
from tenants.roles import Cap
from tenants.views_base import scoped_view


def _require_district_wide(scope) -> None:
    if not scope.is_district_wide:
        raise PermissionDenied


@scoped_view({"GET": Cap.PRIVACY_ADMIN, "POST": Cap.PRIVACY_ADMIN})
def deletion_requests(request, scope):
    """The district's deletion requests, and the form to ask for one."""
    _require_district_wide(scope)
    schools = list(list_schools_for_scope(scope))
    form = DeletionRequestForm(
        request.POST if request.method == "POST" else None,
        district=scope.district,
        schools=schools,
    )
    if request.method == "POST" and form.is_valid():
        try:
            do_request_deletion(
                scope, school=form.cleaned_data["school"], actor=Actor.from_request(request)
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "Your request is recorded. It is carried out by tomorrow's run, and you will "
                    "receive its certificate by email."
                ),
            )
            return redirect("privacy:district_data")
    return render(
        request,
        "privacy/districts/requests.html",
        {
            "form": form,
            "requests": queries.list_deletion_requests_for_scope(scope),
            "contract": queries.get_contract_status(scope.district),
            "deletion_days": get_policy(scope.district.id).deletion_request_business_days,
        },
    )


@scoped_view({"POST": Cap.PRIVACY_ADMIN})
def withdraw(request, scope, privacy_request_id: int):
    """Withdraw a deletion request that has not started."""
    _require_district_wide(scope)
    privacy_request = queries.access_deletion_request(scope, privacy_request_id)
    try:
        do_withdraw_deletion_request(privacy_request, actor=Actor.from_request(request))
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The request is withdrawn; nothing was deleted."))
    return redirect("privacy:district_data")


@scoped_view(Cap.PRIVACY_ADMIN)
def certificate(request, scope, privacy_request_id: int):
    """A printable deletion certificate: counts by table and category, when, by which job."""
    _require_district_wide(scope)
    privacy_request = queries.access_deletion_certificate(scope, privacy_request_id)
    data = privacy_request.certificate
    return render(
        request,
        "privacy/districts/certificate.html",
        {
            "privacy_request": privacy_request,
            "certificate": data,
            "tables": queries.certificate_tables(data),
            "categories": queries.certificate_categories(data),
            "dates": queries.certificate_dates(data),
        },
    )


@scoped_view(Cap.PRIVACY_ADMIN)
def contract(request, scope):
    """The contract's status: when it ended, until when the data can be read, when it goes."""
    _require_district_wide(scope)
    return render(
        request,
        "privacy/districts/contract.html",
        {"contract": queries.get_contract_status(scope.district)},
    )


def contract_ended_response(request, scope, message: str):
    """What every view answers once the district's contract refuses the request (403)."""
    return render(
        request,
        "privacy/districts/contract_ended.html",
        {"message": message, "contract": queries.get_contract_status(scope.district)},
        status=403,
    )

"""How HTML views declare what they need: one capability per HTTP method, never a role.

    @scoped_view({"GET": Cap.ROSTER_VIEW, "POST": Cap.ROSTER_MANAGE})
    def classroom_detail(request, scope, classroom_id): ...

The decorator signs in anonymous people, resolves the scope once, answers 405 for a method the
view does not declare and 403 when the scope lacks the capability, then calls the view with the
scope as its second argument. Objects are looked up through `access_*` queries with that scope,
so another tenant's id is a 404.
"""

import zoneinfo
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils import timezone

from privacy.districts.readonly import contract_refusal
from privacy.queries import has_consented_to_policy_in_force
from privacy.versions import show_policy_changes
from tenants.api_permissions import POLICY_FREE_CAPABILITIES
from tenants.middleware import get_scope

# District ids whose privacy policy in force the signed-in family has agreed to, checked once
# per session (so the family's cached pages stay free of queries after the first).
CONSENT_SESSION_KEY = "engage_consent_ok"


def _normalise(capability) -> dict[str, str]:
    if isinstance(capability, str):
        return {"GET": capability, "HEAD": capability}
    declared = dict(capability)
    if "GET" in declared:
        declared.setdefault("HEAD", declared["GET"])
    return declared


def scoped_view(capability):
    by_method = _normalise(capability)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            needed = by_method.get(request.method)
            if needed is None:
                return HttpResponseNotAllowed(sorted(by_method))
            scope = get_scope(request)
            if scope is None or not scope.has(needed):
                raise PermissionDenied
            refusal = contract_refusal(scope.district, request.method, needed)
            if refusal is not None:  # the district's contract has ended (PROMISES R8)
                from privacy.views.districts import contract_ended_response

                return contract_ended_response(request, scope, refusal)
            if (
                scope.is_family
                and needed not in POLICY_FREE_CAPABILITIES
                and not has_agreed_to_policy(request, scope)
            ):
                return redirect("join:consent")
            # Times show in the school's time zone (the district's for district-wide roles).
            with timezone.override(zoneinfo.ZoneInfo(scope.timezone)):
                return view(request, scope, *args, **kwargs)

        wrapper.engage_capability = by_method
        return wrapper

    return decorator


def has_agreed_to_policy(request, scope) -> bool:
    """Families use Engage once they agreed to the district's policy in force (PROMISES C2)."""
    agreed = request.session.get(CONSENT_SESSION_KEY, [])
    if scope.district.id in agreed:
        return True
    show_policy_changes(request, scope.district)  # what changed since they agreed (S4)
    if not has_consented_to_policy_in_force(request.user, scope.district):
        return False
    remember_policy_agreed(request, scope.district.id)
    return True


def remember_policy_agreed(request, district_id: int) -> None:
    agreed = request.session.get(CONSENT_SESSION_KEY, [])
    if district_id not in agreed:
        request.session[CONSENT_SESSION_KEY] = [*agreed, district_id]


def public_view(view):
    """Mark a view that needs no capability (sign-in helpers, health checks, the landing page)."""
    view.engage_public = True
    return view

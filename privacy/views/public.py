"""Public privacy pages: the platform's plain-language policy."""

from django.shortcuts import render

from privacy.queries import PLATFORM_POLICY_VERSION
from tenants.views_base import public_view


@public_view
def policy(request):
    return render(request, "privacy/policy.html", {"version": PLATFORM_POLICY_VERSION})

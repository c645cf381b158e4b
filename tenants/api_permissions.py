"""The API's capability check (kept apart from the views: DRF imports it while loading)."""

from rest_framework.exceptions import MethodNotAllowed, NotAuthenticated
from rest_framework.permissions import BasePermission

from privacy.districts.readonly import contract_refusal
from tenants import roles
from tenants.scope import SESSION_KEY, Scope, list_scopes_for_user

CONTEXT_HEADER = "HTTP_X_ENGAGE_CONTEXT"
# What a family may do before agreeing to the policy in force: their own account and privacy.
POLICY_FREE_CAPABILITIES = frozenset({roles.Cap.ACCOUNT_SELF, roles.Cap.PRIVACY_SELF})


def resolve_api_scope(request) -> Scope | None:
    scopes = list_scopes_for_user(request.user)
    if not scopes:
        return None
    chosen = request.META.get(CONTEXT_HEADER) or request.session.get(SESSION_KEY)
    return next((s for s in scopes if s.key == chosen), scopes[0])


class HasCapability(BasePermission):
    """Allows a request when the resolved scope has the view's capability for the method."""

    def has_permission(self, request, view) -> bool:
        declared = getattr(view, "capability", None)
        if declared is None:
            return False  # engage.E003 also refuses such a view at check time
        if isinstance(declared, str):
            declared = {"GET": declared}
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        needed = declared.get(method)
        if needed is None:
            raise MethodNotAllowed(request.method)
        if not request.user or not request.user.is_authenticated:
            raise NotAuthenticated
        view.scope = resolve_api_scope(request)
        if view.scope is None or not view.scope.has(needed):
            return False
        refusal = contract_refusal(view.scope.district, method, needed)
        if refusal is not None:  # the district's contract has ended (PROMISES R8)
            self.message = refusal
            return False
        if view.scope.is_family and needed not in POLICY_FREE_CAPABILITIES:
            from tenants.views_base import has_agreed_to_policy

            if not has_agreed_to_policy(request, view.scope):
                self.message = "Agree to the privacy policy in force first (/join/consent/)."
                return False
        # Token requests bypass the two-factor middleware (DRF authenticates inside the view):
        # an admin role is usable through the API only once the person has set up TOTP.
        token_request = request.auth is not None
        return not (token_request and roles.requires_two_factor(view.scope.role)) or has_totp(
            request.user
        )


def has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

"""Resolve the request's scope once, and hold admins to two-factor authentication."""

from django.shortcuts import redirect
from django.utils import translation

from tenants import roles
from tenants.scope import SESSION_KEY, Scope, list_scopes_for_user

MFA_OK_SESSION_KEY = "engage_mfa_ok"

# Paths an admin without two-factor may still reach: sign-in/out and setting up two-factor.
TWO_FACTOR_SETUP_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz", "/readyz")


class _RequestScope:
    """Lazily computed scopes of the signed-in user (one query, at most once per request)."""

    def __init__(self, request):
        self._request = request
        self._scopes: list[Scope] | None = None

    @property
    def scopes(self) -> list[Scope]:
        if self._scopes is None:
            user = self._request.user
            self._scopes = list_scopes_for_user(user) if user.is_authenticated else []
        return self._scopes

    @property
    def scope(self) -> Scope | None:
        chosen = self._request.session.get(SESSION_KEY)
        for scope in self.scopes:
            if scope.key == chosen:
                return scope
        return self.scopes[0] if self.scopes else None

    def resolved_scope(self) -> Scope | None:
        """The scope if this request already looked it up, else None (never queries: logs)."""
        return self.scope if self._scopes is not None else None


def get_scope(request) -> Scope | None:
    return request.engage.scope


def get_scopes(request) -> list[Scope]:
    return request.engage.scopes


class ScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.engage = _RequestScope(request)
        user = request.user
        if user.is_authenticated and user.preferred_language:
            # The person's preferred language wins over the browser's.
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class RequireAdminTwoFactorMiddleware:
    """School and district admins must set up TOTP before they can do anything else.

    Until they have a TOTP authenticator, every page outside TWO_FACTOR_SETUP_PREFIXES redirects
    to allauth's activation page. Once they have one, allauth asks for a code at every sign-in
    (its 2FA login stage), the session remembers the check, and `tenants.auth.MFAAdapter` keeps
    them from removing it. Teachers, staff, viewers and guardians are not held to it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_set_up_two_factor(request):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _must_set_up_two_factor(self, request) -> bool:
        user = request.user
        if not user.is_authenticated or request.path_info.startswith(TWO_FACTOR_SETUP_PREFIXES):
            return False
        if request.session.get(MFA_OK_SESSION_KEY) == user.id:
            return False
        if not any(roles.requires_two_factor(s.role) for s in get_scopes(request)):
            return False
        from allauth.mfa.models import Authenticator

        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            request.session[MFA_OK_SESSION_KEY] = user.id
            return False
        return True

"""The API's capability check (kept apart from the views: DRF imports it while loading)."""

from rest_framework.exceptions import MethodNotAllowed, NotAuthenticated
from rest_framework.permissions import BasePermission

from tenants.scope import SESSION_KEY, Scope, list_scopes_for_user

CONTEXT_HEADER = "HTTP_X_ENGAGE_CONTEXT"


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
        return view.scope is not None and view.scope.has(needed)

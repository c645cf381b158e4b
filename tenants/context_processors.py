from tenants.middleware import get_scope, get_scopes
from tenants.roles import Cap


def scope(request):
    """The active scope, the role switcher's choices and the capability names, for templates."""
    if not hasattr(request, "engage"):
        return {}
    return {
        "scope": get_scope(request),
        "scopes": get_scopes(request),
        "Cap": Cap,
    }

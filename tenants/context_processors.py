from functools import lru_cache, partial
from types import MappingProxyType

from django.conf import settings
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language

from tenants.middleware import get_scope, get_scopes
from tenants.roles import Cap


def scope(request):
    """For templates: the active scope, the role switcher's choices, the capability names, the
    main navigation (rendered only where a template shows `main_nav`) and base.html's links."""
    links = {"site_links": get_site_links()}
    if not hasattr(request, "engage"):
        return links
    return {
        **links,
        "scope": get_scope(request),
        "scopes": get_scopes(request),
        "Cap": Cap,
        "main_nav": partial(render_main_nav, request),
    }


def render_main_nav(request) -> str:
    """templates/nav.html for the request's scope and view.

    The menu depends only on the scope's capabilities and level, the current view, the language
    and the script prefix (its links), so each combination is rendered once per process: the
    template's dozen `{% url %}` and `{% if %}` would otherwise run on every page.
    """
    scope = get_scope(request)
    match = request.resolver_match
    arguments = (
        scope.capabilities if scope else frozenset(),
        scope is not None,
        bool(scope and scope.is_district_wide),
        bool(scope and scope.is_classroom_level),
        match.view_name if match else None,
    )
    if settings.DEBUG:  # templates reload while developing: no cache
        return _render_main_nav.__wrapped__(*arguments, get_language(), get_script_prefix())
    return _render_main_nav(*arguments, get_language(), get_script_prefix())


@lru_cache(maxsize=512)
def _render_main_nav(
    capabilities: frozenset[str],
    has_scope: bool,
    is_district_wide: bool,
    is_classroom_level: bool,
    url_name: str | None,
    language: str,
    script_prefix: str,
) -> str:
    """`language` and `script_prefix` are not read here: they key the cache, being what the
    template's `{% translate %}` and `{% url %}` read (the active ones)."""
    return render_to_string(
        "nav.html",
        {
            "capabilities": capabilities,
            "has_scope": has_scope,
            "is_district_wide": is_district_wide,
            "is_classroom_level": is_classroom_level,
            "url_name": url_name,
            "Cap": Cap,
        },
    )


def get_site_links() -> MappingProxyType:
    """The constant URLs of base.html, computed once per process and script prefix: five
    `{% static %}` (a manifest lookup each) and `{% url %}` on every page cost about a fifth of
    rendering base.html."""
    if settings.DEBUG:  # collectstatic and URLconf edits while developing: no cache
        return _site_links.__wrapped__(get_script_prefix())
    return _site_links(get_script_prefix())


@lru_cache(maxsize=8)
def _site_links(script_prefix: str) -> MappingProxyType:
    """`script_prefix` keys the cache: `static` and `reverse` read the active one."""
    return MappingProxyType(
        {
            "css": static("css/engage.css"),
            "htmx": static("vendor/htmx-2.0.11.min.js"),
            "home": reverse("home"),
            "set_language": reverse("set_language"),
            "logout": reverse("account_logout"),
        }
    )

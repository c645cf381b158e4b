"""The family's pages, built for a 360 px phone on a slow network."""

from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from guardians import queries
from tenants.middleware import get_scopes
from tenants.roles import Cap
from tenants.views_base import scoped_view


@scoped_view(Cap.FAMILY_VIEW)
def home(request, scope):
    """The guardian home: each of their children, school, classrooms and teachers."""

    def render_content(family: queries.FamilyHome) -> str:
        context = {"family": family, "user": scope.user}
        return render_to_string("guardians/home_content.html", context)

    content = queries.get_family_home_html(scope, render_content)
    others = [s for s in get_scopes(request) if s.is_family and s.district.id != scope.district.id]
    if others:
        # Children in another district: one sign-in covers them, a switch away (no query: the
        # request's scopes are already loaded).
        content += render_to_string(
            "guardians/_other_districts.html", {"others": others}, request=request
        )
    # The whole content is one cached fragment: the layout renders it, with no page template
    # extending it (`{% extends %}` costs about a tenth of this page).
    return render(request, "base.html", {"page_title": _("My family"), "page_content": content})


@scoped_view(Cap.FAMILY_VIEW)
def child_detail(request, scope, child_id: int):
    """One child: school and classes, the other guardians (contact details only within the
    household), and a switcher to the guardian's other children."""
    children = list(queries.list_children_for_guardian(scope))
    child = next((c for c in children if c.id == child_id), None)
    if child is None:
        raise Http404
    return render(
        request,
        "guardians/child_detail.html",
        {
            "child": child,
            "siblings": children,
            "co_guardians": queries.list_co_guardians(scope, child),
        },
    )

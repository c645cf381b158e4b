"""The family's pages, built for a 360 px phone on a slow network."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from guardians import queries
from tenants.roles import Cap
from tenants.views_base import scoped_view


@scoped_view(Cap.FAMILY_VIEW)
def home(request, scope):
    """The guardian home: each of their children, school, classrooms and teachers."""

    def render_content(family: queries.FamilyHome) -> str:
        context = {"family": family, "user": scope.user}
        return render_to_string("guardians/home_content.html", context)

    content = queries.get_family_home_html(scope, render_content)
    # The whole content is one cached fragment: the layout renders it, with no page template
    # extending it (`{% extends %}` costs about a tenth of this page).
    return render(request, "base.html", {"page_title": _("My family"), "page_content": content})


@scoped_view(Cap.FAMILY_VIEW)
def child_detail(request, scope, child_id: int):
    child = queries.access_child_for_guardian(scope, child_id)
    return render(request, "guardians/child_detail.html", {"child": child})

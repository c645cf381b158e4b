"""The family's pages, built for a 360 px phone on a slow network."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from guardians import queries
from guardians.actions.account import do_remove_child_from_account
from guardians.queries.family import is_last_link_in_district
from privacy.audit import Actor
from privacy.queries import get_policy
from tenants.actions import ActionError
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


# A privacy act, open (like the privacy page) to a family that has not agreed to a new policy.
@scoped_view({"GET": Cap.PRIVACY_SELF, "POST": Cap.PRIVACY_SELF})
def remove_child(request, scope, child_id: int):
    """Confirm, then take a child off the guardian's own account (PROMISES R4): the school keeps
    its record; a child the school has removed too is deleted after the policy's window."""
    child = queries.access_child_for_guardian(scope, child_id)
    if request.method == "POST":
        name = child.display_name
        try:
            do_remove_child_from_account(scope, child, actor=Actor.from_request(request))
        except ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("%(name)s was removed from your account.") % {"name": name})
        # The family home, or (their last child here) whatever role they have left.
        return redirect("home")
    return render(
        request,
        "guardians/remove_child.html",
        {
            "child": child,
            "days": get_policy(child.district_id, child.school_id).removed_child_days,
            "is_last_child": is_last_link_in_district(scope, child),
        },
    )

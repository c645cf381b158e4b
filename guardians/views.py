"""The family's pages, built for a 360 px phone on a slow network."""

from django.shortcuts import render
from django.template.loader import render_to_string

from guardians import queries
from tenants.roles import Cap
from tenants.views_base import scoped_view


@scoped_view(Cap.FAMILY_VIEW)
def home(request, scope):
    """The guardian home: each of their children, school, classrooms and teachers."""
    cards = queries.get_family_home_html(scope, _render_child_cards)
    return render(request, "guardians/home.html", {"cards": cards})


def _render_child_cards(family: queries.FamilyHome) -> str:
    return render_to_string("guardians/child_cards.html", {"family": family})


@scoped_view(Cap.FAMILY_VIEW)
def child_detail(request, scope, child_id: int):
    child = queries.access_child_for_guardian(scope, child_id)
    return render(request, "guardians/child_detail.html", {"child": child})

"""Leaderboard pages for staff (/leaderboards/): a classroom's children, a school's classrooms,
the district's schools. Families see their child's classroom on the family pages."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from activities.actions.leaderboards import do_set_school_leaderboard_settings
from activities.models import SchoolActivitySettings
from activities.queries import leaderboards as queries
from privacy.audit import Actor
from tenants.actions import ActionError
from tenants.roles import Cap
from tenants.views_base import scoped_view


@scoped_view({"GET": Cap.LEADERBOARD_VIEW})
def classroom(request, scope, classroom_id: int):
    room = queries.access_classroom_for_leaderboard(scope, classroom_id)
    settings = queries.get_school_activity_settings(room.district_id, room.school_id)
    return render(
        request,
        "activities/leaderboards/classroom.html",
        {
            "classroom": room,
            "settings": settings,
            "rows": queries.get_classroom_leaderboard(room, is_staff_view=True),
        },
    )


def _school_id_param(request) -> int | None:
    value = request.POST.get("school") or request.GET.get("school")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


@scoped_view({"GET": Cap.LEADERBOARD_VIEW, "POST": Cap.PRIVACY_ADMIN})
def school(request, scope):
    """The school's classrooms by participation; its admins choose how names show."""
    school_id = _school_id_param(request)
    if scope.is_district_wide and school_id is None and not scope.is_family:
        return redirect("leaderboards:district")
    place = queries.access_school_for_leaderboard(scope, school_id)
    if request.method == "POST":
        return _save_settings(request, scope, place)
    return render(
        request,
        "activities/leaderboards/school.html",
        {
            "school": place,
            "rows": queries.get_school_leaderboard(place),
            "settings": queries.get_school_activity_settings(place.district_id, place.id),
            "name_styles": SchoolActivitySettings.NameStyle.choices,
            "can_open_classrooms": scope.has(Cap.ROSTER_VIEW),
        },
    )


def _save_settings(request, scope, place):
    try:
        do_set_school_leaderboard_settings(
            place,
            name_style=request.POST.get("name_style", ""),
            is_leaderboard_shown=request.POST.get("is_leaderboard_shown") == "on",
            actor=Actor.from_request(request),
        )
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Leaderboard settings saved."))
    url = reverse("leaderboards:school")
    return redirect(f"{url}?school={place.id}" if scope.is_district_wide else url)


@scoped_view({"GET": Cap.LEADERBOARD_VIEW})
def district(request, scope):
    """The district's schools by participation."""
    if scope.is_family:
        raise Http404
    return render(
        request,
        "activities/leaderboards/district.html",
        {
            "rows": queries.get_district_leaderboard(scope.district),
            "own_school_id": scope.school.id if scope.school else None,
            "can_open_schools": scope.is_district_wide,
        },
    )

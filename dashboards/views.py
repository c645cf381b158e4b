"""Dashboard pages, their CSV tables and the printable report: thin (access_*, get_*, render)."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify

from dashboards import charts, exports, queries
from dashboards.models import Dim
from tenants.roles import Cap
from tenants.views_base import scoped_view


def _filters(request) -> dict:
    return {
        "period_key": request.GET.get("period", "")[:9],
        "grade": request.GET.get("grade", "")[:8],
    }


@scoped_view(Cap.DASHBOARD_VIEW)
def home(request, scope):
    """Each role's own dashboard: the district's, their school's, or their first classroom's."""
    if scope.is_district_wide:
        return redirect("dashboards:district")
    if scope.is_classroom_level:
        classrooms = queries.list_classrooms(scope)
        if not classrooms:
            raise Http404
        return redirect("dashboards:classroom", classroom_id=classrooms[0].id)
    return redirect("dashboards:school", school_id=scope.school.id)


@scoped_view(Cap.DASHBOARD_VIEW)
def district(request, scope):
    board = queries.get_district_dashboard(scope, **_filters(request))
    return _page(request, board)


@scoped_view(Cap.DASHBOARD_VIEW)
def school(request, scope, school_id: int):
    place = queries.access_school(scope, school_id)
    board = queries.get_school_dashboard(scope, place, **_filters(request))
    return _page(request, board)


@scoped_view(Cap.DASHBOARD_FAMILIES)
def classroom(request, scope, classroom_id: int):
    place = queries.access_classroom(scope, classroom_id)
    board, families = queries.get_classroom_dashboard(
        scope, place, period_key=_filters(request)["period_key"]
    )
    return _page(
        request,
        board,
        families=families,
        labels=queries.FAMILY_STATUS_LABELS,
        classrooms=queries.list_classrooms(scope),
    )


def _page(request, board, **extra):
    template = "dashboards/report.html" if request.GET.get("print") else "dashboards/dashboard.html"
    context = {
        "board": board,
        "charts": _charts(board),
        "perms_families": board.scope.has(Cap.DASHBOARD_FAMILIES),
        "families": None,
        **extra,
    }
    return render(request, template, context)


def _charts(board) -> dict:
    weeks = [(row["monday"].strftime("%d %b"), row["families_completed"]) for row in board.trend]
    drawn = {"trend": charts.column_chart("chart-trend", _title_trend(), weeks)}
    for dim in (Dim.GRADE, Dim.LANGUAGE, Dim.DISADVANTAGED):
        rows = board.breakdowns.get(dim)
        if rows:
            drawn[dim] = charts.bar_chart(
                f"chart-{dim}",
                str(Dim(dim).label),
                [(row["label"], row["participation"]) for row in rows],
            )
    return drawn


def _title_trend() -> str:
    from django.utils.translation import gettext

    return gettext("Families who completed an activity, by week")


def _export(request, board, table: str):
    if table not in exports.TABLES:
        raise Http404
    body = exports.to_csv(exports.table_rows(board, table))
    name = slugify(f"{board.place}-{board.period.key}-{table}") or "dashboard"
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@scoped_view(Cap.DASHBOARD_VIEW)
def district_export(request, scope, table: str):
    return _export(request, queries.get_district_dashboard(scope, **_filters(request)), table)


@scoped_view(Cap.DASHBOARD_VIEW)
def school_export(request, scope, school_id: int, table: str):
    place = queries.access_school(scope, school_id)
    return _export(request, queries.get_school_dashboard(scope, place, **_filters(request)), table)

"""Leaderboards, built for participation rather than competition between children.

- classroom: the children of a classroom ranked by activities completed (their submissions
  attributed to that classroom; a classroom belongs to one school year, so this is the year's
  count), shown as the school chooses (family nickname, or first name and last initial), without
  the children whose family opted out, and without those who have not completed anything yet;
- school: the school's classrooms of the current year ranked by participation, the share of
  enrolled children with at least one completion this week (from Monday, in the school's time
  zone), then this school year;
- district: the district's schools ranked the same way.

Counts are read from the submissions themselves (one row per child and activity, a unique
constraint), so they are exact whatever submits concurrently. Each leaderboard is a fixed number
of queries whatever the size of the classroom, school or district.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import ChildProgress, SchoolActivitySettings, Submission
from guardians.models import Enrollment
from tenants import queries as tenant_queries
from tenants.models import Classroom, School
from tenants.roles import Cap
from tenants.scope import Scope


@dataclass(frozen=True)
class LeaderboardRow:
    """One child on a classroom leaderboard."""

    rank: int
    display_name: str
    completions: int
    is_viewer_child: bool = False


@dataclass(frozen=True)
class ParticipationRow:
    """One classroom (school leaderboard) or school (district leaderboard)."""

    rank: int
    id: int
    name: str
    enrolled: int
    active_this_week: int
    active_this_year: int

    @property
    def week_rate(self) -> float:
        return self.active_this_week / self.enrolled if self.enrolled else 0.0

    @property
    def year_rate(self) -> float:
        return self.active_this_year / self.enrolled if self.enrolled else 0.0

    @property
    def week_percent(self) -> int:
        return round(100 * self.week_rate)

    @property
    def year_percent(self) -> int:
        return round(100 * self.year_rate)


def get_school_activity_settings(district_id: int, school_id: int) -> SchoolActivitySettings:
    """The school's recognition settings (the defaults, unsaved, when it never chose)."""
    found = SchoolActivitySettings.objects.filter(
        district_id=district_id, school_id=school_id
    ).first()
    return found or SchoolActivitySettings(district_id=district_id, school_id=school_id)


def week_start(now: datetime.datetime, tz_name: str) -> datetime.datetime:
    """Monday 00:00 of `now`'s week in the time zone `tz_name`."""
    tz = zoneinfo.ZoneInfo(tz_name)
    local = now.astimezone(tz).date()
    monday = local - datetime.timedelta(days=local.weekday())
    return datetime.datetime.combine(monday, datetime.time(0), tzinfo=tz)


# --- classroom ---------------------------------------------------------------------------------


def get_classroom_leaderboard(
    classroom: Classroom, *, viewer_child_ids=(), is_staff_view: bool = False
) -> list[LeaderboardRow]:
    """The classroom's children ranked by activities completed (ties share a rank).

    `classroom` must already be access-checked by the caller (the family's child's classroom,
    or a staff scope's). Families get nothing when the school turned leaderboards off; staff
    (`is_staff_view`) still see it. Two queries: the school's settings and the rows.
    """
    settings = get_school_activity_settings(classroom.district_id, classroom.school_id)
    if not settings.is_leaderboard_shown and not is_staff_view:
        return []
    viewer_child_ids = set(viewer_child_ids)
    rows = [
        (
            _display_name(settings, first, preferred, last, nickname),
            completions,
            child_id in viewer_child_ids,
        )
        for child_id, first, preferred, last, nickname, completions in _classroom_counts(classroom)
    ]
    rows.sort(key=lambda row: (-row[1], row[0].casefold()))
    return [
        LeaderboardRow(rank=rank, display_name=name, completions=count, is_viewer_child=is_viewer)
        for rank, (name, count, is_viewer) in zip(
            _competition_ranks([row[1] for row in rows]), rows, strict=True
        )
    ]


def _classroom_counts(classroom: Classroom):
    """(child id, first, preferred, last name, nickname, completions) of the enrolled children
    on the leaderboard with at least one completion in the classroom."""
    district_id = classroom.district_id
    completions = (
        Submission.objects.filter(
            district_id=district_id, classroom_id=classroom.id, child_id=OuterRef("child_id")
        )
        .order_by()
        .values("child_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    progress = ChildProgress.objects.filter(district_id=district_id, child_id=OuterRef("child_id"))
    return (
        Enrollment.objects.filter(
            district_id=district_id,
            classroom_id=classroom.id,
            is_active=True,
            child__is_active=True,
        )
        .annotate(
            completions=Coalesce(Subquery(completions, output_field=IntegerField()), Value(0)),
            nickname=Subquery(progress.values("nickname")[:1]),
        )
        .filter(completions__gt=0)
        .exclude(Exists(progress.filter(is_on_leaderboard=False)))
        .values_list(
            "child_id",
            "child__first_name",
            "child__preferred_name",
            "child__last_name",
            "nickname",
            "completions",
        )
    )


def _display_name(settings, first: str, preferred: str, last: str, nickname: str | None) -> str:
    """As the school chose. A school that chose nicknames never shows a child's name: a family
    that picked none appears as "A family"."""
    if settings.leaderboard_name_style == SchoolActivitySettings.NameStyle.NICKNAME:
        return nickname or _("A family")
    initial = f" {last.strip()[:1].upper()}." if last.strip() else ""
    return f"{(preferred or first).strip()}{initial}"


def _competition_ranks(values: list) -> list[int]:
    """1, 2, 2, 4: equal values share a rank (values sorted best first)."""
    ranks = []
    for index, value in enumerate(values):
        ranks.append(ranks[-1] if index and values[index - 1] == value else index + 1)
    return ranks


# --- school and district -----------------------------------------------------------------------


def _current_enrollments(district_id: int) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(
        district_id=district_id,
        is_active=True,
        child__is_active=True,
        classroom__is_active=True,
        classroom__school_year__is_current=True,
    )


def _participation(enrollments: QuerySet[Enrollment], group: str, since) -> dict[int, tuple]:
    """{group id: (enrolled, active this week, active this year)}: an enrolled child is active
    with a completion attributed to the classroom they are enrolled in. One query."""
    completed = Submission.objects.filter(
        district_id=OuterRef("district_id"),
        child_id=OuterRef("child_id"),
        classroom_id=OuterRef("classroom_id"),
    )
    rows = (
        enrollments.order_by()
        .values(group)
        .annotate(
            enrolled=Count("id"),
            week=Count("id", filter=Q(Exists(completed.filter(submitted_at__gte=since)))),
            year=Count("id", filter=Q(Exists(completed))),
        )
        .values_list(group, "enrolled", "week", "year")
    )
    return {key: (enrolled, week, year) for key, enrolled, week, year in rows}


def _ranked(items: list[tuple[int, str]], counts: dict[int, tuple]) -> list[ParticipationRow]:
    rows = [
        ParticipationRow(0, item_id, name, *counts.get(item_id, (0, 0, 0)))
        for item_id, name in items
    ]
    rows.sort(key=lambda r: (-r.week_rate, -r.year_rate, r.name.casefold(), r.id))
    ranks = _competition_ranks([(r.week_rate, r.year_rate) for r in rows])
    return [
        ParticipationRow(rank, r.id, r.name, r.enrolled, r.active_this_week, r.active_this_year)
        for rank, r in zip(ranks, rows, strict=True)
    ]


def get_school_leaderboard(school: School, *, now=None) -> list[ParticipationRow]:
    """The school's classrooms of the current year by participation. Two queries.

    `school` comes from the caller's scope (with its district loaded, for the time zone)."""
    since = week_start(now or timezone.now(), school.effective_timezone)
    counts = _participation(
        _current_enrollments(school.district_id).filter(school_id=school.id), "classroom_id", since
    )
    classrooms = Classroom.objects.filter(
        district_id=school.district_id,
        school_id=school.id,
        is_active=True,
        school_year__is_current=True,
    ).values_list("id", "name")
    return _ranked(list(classrooms), counts)


def list_schools_by_zone(district) -> dict[str, list[int]]:
    """{time zone: [school id, ...]} of the district's active schools (one zone, nearly always)."""
    schools = School.objects.filter(district_id=district.id, is_active=True).order_by("id")
    return _by_zone(district, schools.values_list("id", "timezone"))


def _by_zone(district, schools) -> dict[str, list[int]]:
    by_zone: dict[str, list[int]] = {}
    for school_id, tz_name in schools:
        by_zone.setdefault(tz_name or district.timezone, []).append(school_id)
    return by_zone


def get_district_leaderboard(district, *, now=None) -> list[ParticipationRow]:
    """The district's active schools by participation. One query for the schools, one per
    time zone they keep."""
    now = now or timezone.now()
    schools = School.objects.filter(district_id=district.id, is_active=True).order_by("id")
    rows = list(schools.values_list("id", "name", "timezone"))
    counts = {}
    for tz_name, school_ids in _by_zone(district, [(i, tz) for i, _n, tz in rows]).items():
        enrollments = _current_enrollments(district.id).filter(school_id__in=school_ids)
        counts |= _participation(enrollments, "school_id", week_start(now, tz_name))
    return _ranked([(school_id, name) for school_id, name, _tz in rows], counts)


# --- who may see which leaderboard --------------------------------------------------------------


def access_classroom_for_leaderboard(scope: Scope, classroom_id: int) -> Classroom:
    """A classroom whose leaderboard the staff scope may see: teachers their classrooms, a
    school's staff their school, a district admin any. Families read their child's classroom
    leaderboard on the family pages, and viewers (board members) see aggregates only: 404."""
    if not scope.has(Cap.ROSTER_VIEW):
        raise Http404
    return tenant_queries.access_classroom(scope, classroom_id)


def access_school_for_leaderboard(scope: Scope, school_id: int | None) -> School:
    """The scope's own school, or for a district-wide scope the school it names (404 else)."""
    if scope.is_family:
        raise Http404
    if scope.school is not None:
        if school_id not in (None, scope.school.id):
            raise Http404
        school_id = scope.school.id
    if school_id is None:
        raise Http404
    school = (
        tenant_queries.list_schools_for_scope(scope)
        .select_related("district")
        .filter(id=school_id)
        .first()
    )
    if school is None:
        raise Http404
    return school

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
from functools import cache

from django.db import connection
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import ChildProgress, SchoolActivitySettings, Submission
from guardians.models import Child, Enrollment, GuardianLink
from privacy.models import ProcessingRestriction
from tenants import queries as tenant_queries
from tenants.models import Classroom, School, SchoolYear
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


def _classroom_counts(classroom: Classroom) -> list[tuple]:
    """(child id, first, preferred, last name, nickname, completions) of the enrolled children
    on the leaderboard with at least one completion in the classroom, but for children whose
    every guardian with access restricted processing in the district (PROMISES R13). One query."""
    district_id = classroom.district_id
    with connection.cursor() as cursor:
        cursor.execute(
            _classroom_sql(),
            [district_id, classroom.id, district_id, classroom.id, district_id] + [district_id] * 4,
        )
        return cursor.fetchall()


# The two leaderboards with a latency target are hand-written SQL, built once per process: the
# ORM took longer to build and compile them (several ms a call) than the database to run them.
# Both read only the index Submission(district, classroom, child, submitted_at).
@cache
def _classroom_sql() -> str:
    submission, enrollment, child, progress, link, restriction = map(
        _table, (Submission, Enrollment, Child, ChildProgress, GuardianLink, ProcessingRestriction)
    )
    # A family that restricted processing (R13) is off the leaderboard: a child leaves it when
    # a guardian with access is restricted and none is not. Two probes of the child's links (a
    # handful of rows, by the child index) per child listed; the first is false unless someone
    # of the family restricted, so the usual cost is one index probe per child.
    restricted = f"""
        SELECT 1 FROM {link} l WHERE l.child_id = n.child_id AND l.district_id = %s
            AND l.is_active AND l.has_access AND {{negation}} EXISTS (
                SELECT 1 FROM {restriction} r WHERE r.district_id = %s
                    AND r.user_id = l.guardian_id AND r.lifted_at IS NULL)"""  # noqa: S608
    return f"""
        SELECT c.id, c.first_name, c.preferred_name, c.last_name, p.nickname, n.completions
        FROM (
            SELECT child_id, COUNT(*) AS completions FROM {submission}
            WHERE district_id = %s AND classroom_id = %s
            GROUP BY child_id
        ) n
        JOIN {enrollment} e ON e.child_id = n.child_id AND e.district_id = %s
            AND e.classroom_id = %s AND e.is_active
        JOIN {child} c ON c.id = n.child_id AND c.is_active
        LEFT JOIN {progress} p ON p.district_id = %s AND p.child_id = n.child_id
        WHERE COALESCE(p.is_on_leaderboard, TRUE)
            AND NOT (
                EXISTS ({restricted.format(negation="")})
                AND NOT EXISTS ({restricted.format(negation="NOT")})
            )
    """  # noqa: S608 (table names from the models; every value is a parameter)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


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


def _participation(level: str, district_id: int, ids: list[int], since) -> list[tuple]:
    """[(id, name, enrolled, active this week, active this year)] of the current school year's
    classrooms of the schools `ids` (level "classroom") or of the schools `ids` themselves
    ("school"), each listed even with no child. An enrolled child is active with a completion
    attributed to the classroom they are enrolled in. One query."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            _participation_sql(level, len(ids)),
            [connection.ops.adapt_datetimefield_value(since), district_id, *ids],
        )
        return cursor.fetchall()


@cache
def _participation_sql(level: str, count: int) -> str:
    submission, enrollment, classroom, year, school = map(
        _table, (Submission, Enrollment, Classroom, SchoolYear, School)
    )
    # An active enrollment in a current classroom is an active child: removing a child (by
    # hand or by a roster) ends their current enrollments, so the children table is not read.
    completed = f"""
        SELECT 1 FROM {submission} s WHERE s.district_id = e.district_id
            AND s.classroom_id = e.classroom_id AND s.child_id = e.child_id"""  # noqa: S608
    classrooms = f"""{classroom} r JOIN {year} y ON y.id = r.school_year_id AND y.is_current"""
    placeholders = ", ".join(["%s"] * count)
    if level == "classroom":
        source = f"""{classrooms}
            LEFT JOIN {enrollment} e ON e.classroom_id = r.id AND e.is_active
            WHERE r.district_id = %s AND r.is_active AND r.school_id IN ({placeholders})"""
        group = "r.id, r.name"
    elif level == "school":
        source = f"""{school} sc
            LEFT JOIN ({classrooms}) ON r.school_id = sc.id AND r.is_active
            LEFT JOIN {enrollment} e ON e.classroom_id = r.id AND e.is_active
            WHERE sc.district_id = %s AND sc.id IN ({placeholders})"""
        group = "sc.id, sc.name"
    else:
        raise ValueError(level)
    return f"""
        SELECT {group}, COUNT(e.id),
            SUM(CASE WHEN EXISTS ({completed} AND s.submitted_at >= %s) THEN 1 ELSE 0 END),
            SUM(CASE WHEN EXISTS ({completed}) THEN 1 ELSE 0 END)
        FROM {source}
        GROUP BY {group}
    """  # noqa: S608 (table names from the models; every value is a parameter)


def _ranked(rows) -> list[ParticipationRow]:
    """Best participation this week first, then this year; equal rates share a rank."""
    found = [
        ParticipationRow(0, item_id, name, enrolled, week or 0, year or 0)
        for item_id, name, enrolled, week, year in rows
    ]
    found.sort(key=lambda r: (-r.week_rate, -r.year_rate, r.name.casefold(), r.id))
    ranks = _competition_ranks([(r.week_rate, r.year_rate) for r in found])
    return [
        ParticipationRow(rank, r.id, r.name, r.enrolled, r.active_this_week, r.active_this_year)
        for rank, r in zip(ranks, found, strict=True)
    ]


def get_school_leaderboard(school: School, *, now=None) -> list[ParticipationRow]:
    """The school's classrooms of the current year by participation. One query.

    `school` comes from the caller's scope (with its district loaded, for the time zone)."""
    since = week_start(now or timezone.now(), school.effective_timezone)
    return _ranked(_participation("classroom", school.district_id, [school.id], since))


def list_schools_by_zone(district) -> dict[str, list[int]]:
    """{time zone: [school id, ...]} of the district's active schools (one zone, nearly always)."""
    schools = School.objects.filter(district_id=district.id, is_active=True).order_by("id")
    by_zone: dict[str, list[int]] = {}
    for school_id, tz_name in schools.values_list("id", "timezone"):
        by_zone.setdefault(tz_name or district.timezone, []).append(school_id)
    return by_zone


def get_district_leaderboard(district, *, now=None) -> list[ParticipationRow]:
    """The district's active schools by participation. One query for the schools' time zones,
    one per zone (one, nearly always)."""
    now = now or timezone.now()
    rows = []
    for tz_name, school_ids in list_schools_by_zone(district).items():
        rows += _participation("school", district.id, school_ids, week_start(now, tz_name))
    return _ranked(rows)


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

"""Reads for the dashboards: every figure comes from the rollups (dashboards.models), a fixed
handful of queries per page whatever the size of the district, and passes through the small-group
rules (dashboards.suppression) before anyone sees it.

Levels: the district (district-wide roles), a school (its staff and viewers, or the district's),
a classroom (its teachers and the school's staff). A family on the dashboards is a pupil's
family (docs/DASHBOARDS.md).
"""

import datetime
from collections import Counter, defaultdict, namedtuple
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboards import periods
from dashboards.models import Dim, FamilyPeriod, FamilyState, MessageStats, PeriodStats, Snapshot
from dashboards.suppression import Cell, family_count, suppress_table
from tenants import queries as tenant_queries
from tenants.models import Classroom, School
from tenants.scope import Scope

TREND_WEEKS = 12
ACTIVE_DAYS = 30
STATS = ("families_completed", "completions", "families_active", "activities_published")
SNAPSHOT = ("families", "invited", "connected", "no_contact", "opted_out", "not_accepted")
# Rows of the rollups as plain tuples (a district page reads a couple of thousand).
SnapRow = namedtuple("SnapRow", ["school_id", "dim", "value", *SNAPSHOT])
StatRow = namedtuple("StatRow", ["school_id", "dim", "value", *STATS])
# The counts of a table row (families first) and the rates derived from them.
ROW_COUNTS = ["invited", "connected", "active_30d", "families_completed", "completions"]
ROW_RATES = {
    "connected_rate": ("connected", "families"),
    "participation": ("families_completed", "families"),
}
BREAKDOWN_COUNTS = ["connected", "families_completed", "families_active", "completions"]
BREAKDOWN_RATES = {
    "connected_rate": ("connected", "families"),
    "participation": ("families_completed", "families"),
    "active_rate": ("families_active", "families"),
}
DISADVANTAGE_LABELS = {
    "yes": _("Disadvantaged"),
    "no": _("Not disadvantaged"),
    "unknown": _("Not recorded"),
}


@dataclass
class Dashboard:
    level: str  # "district", "school" or "classroom"
    scope: Scope
    period: periods.Period
    periods: list[periods.Period]
    grade: str = ""
    grades: list[str] = field(default_factory=list)
    school: School | None = None
    classroom: Classroom | None = None
    headline: dict[str, Cell] = field(default_factory=dict)
    trend: list[dict] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    breakdowns: dict[str, list[dict]] = field(default_factory=dict)
    gap: Cell | None = None
    reach: list[dict] = field(default_factory=list)
    channels: list[dict] = field(default_factory=list)
    unreachable: dict[str, Cell] = field(default_factory=dict)

    @property
    def place(self) -> str:
        if self.classroom is not None:
            return f"{self.classroom.school.name} · {self.classroom.name}"
        return self.school.name if self.school is not None else self.scope.district.name


def today_for(scope: Scope) -> datetime.date:
    return periods.local_date(timezone.now(), scope.timezone)


def choose_period(scope: Scope, key: str) -> tuple[periods.Period, list[periods.Period]]:
    options = periods.choices(today_for(scope))
    chosen = next((p for p in options if p.key == key), options[0])
    return chosen, options


def access_school(scope: Scope, school_id: int) -> School:
    """A school of the scope (another district's, or another school's for school staff: 404).
    Teachers have their classrooms' dashboards, not the whole school's."""
    if scope.is_classroom_level:
        raise Http404
    return get_object_or_404(tenant_queries.list_schools_for_scope(scope), id=school_id)


def access_classroom(scope: Scope, classroom_id: int) -> Classroom:
    return tenant_queries.access_classroom(scope, classroom_id)


def list_classrooms(scope: Scope) -> list[Classroom]:
    return list(tenant_queries.list_classrooms_for_scope(scope))


def _sum_rows(rows, names, key) -> dict:
    totals: dict = defaultdict(Counter)
    for row in rows:
        totals[key(row)].update({name: getattr(row, name) for name in names})
    return totals


def _grades(scope: Scope, school_ids) -> list[str]:
    rows = Snapshot.objects.filter(district_id=scope.district.id, dim=Dim.GRADE)
    if school_ids is not None:
        rows = rows.filter(school_id__in=school_ids)
    values = rows.order_by().values_list("value", flat=True).distinct()
    return sorted({v for v in values if v}, key=_grade_order)


def _grade_order(grade: str):
    return (0, int(grade)) if grade.isdigit() else (1 if grade in ("PK", "K") else 2, grade)


def _active_since(scope: Scope) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=ACTIVE_DAYS)


def get_district_dashboard(scope: Scope, *, period_key: str = "", grade: str = "") -> Dashboard:
    """The district's figures, one row per school. Eight queries."""
    if not scope.is_district_wide:
        raise Http404
    period, options = choose_period(scope, period_key)
    board = Dashboard("district", scope, period, options, grade=grade)
    schools = list(
        School.objects.filter(district_id=scope.district.id, is_active=True).order_by("name")
    )
    board.grades = _grades(scope, None)
    _fill(board, school_ids=None, row_schools=schools)
    return board


def get_school_dashboard(
    scope: Scope, school: School, *, period_key: str = "", grade: str = ""
) -> Dashboard:
    """One school's figures (from access_school), one row per classroom."""
    period, options = choose_period(scope, period_key)
    board = Dashboard("school", scope, period, options, grade=grade, school=school)
    board.grades = _grades(scope, [school.id])
    classrooms = list(
        Classroom.objects.filter(
            district_id=scope.district.id,
            school_id=school.id,
            is_active=True,
            school_year__is_current=True,
        ).order_by("grade_level", "name")
    )
    if grade:
        classrooms = [c for c in classrooms if c.grade_level == grade]
    _fill(board, school_ids=[school.id], row_classrooms=classrooms)
    return board


def _fill(
    board: Dashboard, *, school_ids, row_schools=(), row_classrooms=(), with_groups=True
) -> None:
    """The headline, the table of `row_schools` or `row_classrooms` and, `with_groups`, the
    trend, the breakdowns, the channels and message reach (a classroom's page has its own trend
    and no groups: none of that is read for it)."""
    scope, period, grade = board.scope, board.period, board.grade
    district_id = scope.district.id
    dim, value = (Dim.GRADE, grade) if grade else (Dim.ALL, "")
    snapshots = Snapshot.objects.filter(district_id=district_id)
    stats = PeriodStats.objects.filter(district_id=district_id)
    states = FamilyState.objects.filter(
        district_id=district_id, last_active_at__gte=_active_since(scope)
    )
    messages = MessageStats.objects.filter(
        district_id=district_id, sent_on__gte=period.start, sent_on__lte=period.end
    )
    if school_ids is not None:
        snapshots = snapshots.filter(school_id__in=school_ids)
        stats = stats.filter(school_id__in=school_ids)
        states = states.filter(school_id__in=school_ids)
        messages = messages.filter(school_id__in=school_ids)
    if grade:
        states = states.filter(child__grade_level=grade)

    groups = [Dim.GRADE, Dim.LANGUAGE, Dim.DISADVANTAGED] if with_groups else []
    rows_wanted = (
        Q(dim=dim, value=value)
        | Q(dim__in=groups)
        | Q(dim=Dim.CLASSROOM, value__in=[str(c.id) for c in row_classrooms])
    )
    # 1. Snapshot rows: the whole place, per school, per classroom, and the breakdowns.
    snap_rows = [
        SnapRow(*row)
        for row in snapshots.filter(
            rows_wanted | Q(dim__in=[Dim.CHANNEL] if with_groups else [])
        ).values_list(*SnapRow._fields)
    ]
    # 2. Period counters, the same shape.
    stat_rows = [
        StatRow(*row)
        for row in stats.filter(rows_wanted, period=period.key).values_list(*StatRow._fields)
    ]
    # 3. Active in the last 30 days, per school (or classroom).
    if row_classrooms:
        active = Counter(
            dict(
                states.filter(
                    child__enrollments__classroom_id__in=[c.id for c in row_classrooms],
                    child__enrollments__is_active=True,
                )
                .values_list("child__enrollments__classroom_id")
                .annotate(n=Count("school"))
                .order_by()
            )
        )
        active_total = states.count()
    else:
        # COUNT(school) reads the index (district, last_active_at, school) only.
        active = Counter(
            dict(states.values_list("school_id").annotate(n=Count("school")).order_by())
        )
        active_total = sum(active.values())

    place_snap = _sum_rows(
        [r for r in snap_rows if (r.dim, r.value) == (dim, value)], SNAPSHOT, lambda r: "all"
    )["all"]
    place_stats = _sum_rows(
        [r for r in stat_rows if (r.dim, r.value) == (dim, value)], STATS, lambda r: "all"
    )["all"]
    # District-wide activities (no school) count in the district's headline only.
    board.headline = _headline(place_snap, place_stats, active_total)
    board.unreachable = {
        name: family_count(place_snap[name]) for name in ("no_contact", "opted_out", "not_accepted")
    }
    # The table: schools, or classrooms.
    if row_schools:
        snap_by = _sum_rows(
            [r for r in snap_rows if (r.dim, r.value) == (dim, value)],
            SNAPSHOT,
            lambda r: r.school_id,
        )
        stat_by = _sum_rows(
            [r for r in stat_rows if (r.dim, r.value) == (dim, value)], STATS, lambda r: r.school_id
        )
        places = [(s.id, s.name, s.id) for s in row_schools]
    else:
        snap_by = _sum_rows(
            [r for r in snap_rows if r.dim == Dim.CLASSROOM], SNAPSHOT, lambda r: int(r.value)
        )
        stat_by = _sum_rows(
            [r for r in stat_rows if r.dim == Dim.CLASSROOM], STATS, lambda r: int(r.value)
        )
        places = [(c.id, c.name, c.id) for c in row_classrooms]
    raw = [
        {
            "families": snap_by[key]["families"],
            "invited": snap_by[key]["invited"],
            "connected": snap_by[key]["connected"],
            "active_30d": active[key],
            "families_completed": stat_by[key]["families_completed"],
            "completions": stat_by[key]["completions"],
        }
        for key, _name, _id in places
    ]
    cells = suppress_table(raw, ROW_COUNTS, ROW_RATES)
    board.rows = [
        {"id": place_id, "name": name, **row}
        for (key, name, place_id), row in zip(places, cells, strict=True)
    ]
    if not with_groups:
        return
    # 4. The weekly trend.
    board.trend = _trend(board, stats, dim, value)
    # The breakdowns (the grade filter does not apply to them).
    for breakdown in groups:
        board.breakdowns[breakdown] = _breakdown(breakdown, snap_rows, stat_rows)
    board.gap = _gap(board.breakdowns[Dim.DISADVANTAGED])
    board.channels = _channels(snap_rows)
    # 5. Message reach in the period, by channel.
    board.reach = _reach(messages)


def _headline(snap: Counter, stats: Counter, active_total: int) -> dict[str, Cell]:
    families = snap["families"]
    cells = suppress_table(
        [
            {
                "families": families,
                "invited": snap["invited"],
                "connected": snap["connected"],
                "active_30d": active_total,
                "families_completed": stats["families_completed"],
                "completions": stats["completions"],
            }
        ],
        ROW_COUNTS,
        ROW_RATES,
    )[0]
    cells["activities_published"] = Cell(stats["activities_published"])
    return cells


def _trend(board: Dashboard, stats, dim, value) -> list[dict]:
    weeks = periods.recent_weeks(today_for(board.scope), TREND_WEEKS)
    totals = {
        row["period"]: row
        for row in stats.filter(period__in=[k for k, _m in weeks], dim=dim, value=value)
        .values("period")
        .annotate(**{name: Sum(name) for name in STATS})
        .order_by()
    }
    trend = []
    for key, monday in weeks:
        row = totals.get(key, {})
        trend.append(
            {
                "key": key,
                "monday": monday,
                "families_completed": family_count(row.get("families_completed") or 0),
                "families_active": family_count(row.get("families_active") or 0),
                "completions": family_count(row.get("completions") or 0),
                "activities_published": Cell(row.get("activities_published") or 0),
            }
        )
    return trend


def _breakdown(dim: str, snap_rows, stat_rows) -> list[dict]:
    snap = _sum_rows([r for r in snap_rows if r.dim == dim], SNAPSHOT, lambda r: r.value)
    stats = _sum_rows([r for r in stat_rows if r.dim == dim], STATS, lambda r: r.value)
    values = sorted(set(snap) | set(stats), key=_grade_order if dim == Dim.GRADE else str)
    raw = [
        {
            "families": snap[v]["families"],
            "connected": snap[v]["connected"],
            "families_completed": stats[v]["families_completed"],
            "families_active": stats[v]["families_active"],
            "completions": stats[v]["completions"],
        }
        for v in values
    ]
    cells = suppress_table(raw, BREAKDOWN_COUNTS, BREAKDOWN_RATES)
    return [
        {"value": v, "label": _group_label(dim, v), **row}
        for v, row in zip(values, cells, strict=True)
    ]


CHANNEL_LABELS = {
    "both": _("Text message and email"),
    "sms": _("Text message only"),
    "email": _("Email only"),
    "none": _("Cannot be reached"),
}


def _channels(snap_rows) -> list[dict]:
    """Families by how they can be reached now, with how many of them are connected."""
    snap = _sum_rows([r for r in snap_rows if r.dim == Dim.CHANNEL], SNAPSHOT, lambda r: r.value)
    values = [v for v in CHANNEL_LABELS if v in snap]
    raw = [{"families": snap[v]["families"], "connected": snap[v]["connected"]} for v in values]
    cells = suppress_table(raw, ["connected"], {"connected_rate": ("connected", "families")})
    return [
        {"value": v, "label": str(CHANNEL_LABELS[v]), **row}
        for v, row in zip(values, cells, strict=True)
    ]


def _group_label(dim: str, value: str) -> str:
    if dim == Dim.DISADVANTAGED:
        return str(DISADVANTAGE_LABELS.get(value, value))
    if dim == Dim.LANGUAGE:
        from tenants.models import LANGUAGE_CHOICES

        return str(dict(LANGUAGE_CHOICES).get(value, value or _("Not recorded")))
    return value or str(_("Not recorded"))


def _gap(rows: list[dict]) -> Cell | None:
    """Participation of disadvantaged families minus that of the others, in points (None when
    either is hidden or missing)."""
    by_value = {row["value"]: row["participation"] for row in rows}
    yes, no = by_value.get("yes"), by_value.get("no")
    if yes is None or no is None or yes.hidden or no.hidden:
        return None
    return Cell(round((yes.value - no.value) * 100))


def _reach(messages) -> list[dict]:
    """By channel: messages, how many went out, and of those the share delivered (and, for
    email, opened), failed, and not sent because the family opted out."""
    names = ("recipients", "sent", "delivered", "opened", "failed", "suppressed")
    rows = messages.values("channel").annotate(**{n: Sum(n) for n in names}).order_by("channel")
    reach = []
    for row in rows:
        sent = row["sent"] or 0
        reach.append(
            {
                "channel": row["channel"],
                "recipients": Cell(row["recipients"] or 0),
                "sent": Cell(sent),
                "delivered": Cell(row["delivered"] / sent if sent else 0.0, True),
                "opened": Cell(row["opened"] / sent if sent else 0.0, True)
                if row["channel"] == "email"
                else None,
                "failed": Cell(row["failed"] or 0),
                "suppressed": Cell(row["suppressed"] or 0),
            }
        )
    return reach


# --- The classroom dashboard, for its teachers: which families to reach next.


@dataclass
class FamilyLine:
    child_name: str
    status: (
        str  # "not_invited", "no_contact", "opted_out", "not_accepted", "not_engaged", "engaged"
    )
    guardian_ids: list[int]
    completions: int


FAMILY_STATUS_LABELS = {
    "no_contact": _("No phone or email on file"),
    "opted_out": _("Opted out or unreachable"),
    "not_invited": _("Not invited yet"),
    "not_accepted": _("Invited, not joined yet"),
    "not_engaged": _("Joined, nothing completed this period"),
    "engaged": _("Completed something this period"),
}


def get_classroom_dashboard(scope: Scope, classroom: Classroom, *, period_key: str = ""):
    """A classroom's figures and its families by how far they are reached (for its teachers:
    names are of their own class, which they see anyway)."""
    from dashboards.rebuild import family_contacts
    from guardians.models import Enrollment

    period, options = choose_period(scope, period_key)
    board = Dashboard(
        "classroom", scope, period, options, classroom=classroom, school=classroom.school
    )
    _fill(board, school_ids=[classroom.school_id], row_classrooms=[classroom], with_groups=False)
    # The classroom's own row is its headline.
    row = board.rows[0] if board.rows else {}
    board.headline = {**board.headline, **{k: v for k, v in row.items() if isinstance(v, Cell)}}
    board.rows = []
    board.trend = _classroom_trend(board, classroom)
    enrollments = list(
        Enrollment.objects.filter(
            district_id=scope.district.id,
            classroom_id=classroom.id,
            is_active=True,
            child__is_active=True,
        )
        .select_related("child")
        .order_by("child__last_name", "child__first_name")
    )
    child_ids = [e.child_id for e in enrollments]
    contacts = family_contacts(child_ids)
    completions = dict(
        FamilyPeriod.objects.filter(
            district_id=scope.district.id, child_id__in=child_ids, period=period.key
        ).values_list("child_id", "completions")
    )
    families = []
    for enrollment in enrollments:
        status = contacts.status(enrollment.child_id)
        done = completions.get(enrollment.child_id, 0)
        if status["connected"]:
            state = "engaged" if done else "not_engaged"
        elif status["no_contact"]:
            state = "no_contact"
        elif status["opted_out"]:
            state = "opted_out"
        else:
            state = "not_accepted" if status["invited"] else "not_invited"
        families.append(
            FamilyLine(
                child_name=enrollment.child.display_name,
                status=state,
                guardian_ids=contacts.guardian_ids(enrollment.child_id),
                completions=done,
            )
        )
    return board, families


def _classroom_trend(board: Dashboard, classroom: Classroom) -> list[dict]:
    weeks = periods.recent_weeks(today_for(board.scope), TREND_WEEKS)
    rows = {
        row["period"]: row
        for row in FamilyPeriod.objects.filter(
            district_id=board.scope.district.id,
            classroom_id=classroom.id,
            period__in=[k for k, _m in weeks],
        )
        .values("period")
        .annotate(
            families_completed=Count("id", filter=Q(completions__gt=0)),
            families_active=Count("id", filter=Q(completions__gt=0) | Q(signed_in=True)),
            completions=Sum("completions"),
        )
        .order_by()
    }
    return [
        {
            "key": key,
            "monday": monday,
            "families_completed": family_count(rows.get(key, {}).get("families_completed") or 0),
            "families_active": family_count(rows.get(key, {}).get("families_active") or 0),
            "completions": family_count(rows.get(key, {}).get("completions") or 0),
            "activities_published": Cell(None),
        }
        for key, monday in weeks
    ]

"""Writers of the dashboard rollups, called by the actions that change the facts, inside their
transactions (docs/DASHBOARDS.md).

- `record_completion`: a child's first submission of an activity (activities.actions.submissions).
- `record_sign_in`: a guardian signed in (the user_logged_in receiver in dashboards.apps).
- `record_publication`: an activity was published for the first time (activities authoring).
- `schedule_snapshot_refresh` / `schedule_message_refresh`: a school's families or a message's
  deliveries changed; the aggregate is recounted after commit (at most every 30 s per school or
  message when a worker runs them, at once in the embedded mode).
- `schedule_repair`: rows were deleted or restored (privacy.archive); the schools' rollups are
  recounted from the facts after commit.

Counters move with `UPDATE ... SET n = n + 1` on rows locked in id order, so concurrent writers
never lose an update nor deadlock on each other.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from dashboards.models import Dim, FamilyPeriod, FamilyState, PeriodStats
from dashboards.periods import keys_for, local_date

REFRESH_DELAY_S = 30
COUNTERS = ("families_completed", "completions", "families_active", "activities_published")


def disadvantage_value(child) -> str:
    """The group a child counts in for the disadvantage gap: "yes", "no" or "unknown"."""
    value = child.is_disadvantaged
    return "unknown" if value is None else ("yes" if value else "no")


def family_language(child, default: str) -> str:
    """A pupil's family's home language: the preferred language of their first linked guardian."""
    from guardians.models import GuardianLink

    language = (
        GuardianLink.objects.filter(child_id=child.id, is_active=True)
        .order_by("id")
        .values_list("guardian__preferred_language", flat=True)
        .first()
    )
    return language or default


def groups_of(row: FamilyPeriod, disadvantaged: str) -> list[tuple[str, str]]:
    """The (dim, value) groups a family-period row counts in."""
    return [
        (Dim.ALL, ""),
        (Dim.CLASSROOM, str(row.classroom_id or "")),
        (Dim.GRADE, row.grade),
        (Dim.LANGUAGE, row.language),
        (Dim.DISADVANTAGED, disadvantaged),
    ]


def record_completion(submission, child, *, timezone_name: str, default_language: str) -> None:
    """Count a child's first submission of an activity in its week, month and school year."""
    keys = keys_for(local_date(submission.submitted_at, timezone_name))
    rows = _lock_family_rows(
        child,
        keys,
        # Only read when a row is missing (a family's first completion or sign-in of a period).
        lambda: {
            "school_id": submission.school_id,
            "classroom_id": submission.classroom_id,
            "grade": child.grade_level,
            "language": family_language(child, default_language),
        },
    )
    FamilyPeriod.objects.filter(id__in=[r.id for r in rows]).update(
        completions=F("completions") + 1
    )
    disadvantaged = disadvantage_value(child)
    increments = {}
    for row in rows:
        first = row.completions == 0
        bump = {"completions": 1}
        if first:
            bump["families_completed"] = 1
            if not row.signed_in:
                bump["families_active"] = 1
        for dim, value in groups_of(row, disadvantaged):
            increments[(row.school_id, row.period, dim, value)] = bump
    add_to_stats(child.district_id, increments)
    _touch_state(child, submission.submitted_at)


def record_sign_in(user, *, now: datetime.datetime | None = None) -> None:
    """A guardian signed in: each of their children's families is active this week, month and
    year. Staff and children the school removed are not families here."""
    from guardians.models import GuardianLink

    now = now or timezone.now()
    links = list(
        GuardianLink.objects.filter(
            guardian_id=user.id, is_active=True, has_access=True, child__is_active=True
        )
        .select_related("child__school", "child__district")
        .order_by("child_id")
    )
    if not links:
        return
    with transaction.atomic():
        for link in links:
            _record_child_sign_in(link.child, user, now)
    schedule_family_refresh([user.id])  # a first sign-in connects the family


def _record_child_sign_in(child, user, now) -> None:
    from guardians.models import Enrollment

    keys = keys_for(local_date(now, child.school.timezone or child.district.timezone))
    classroom_id = (
        Enrollment.objects.filter(
            child_id=child.id, is_active=True, classroom__school_year__is_current=True
        )
        .order_by("classroom_id")
        .values_list("classroom_id", flat=True)
        .first()
    )
    defaults = {
        "school_id": child.school_id,
        "classroom_id": classroom_id,
        "grade": child.grade_level,
        "language": family_language(child, child.district.default_language),
    }
    rows = [r for r in _lock_family_rows(child, keys, lambda: defaults) if not r.signed_in]
    if rows:
        FamilyPeriod.objects.filter(id__in=[r.id for r in rows]).update(signed_in=True)
        disadvantaged = disadvantage_value(child)
        increments = {
            (row.school_id, row.period, dim, value): {"families_active": 1}
            for row in rows
            if row.completions == 0
            for dim, value in groups_of(row, disadvantaged)
        }
        add_to_stats(child.district_id, increments)
    _touch_state(child, now)


def record_publication(activity, *, timezone_name: str) -> None:
    """An activity published for the first time counts in its school's (or, district-wide, the
    district's) week, month and year."""
    keys = keys_for(local_date(activity.published_at, timezone_name))
    add_to_stats(
        activity.district_id,
        {(activity.school_id, key, Dim.ALL, ""): {"activities_published": 1} for key in keys},
    )


def _lock_family_rows(child, keys: list[str], defaults) -> list[FamilyPeriod]:
    """The child's rows of these periods, locked in id order; missing ones are created first
    with `defaults()` (read only then: most writes find every row there, one statement)."""
    rows = FamilyPeriod.objects.select_for_update().filter(child_id=child.id, period__in=keys)
    found = list(rows.order_by("id"))
    if len(found) == len(keys):
        return found
    values = defaults()
    FamilyPeriod.objects.bulk_create(
        [
            FamilyPeriod(district_id=child.district_id, child_id=child.id, period=key, **values)
            for key in keys
        ],
        ignore_conflicts=True,
    )
    return list(rows.order_by("id"))


def _touch_state(child, moment) -> None:
    updated = FamilyState.objects.filter(child_id=child.id, last_active_at__lt=moment).update(
        last_active_at=moment, school_id=child.school_id
    )
    if not updated:
        FamilyState.objects.bulk_create(
            [
                FamilyState(
                    district_id=child.district_id,
                    child_id=child.id,
                    school_id=child.school_id,
                    last_active_at=moment,
                )
            ],
            ignore_conflicts=True,
        )


def add_to_stats(district_id: int, increments: dict[tuple, dict[str, int]]) -> None:
    """Add to counters: {(school_id, period, dim, value): {counter: n}}; rows are created at
    zero first, then locked in id order and updated, one UPDATE per distinct increment."""
    if not increments:
        return
    rows = _lock_stats_rows(district_id, list(increments))
    by_increment = defaultdict(list)
    for row_id, *key in rows:
        by_increment[tuple(sorted(increments[tuple(key)].items()))].append(row_id)
    for bump, ids in by_increment.items():
        PeriodStats.objects.filter(id__in=ids).update(
            **{name: F(name) + amount for name, amount in bump}
        )


def _lock_stats_rows(district_id: int, keys: list[tuple]) -> list[tuple]:
    """(id, school_id, period, dim, value) of the stats rows of `keys`, locked in id order;
    missing rows are created at zero first (most writes find every row there: one statement)."""
    periods_of_group = defaultdict(list)  # the same groups recur in each period: a short filter
    for school_id, period, dim, value in keys:
        periods_of_group[(school_id, dim, value)].append(period)
    match = Q()
    for (school_id, dim, value), periods in periods_of_group.items():
        match |= Q(school_id=school_id, dim=dim, value=value, period__in=periods)
    rows = (
        PeriodStats.objects.select_for_update()
        .filter(match, district_id=district_id)
        .order_by("id")
        .values_list("id", "school_id", "period", "dim", "value")
    )
    found = list(rows)
    if len(found) == len(keys):
        return found
    PeriodStats.objects.bulk_create(
        [
            PeriodStats(district_id=district_id, school_id=s, period=p, dim=d, value=v)
            for (s, p, d, v) in keys
        ],
        ignore_conflicts=True,
    )
    return list(rows.all())  # a fresh query: `rows` holds its first answer


def _schedule(task, key: str, object_id: int) -> None:
    """Run `task(object_id)` after commit; with a worker, at most once per REFRESH_DELAY_S."""

    def run():
        if settings.CELERY_TASK_ALWAYS_EAGER:
            task.delay(object_id)
        elif cache.add(f"dashboards:{key}:{object_id}", 1, timeout=REFRESH_DELAY_S):
            task.apply_async((object_id,), countdown=REFRESH_DELAY_S)

    transaction.on_commit(run)


def schedule_snapshot_refresh(school_id: int) -> None:
    from dashboards import tasks

    _schedule(tasks.refresh_school_snapshot, "snapshot", school_id)


def schedule_message_refresh(message_id: int) -> None:
    from dashboards import tasks

    _schedule(tasks.refresh_message_stats, "message", message_id)


def schedule_repair(school_ids) -> None:
    """Recount these schools' rollups from the facts after commit (rows deleted or restored)."""
    from dashboards import tasks

    for school_id in sorted({s for s in school_ids if s}):
        transaction.on_commit(lambda s=school_id: tasks.repair_school.delay(s))


def schedule_family_refresh(guardian_ids) -> None:
    """These guardians' invites, contacts or links changed: refresh their children's schools."""
    guardian_ids = sorted(set(guardian_ids))

    def run():
        from guardians.models import GuardianLink

        school_ids = set(
            GuardianLink.objects.filter(guardian_id__in=guardian_ids).values_list(
                "child__school_id", flat=True
            )
        )
        for school_id in sorted(school_ids):
            schedule_snapshot_refresh(school_id)

    if guardian_ids:
        transaction.on_commit(run)


def schedule_district_refresh(district_id: int) -> None:
    """A roster import changed the district's families: refresh every school's snapshot."""

    def run():
        from tenants.models import School

        for school_id in School.objects.filter(district_id=district_id).values_list(
            "id", flat=True
        ):
            schedule_snapshot_refresh(school_id)

    transaction.on_commit(run)


def schools_of_rows(rows_by_model: dict) -> set[int]:
    """The schools whose dashboards count any of these rows ({model: ids}): children,
    submissions, and guardians' links to children (a family's contacts)."""
    from activities.models import Submission
    from guardians.models import Child, GuardianLink

    schools = set()
    for model, field in ((Child, "school_id"), (Submission, "school_id")):
        ids = rows_by_model.get(model)
        if ids:
            schools |= set(model._base_manager.filter(pk__in=ids).values_list(field, flat=True))
    link_ids = rows_by_model.get(GuardianLink)
    if link_ids:
        schools |= set(
            GuardianLink._base_manager.filter(pk__in=link_ids).values_list(
                "child__school_id", flat=True
            )
        )
    return schools

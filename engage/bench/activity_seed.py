"""Activities and submissions for the bench district, at the scale of its children.

On top of `engage.bench.seed` (schools, classrooms, children, families): ACTIVITIES published
activities per classroom, spread over the weeks up to now, and for each child a share of them
completed (BASE +/- DELTAS, so the district's total is exactly children x BASE: 2,000,000 at the
district scale), each submission a little after its activity was published, by the child's first
guardian; with the children's progress rows (some nicknames, some families off the leaderboard)
and a few schools that show nicknames. Submissions go in by PostgreSQL COPY (bulk_create
elsewhere); nothing is audited, as no benchmark reads that.

Reused between runs: a marker template activity names the seed's version and scale. Anything
else removes the activity data of the bench district (plain DELETEs, leaf tables first) and seeds
again, all in one transaction, so an interrupted seed leaves nothing behind.
"""

import datetime
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from activities.models import (
    Activity,
    ActivityTarget,
    ChildProgress,
    SchoolActivitySettings,
    Submission,
)
from engage.bench.seed import BenchData
from engage.seeding import delete_activity_rows
from guardians.models import Enrollment, GuardianLink
from tenants.models import District

ACTIVITY_SEED_VERSION = 2
BATCH_SIZE = 2000
COPY_BATCH = 20_000
SPREAD_WEEKS = 15
MARKER_TITLE = "Bench activity seed"


@dataclass(frozen=True)
class ActivityScale:
    activities_per_classroom: int
    base_completions: int
    deltas: tuple[int, ...]


ACTIVITY_SCALES = {
    "tiny": ActivityScale(6, 4, (-2, -1, 0, 1, 2)),
    "small": ActivityScale(48, 40, (-8, -4, 0, 4, 8)),
    "district": ActivityScale(48, 40, (-8, -4, 0, 4, 8)),
}


@dataclass(frozen=True)
class ActivityData:
    district: District
    activities: int
    submissions: int


def marker_title(scale_name: str) -> str:
    return f"{MARKER_TITLE} {ACTIVITY_SEED_VERSION} ({scale_name})"


def get_or_seed_activity_data(data: BenchData, *, write: Callable[[str], None]) -> ActivityData:
    """The bench district's activities and submissions: reused when present, else (re)seeded."""
    district, title = data.district, marker_title(data.scale.name)
    if Activity.objects.filter(district_id=district.id, is_template=True, title=title).exists():
        write(f"Reusing the bench activities ({data.scale.name}).")
        return _counted(district)
    started = time.monotonic()
    with transaction.atomic():
        delete_activity_data(district)
        scale = ACTIVITY_SCALES.get(data.scale.name, ACTIVITY_SCALES["small"])
        write(
            f"Seeding bench activities: {scale.activities_per_classroom} per classroom, about "
            f"{scale.base_completions} submissions per child."
        )
        _seed(district, scale, data.scale.name)
    _analyze()
    seeded = _counted(district)
    write(
        f"Seeded {seeded.activities:,} activities and {seeded.submissions:,} submissions in "
        f"{time.monotonic() - started:.1f} s."
    )
    return seeded


def _counted(district: District) -> ActivityData:
    return ActivityData(
        district=district,
        activities=Activity.objects.filter(district_id=district.id, is_template=False).count(),
        submissions=Submission.objects.filter(district_id=district.id).count(),
    )


def delete_activity_data(district: District) -> None:
    """Every activity row of the bench district, leaf tables first, without loading them."""
    delete_activity_rows(district)


def _seed(district: District, scale: ActivityScale, scale_name: str) -> None:
    now = timezone.now()
    enrollments = list(
        Enrollment.objects.filter(district_id=district.id, is_active=True)
        .order_by("classroom_id", "child_id")
        .values_list("classroom_id", "school_id", "child_id")
    )
    classrooms = sorted({(classroom, school) for classroom, school, _child in enrollments})
    activities = _seed_activities(district, classrooms, scale, now)
    guardians = dict(
        GuardianLink.objects.filter(district_id=district.id, contact_role="primary").values_list(
            "child_id", "guardian_id"
        )
    )
    rows = _submission_rows(district, enrollments, activities, guardians, scale, now)
    if connection.vendor == "postgresql":
        _copy_submissions(rows)
    else:
        Submission.objects.bulk_create((Submission(**row) for row in rows), batch_size=BATCH_SIZE)
    _seed_progress(district, enrollments, activities, scale)
    _seed_school_settings(district, sorted({school for _c, school in classrooms}))
    Activity.objects.create(
        district=district, kind=Activity.Kind.TASK, title=marker_title(scale_name), is_template=True
    )


def _seed_activities(district, classrooms, scale: ActivityScale, now) -> dict[int, list]:
    """{classroom id: [(activity id, published at, points), ...]} oldest first."""
    start = now - datetime.timedelta(weeks=SPREAD_WEEKS)
    step = (now - start) / scale.activities_per_classroom
    planned = []
    for classroom_id, school_id in classrooms:
        for number in range(scale.activities_per_classroom):
            published = start + step * number
            planned.append(
                (
                    classroom_id,
                    Activity(
                        district_id=district.id,
                        school_id=school_id,
                        kind=(Activity.Kind.TASK, Activity.Kind.READING)[number % 2],
                        title=f"Bench activity {number + 1}",
                        instructions="Do this together at home.",
                        points=10 + 5 * (number % 3),
                        status=Activity.Status.PUBLISHED,
                        published_at=published,
                        created_at=published,
                        updated_at=published,
                    ),
                )
            )
    Activity.objects.bulk_create([a for _c, a in planned], batch_size=BATCH_SIZE)
    ActivityTarget.objects.bulk_create(
        [
            ActivityTarget(
                district_id=district.id,
                activity_id=activity.id,
                school_id=activity.school_id,
                classroom_id=classroom_id,
            )
            for classroom_id, activity in planned
        ],
        batch_size=BATCH_SIZE,
    )
    by_classroom: dict[int, list] = {}
    for classroom_id, activity in planned:
        by_classroom.setdefault(classroom_id, []).append(
            (activity.id, activity.published_at, activity.points)
        )
    return by_classroom


def _completed(scale: ActivityScale, index: int, child_id: int) -> list[int]:
    """Which of its classroom's activities (by position) the index-th child completed."""
    count = scale.base_completions + scale.deltas[index % len(scale.deltas)]
    return sorted(random.Random(child_id).sample(range(scale.activities_per_classroom), count))


def _submission_rows(district, enrollments, activities, guardians, scale, now):
    """One dict of Submission values per completion (a generator: 2,000,000 rows at scale), in
    the order they would have arrived (activity by activity, families at different hours), so
    a classroom's submissions lie spread over the table as in a real one."""
    latest = now - datetime.timedelta(minutes=1)
    recent, approved = now - datetime.timedelta(days=7), Submission.Status.APPROVED
    completed = [
        frozenset(_completed(scale, index, child_id))
        for index, (_classroom_id, _school_id, child_id) in enumerate(enrollments)
    ]
    for position in range(scale.activities_per_classroom):
        batch = []
        for index, (classroom_id, school_id, child_id) in enumerate(enrollments):
            if position not in completed[index]:
                continue
            activity_id, published, _points = activities[classroom_id][position]
            submitted = min(published + datetime.timedelta(hours=1 + (child_id * 7) % 70), latest)
            batch.append((submitted, classroom_id, school_id, child_id, activity_id))
        batch.sort()
        for submitted, classroom_id, school_id, child_id, activity_id in batch:
            yield {
                "district_id": district.id,
                "school_id": school_id,
                "activity_id": activity_id,
                "child_id": child_id,
                "classroom_id": classroom_id,
                "guardian_id": guardians.get(child_id),
                "text": "We did it together.",
                # The last week's work waits for review; older work was approved.
                "status": Submission.Status.SUBMITTED if submitted > recent else approved,
                "submitted_at": submitted,
                "updated_at": submitted,
            }


def _copy_submissions(rows) -> None:
    """PostgreSQL COPY: the columns named, the others (answers, flags) from their defaults."""
    fields = [f for f in Submission._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    defaults["answers"] = "{}"
    names = [f.attname for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(Submission._meta.db_table)
    batch = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append([row.get(name, defaults[name]) for name in names])
            if len(batch) == COPY_BATCH:
                _copy(cursor, table, columns, batch)
                batch = []
        if batch:
            _copy(cursor, table, columns, batch)


def _copy(cursor, table: str, columns: str, batch: list) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for values in batch:
            copy.write_row(values)


def _seed_progress(district, enrollments, activities, scale: ActivityScale) -> None:
    """Each child's progress row: every 7th family picked a nickname, every 13th stays off."""
    rows = []
    for index, (classroom_id, school_id, child_id) in enumerate(enrollments):
        done = [
            activities[classroom_id][position] for position in _completed(scale, index, child_id)
        ]
        rows.append(
            ChildProgress(
                district_id=district.id,
                school_id=school_id,
                child_id=child_id,
                completions=len(done),
                points=sum(points for _id, _published, points in done),
                nickname=f"Team {child_id % 997}" if index % 7 == 0 else "",
                is_on_leaderboard=index % 13 != 0,
            )
        )
    ChildProgress.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _seed_school_settings(district, school_ids: list[int]) -> None:
    """Every fifth school shows nicknames."""
    SchoolActivitySettings.objects.bulk_create(
        [
            SchoolActivitySettings(
                district_id=district.id,
                school_id=school_id,
                leaderboard_name_style=SchoolActivitySettings.NameStyle.NICKNAME,
            )
            for school_id in school_ids[::5]
        ]
    )


def _analyze() -> None:
    """Fresh statistics, and on PostgreSQL the visibility map autovacuum would have set on a
    table that old (index-only scans read it), as a long-running database has them."""
    models = (Activity, ActivityTarget, Submission, ChildProgress, SchoolActivitySettings)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
            cursor.execute(f"VACUUM (ANALYZE) {tables}")
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")

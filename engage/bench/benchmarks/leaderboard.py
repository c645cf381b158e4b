"""Leaderboards at the scale of the bench district (with its activities and submissions).

leaderboard_p95_ms: the larger of the two 95th percentiles below, the figure the target is about.
leaderboard_classroom_p95_ms: wall time of `get_classroom_leaderboard` (the school's settings and
the ranked rows, as a teacher's or family's page asks for them) for SAMPLES classrooms drawn at
random across the district, one after another, in this process.
leaderboard_school_p95_ms: the same for `get_school_leaderboard` (every classroom of a school by
participation this week and this school year), SAMPLES draws of the district's schools.
leaderboard_district_ms: the median of a few `get_district_leaderboard` calls (not targeted).

A warm-up of WARM_UP calls of each kind runs first, untimed; the database is whatever the run
uses (PostgreSQL for the figures in docs/BENCHMARKS.md).
"""

import random
import statistics
import time

from activities.queries.leaderboards import (
    get_classroom_leaderboard,
    get_district_leaderboard,
    get_school_leaderboard,
)
from engage.bench.activity_seed import get_or_seed_activity_data
from engage.bench.registry import BenchContext, BenchError, Metrics, benchmark, p95
from tenants.models import Classroom, School

SAMPLES = 200
WARM_UP = 20
DISTRICT_CALLS = 5


@benchmark("leaderboard")
def leaderboard(context: BenchContext) -> Metrics:
    """Classroom and school leaderboards at scale: p95 in ms."""
    data = context.data
    seeded = get_or_seed_activity_data(data, write=context.write)
    district = data.district
    classrooms = list(
        Classroom.objects.filter(district_id=district.id, is_active=True).order_by("id")
    )
    schools = list(
        School.objects.filter(district_id=district.id, is_active=True)
        .select_related("district")
        .order_by("id")
    )
    if not classrooms or not schools:
        raise BenchError("The bench district has no classrooms.")
    rng = random.Random(5)
    classroom_ms = _timed(get_classroom_leaderboard, classrooms, rng)
    school_ms = _timed(get_school_leaderboard, schools, rng)
    district_ms = [_time_one(get_district_leaderboard, district) for _ in range(DISTRICT_CALLS)]
    classroom_p95, school_p95 = p95(classroom_ms), p95(school_ms)
    context.write(
        f"leaderboard: {seeded.submissions:,} submissions, {len(classrooms):,} classrooms, "
        f"{len(schools)} schools; classroom median {statistics.median(classroom_ms):.1f} ms, "
        f"p95 {classroom_p95:.1f} ms; school median {statistics.median(school_ms):.1f} ms, "
        f"p95 {school_p95:.1f} ms ({SAMPLES} random draws each); district median "
        f"{statistics.median(district_ms):.0f} ms"
    )
    return {
        "leaderboard_p95_ms": round(max(classroom_p95, school_p95), 1),
        "leaderboard_classroom_p95_ms": round(classroom_p95, 1),
        "leaderboard_school_p95_ms": round(school_p95, 1),
        "leaderboard_district_ms": round(statistics.median(district_ms), 1),
    }


def _timed(function, places: list, rng: random.Random) -> list[float]:
    for place in rng.choices(places, k=WARM_UP):
        function(place)
    return [_time_one(function, place) for place in rng.choices(places, k=SAMPLES)]


def _time_one(function, place) -> float:
    started = time.perf_counter()
    function(place)
    return (time.perf_counter() - started) * 1000

"""Building a district at the run's scale with `engage.seeding.seed_scale`.

seed_scale_s: wall time of `seed_scale` (every row, COPY on PostgreSQL, and the ANALYZE after)
at the run's scale (`SCALE_SPECS`: district is 50 schools, 2,000 classrooms, 50,000 children,
75,000 guardians, 2,000,000 submissions), into a scratch district that is removed before and
after, so the bench district and any other data stay as they were.
"""

import time

from engage.bench.registry import BenchContext, Metrics, benchmark
from engage.seeding import SCALE_SPECS, delete_seeded_district, seed_scale
from tenants.models import District

SLUG = "bench-seed-scale"


@benchmark("seed_scale")
def seed_scale_benchmark(context: BenchContext) -> Metrics:
    """Seeding a realistic district at the run's scale: seconds."""
    spec = SCALE_SPECS.get(context.scale, SCALE_SPECS["small"])
    _remove()
    started = time.monotonic()
    try:
        seed_scale(spec, slug=SLUG, seed=1, write=lambda line: None)
        elapsed = time.monotonic() - started
    finally:
        _remove()
    context.write(
        f"seed_scale: {spec.schools} schools, {spec.classrooms:,} classrooms, "
        f"{spec.children:,} children, {spec.guardians:,} guardians, "
        f"{spec.submissions:,} submissions in {elapsed:.1f} s"
    )
    return {"seed_scale_s": round(elapsed, 1)}


def _remove() -> None:
    district = District.objects.filter(slug=SLUG).first()
    if district is not None:
        delete_seeded_district(district)

"""A realistic district at a chosen size, for benchmarks and for trying the product at scale.

What: `seed_scale(spec, slug=..., seed=...)` builds one district: schools, classrooms (grades
spread), a teacher each, families of 1-3 children with 1-2 guardians (en/es, email-only,
SMS-only or both, some never joined, sign-ins over the past months), some children recorded as
disadvantaged (encrypted, with keyed hashes), activities per classroom over the school year
(published, some closed, due dates), exactly `spec.submissions` submissions with a participation
skew (very active, occasional, never), progress rows, and announcements with deliveries.

How: the district, its year and schools go through the actions (audited); the volume goes in by
PostgreSQL COPY (bulk_create elsewhere) with the tenant columns copied from the parent rows and
every field prepared by the model field itself, so encrypted columns hold ciphertext and their
keyed hashes are filled. One transaction: an interrupted seed leaves nothing behind.

Safe to re-run: an existing district is refused unless `replace=True`, and only a district this
module seeded (its name says so) is ever replaced. Seeded people are at `@<slug>.seed.invalid`.
"""

import time
from collections.abc import Callable

from django.db import transaction

from activities.models import Activity, Submission
from dashboards.models import FamilyPeriod, FamilyState, MessageStats, PeriodStats, Snapshot
from dashboards.rebuild import rebuild_district
from engage.seeding.district import DistrictSeeder
from engage.seeding.rows import analyze, delete_activity_rows, delete_district_rows, insert_rows
from engage.seeding.spec import (
    NAME_PREFIX,
    SCALE_SPECS,
    ScaleSpec,
    SeedError,
    email_domain,
    seed_label,
)
from guardians.models import Child, Enrollment, GuardianLink
from notifications.models import Delivery, Message, NotificationPreference
from privacy.models import Consent, PolicyVersion
from tenants.models import Classroom, District, Membership, Role, School, User

__all__ = [
    "SCALE_SPECS",
    "ScaleSpec",
    "SeedError",
    "count_district_rows",
    "delete_activity_rows",
    "delete_seeded_district",
    "insert_rows",
    "seed_label",
    "seed_scale",
]


def seed_scale(
    spec: ScaleSpec,
    *,
    slug: str,
    seed: int = 1,
    replace: bool = False,
    write: Callable[[str], None] = print,
) -> District:
    """Build the district `slug` at `spec`; raises SeedError if it exists and may not go."""
    started = time.monotonic()
    with transaction.atomic():
        existing = District.objects.filter(slug=slug).first()
        if existing is not None:
            if not replace:
                raise SeedError(f"District {slug!r} exists; pass --replace to rebuild it.")
            if not existing.name.startswith(NAME_PREFIX):
                raise SeedError(f"District {slug!r} was not seeded by seed_scale; not replacing.")
            write(f"Removing district {slug!r}.")
            delete_seeded_district(existing)
            write(f"Removed in {time.monotonic() - started:.1f} s.")
            started = time.monotonic()
        district = DistrictSeeder(spec, slug=slug, seed=seed, write=write, started=started).run()
        analyze()
        # The dashboards' rollups, as the nightly rebuild makes them (dashboards.rebuild).
        rebuilt = time.monotonic()
        rebuild_district(district)
        write(f"Dashboard rollups built in {time.monotonic() - rebuilt:.1f} s.")
    analyze()
    write(f"Seeded district {slug!r} in {time.monotonic() - started:.1f} s.")
    return district


@transaction.atomic
def delete_seeded_district(district: District) -> None:
    """Every row of a seeded district, leaf tables first with plain DELETEs, then its people."""
    delete_district_rows(district, (FamilyPeriod, FamilyState, PeriodStats, Snapshot, MessageStats))
    delete_activity_rows(district)
    delete_district_rows(
        district,
        (Delivery, Message, Consent, PolicyVersion, Enrollment, GuardianLink, Membership),
    )
    delete_district_rows(district, (Child, Classroom))
    domain = email_domain(district.slug)
    district.delete()
    # scope-exempt: seeded people are found by their reserved email domain, this district's only.
    NotificationPreference.objects.filter(user__email__endswith=f"@{domain}").delete()
    User.objects.filter(email__endswith=f"@{domain}").delete()


def count_district_rows(district: District) -> dict[str, int]:
    """{what: rows} of the district's main tables, for the summary and the tests."""
    models = {
        "schools": School,
        "classrooms": Classroom,
        "children": Child,
        "guardians": Membership,
        "links": GuardianLink,
        "enrollments": Enrollment,
        "activities": Activity,
        "submissions": Submission,
        "messages": Message,
        "deliveries": Delivery,
    }
    counts = {name: model.objects.filter(district_id=district.id) for name, model in models.items()}
    counts["guardians"] = counts["guardians"].filter(role=Role.GUARDIAN)
    return {name: queryset.count() for name, queryset in counts.items()}

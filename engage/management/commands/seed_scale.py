"""`manage.py seed_scale`: build a realistic district at size (see engage/seeding/).

    manage.py seed_scale --schools 50 --classrooms 2000 --children 50000 --guardians 75000 \
        --submissions 2000000 [--district SLUG] [--seed N] [--replace]
"""

import time

from django.core.management.base import BaseCommand, CommandError

from engage.seeding import ScaleSpec, SeedError, count_district_rows, seed_scale


class Command(BaseCommand):
    help = "Seed a realistic district at the given size (PostgreSQL COPY; bulk inserts elsewhere)."

    def add_arguments(self, parser):
        for name, default in [
            ("schools", 50),
            ("classrooms", 2_000),
            ("children", 50_000),
            ("guardians", 75_000),
            ("submissions", 2_000_000),
            ("activities-per-classroom", 0),
        ]:
            parser.add_argument(f"--{name}", type=int, default=default)
        parser.add_argument("--district", default="scale", help="The district's slug.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (deterministic).")
        parser.add_argument("--replace", action="store_true", help="Rebuild an existing one.")

    def handle(self, *args, district, seed, replace, **options):
        started = time.monotonic()
        try:
            spec = ScaleSpec(
                schools=options["schools"],
                classrooms=options["classrooms"],
                children=options["children"],
                guardians=options["guardians"],
                submissions=options["submissions"],
                activities_per_classroom=options["activities_per_classroom"],
            )
            seeded = seed_scale(
                spec, slug=district, seed=seed, replace=replace, write=self.stdout.write
            )
        except (SeedError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(_summary(seeded, time.monotonic() - started)))


def _summary(district, elapsed: float) -> str:
    counts = count_district_rows(district)
    figures = ", ".join(f"{value:,} {name}" for name, value in counts.items())
    return f"District {district.slug!r}: {figures}. Elapsed {elapsed:.1f} s."

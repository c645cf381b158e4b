"""`manage.py dashboards rebuild [--district SLUG]`: recount the rollups from the facts."""

import time

from django.core.management.base import BaseCommand, CommandError

from dashboards.rebuild import rebuild_district
from tenants.models import District


class Command(BaseCommand):
    help = "Recount the dashboard rollups from the facts (the nightly repair), printing the drift."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild"])
        parser.add_argument("--district", help="Only this district (its slug).")

    def handle(self, *args, **options):
        districts = District.objects.order_by("id")
        if options["district"]:
            districts = districts.filter(slug=options["district"])
            if not districts.exists():
                raise CommandError(f"No district {options['district']!r}.")
        for district in districts:
            started = time.perf_counter()
            drift = rebuild_district(district)
            self.stdout.write(
                f"{district.slug}: {drift} rollup rows repaired "
                f"in {time.perf_counter() - started:.1f} s"
            )

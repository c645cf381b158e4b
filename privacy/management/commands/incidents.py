"""The incident register for operators and monitoring (PROMISES S2).

    manage.py incidents overdue [--json]

Lists every notice clock past its deadline and not met: an affected district not told within 48
hours of the incident's confirmation, an authority not told within 72. Reads only. Exit status 1
when anything is overdue (so a cron or monitor can alert), 0 otherwise.
"""

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from privacy.incidents import list_overdue_clocks


class Command(BaseCommand):
    help = "List incident notices past their 48- or 72-hour deadline."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        overdue = sub.add_parser("overdue")
        overdue.add_argument("--json", action="store_true")

    def handle(self, *args, action, **options):
        now = timezone.now()
        overdue = list_overdue_clocks(now)
        if options["json"]:
            rows = [item.as_json() for item in overdue]
            self.stdout.write(json.dumps({"now": now.isoformat(), "overdue": rows}, indent=2))
        else:
            self._print(overdue)
        if overdue:
            raise SystemExit(1)

    def _print(self, overdue) -> None:
        if not overdue:
            self.stdout.write(self.style.SUCCESS("No incident notice is overdue."))
        for item in overdue:
            row = item.as_json()
            who = f"district {row['district']}" if row["district"] else "authority"
            delayed = " (delayed for law enforcement)" if row["delayed_for_law_enforcement"] else ""
            self.stdout.write(
                f"OVERDUE incident {row['incident']} {row['title']!r}: {who} notice due "
                f"{item.clock.due_at:%Y-%m-%d %H:%M} UTC, {row['overdue_hours']} h late{delayed}"
            )

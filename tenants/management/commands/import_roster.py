"""manage.py import_roster PATH --district SLUG [--format oneroster|engage] [--dry-run] [--json]

A progress bar goes to stderr when it is a terminal (never with --json).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from engage.progress import ProgressBar
from privacy.audit import Actor
from tenants.roster.actions import PARSERS, do_import_roster
from tenants.roster.report import COUNT_KEYS, OUTCOMES


class Command(BaseCommand):
    help = "Import a OneRoster 1.1 / 1.2 CSV or Engage CSV roster (a ZIP or a folder)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .zip or a folder of CSV files")
        parser.add_argument("--district", required=True, help="district slug (created if new)")
        parser.add_argument("--format", choices=sorted(PARSERS), default="oneroster")
        parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")
        parser.add_argument(
            "--valid-rows-only",
            action="store_true",
            help="apply the rows without errors even when others have some",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        bar = None if options["json"] or not self.stderr.isatty() else ProgressBar(self.stderr)
        try:
            report = do_import_roster(
                options["path"],
                district_slug=options["district"],
                source_format=options["format"],
                is_dry_run=options["dry_run"],
                is_valid_rows_only=options["valid_rows_only"],
                actor=Actor.system(),
                progress=bar,
            )
        finally:
            if bar is not None:
                bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.print_report(report)
        if report.is_failed:
            raise CommandError(f"roster import: {report.error_count} error(s)", returncode=1)

    def print_report(self, report) -> None:
        self.stdout.write("            " + " ".join(f"{key[:14]:>14}" for key in COUNT_KEYS))
        for outcome in OUTCOMES:
            counts = report.counts[outcome]
            self.stdout.write(f"{outcome:>11} " + " ".join(f"{counts[k]:>14}" for k in COUNT_KEYS))
        for title, problems in (
            ("Error", report.errors),
            ("Warning", report.warnings),
            ("Skipped", report.skipped),
        ):
            for p in problems:
                self.stdout.write(
                    f"{title}: {p['file']}:{p['line'] or '-'} {p['column']} "
                    f"{p['value']!r}: {p['reason']}"
                )
        for change in report.changed_by_families:
            self.stdout.write(
                f"Changed by family: {change['sourced_id']} {change['field']} kept "
                f"{change['family_value']!r} (roster has {change['roster_value']!r})"
            )
        if report.is_dry_run:
            self.stdout.write("Dry run: nothing was written.")
        elif report.is_applied:
            self.stdout.write(self.style.SUCCESS("Roster imported."))
        else:
            self.stdout.write(self.style.ERROR("Nothing was imported."))

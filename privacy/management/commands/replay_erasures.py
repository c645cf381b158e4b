"""Carry out again, after a restore, the erasures and deletions done since the backup.

    manage.py replay_erasures --since 2030-01-01T03:00:00Z [--dry-run] [--json]

Reads the erasure journal (ENGAGE_ERASURE_JOURNAL, privacy.journal), which lives outside the
database, and replays what it lists from --since on (privacy.replay). Run it after restoring the
database and before starting the web and worker processes (docs/DEPLOY.md). Safe to re-run.
Exit status: 0 when done; 1 when the journal holds unreadable entries (the rest is replayed, and
the operator should look); 2 for bad arguments.
"""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from privacy.replay import replay_erasures


def _moment(text: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise CommandError(
            f"--since {text!r} is not an ISO 8601 date and time, e.g. 2030-01-01T03:00:00Z."
        ) from error
    if moment.tzinfo is None:
        raise CommandError("--since needs a time zone (Z or +hh:mm): backups are timed in UTC.")
    return moment


class Command(BaseCommand):
    help = "Replay the erasures and deletions journaled since a backup onto the restored database."

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="when the backup was taken (ISO 8601)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be done")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, since, dry_run, **options):
        replay = replay_erasures(_moment(since), dry_run=dry_run)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "since": replay.since.isoformat(),
                        "dry_run": dry_run,
                        "entries": replay.entries,
                        "unreadable": replay.unreadable,
                        "outcomes": [vars(outcome) for outcome in replay.outcomes],
                    },
                    indent=2,
                )
            )
        else:
            self._report(replay, dry_run)
        if replay.unreadable:
            raise SystemExit(1)

    def _report(self, replay, dry_run: bool) -> None:
        verb = "would replay" if dry_run else "replayed"
        self.stdout.write(
            f"{replay.entries} journal entries since {replay.since.isoformat()}; "
            f"{verb} {len(replay.outcomes)} subjects"
        )
        for outcome in replay.outcomes:
            self.stdout.write(f"  {outcome.event:17} {outcome.subject:28} {outcome.result}")
        if replay.unreadable:
            self.stderr.write(
                f"{replay.unreadable} journal entries could not be read (a write cut short?)"
            )

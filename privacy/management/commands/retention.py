"""Retention for operators: plan, run and status of the privacy jobs (privacy.jobs).

    manage.py retention plan   [--district SLUG] [--json]
    manage.py retention run    [--job NAME] [--district SLUG] [--dry-run] [--json]
    manage.py retention status [--district SLUG] [--json]

`plan` and `run --dry-run` write nothing but their RetentionRun record (dry runs are marked).
Exit status: 0 when all went well; 1 when a job failed (run) or when something is overdue or the
last run of a job failed (status); 2 for bad arguments.
"""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from engage.progress import ProgressBar
from privacy.jobs import JOBS, run_job
from privacy.models import LifecycleTimer, PrivacyRequest, RetentionRun
from tenants.models import District

OVERDUE_AFTER = datetime.timedelta(days=1)


class Command(BaseCommand):
    help = "Plan, run and check the privacy retention jobs."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("plan", "run", "status"):
            command = sub.add_parser(name)
            command.add_argument("--district", metavar="SLUG")
            command.add_argument("--json", action="store_true")
            if name == "run":
                command.add_argument("--job", choices=sorted(JOBS), metavar="NAME")
                command.add_argument("--dry-run", action="store_true")

    def handle(self, *args, action, **options):
        districts = District.objects.order_by("id")
        if options["district"]:
            districts = districts.filter(slug=options["district"])
            if not districts.exists():
                raise CommandError(f"No district with the slug {options['district']!r}.")
        now = timezone.now()
        failed = getattr(self, f"_{action}")(list(districts), now, options)
        if failed:
            raise SystemExit(1)

    def _plan(self, districts, now, options) -> bool:
        rows = []
        for district in districts:
            for job in JOBS.values():
                plan = job.plan(district, now)
                rows.append(
                    {
                        "job": job.name,
                        "promise": job.promise,
                        "district": district.slug,
                        "due": plan.due,
                        "oldest_due": plan.oldest_due.isoformat() if plan.oldest_due else None,
                        "details": plan.details,
                    }
                )
        if options["json"]:
            self.stdout.write(json.dumps({"now": now.isoformat(), "jobs": rows}, indent=2))
        else:
            self._table(
                ["job", "promise", "district", "due", "oldest due", "what"],
                [
                    [
                        r["job"],
                        r["promise"],
                        r["district"],
                        r["due"],
                        (r["oldest_due"] or "-")[:10],
                        ", ".join(f"{k} {v}" for k, v in r["details"].items()) or "-",
                    ]
                    for r in rows
                ],
            )
        return False

    def _run(self, districts, now, options) -> bool:
        jobs = [JOBS[options["job"]]] if options["job"] else list(JOBS.values())
        total = len(jobs) * len(districts)
        show = not options["json"] and self.stderr.isatty()
        bar = ProgressBar(self.stderr, unit="jobs") if show else None
        runs = []
        for district in districts:
            for job in jobs:
                runs.append(
                    run_job(
                        job, district, now=now, is_dry_run=options["dry_run"], trigger="command"
                    )
                )
                if bar:
                    bar(len(runs), total)
        if bar:
            bar.close()
        if options["json"]:
            self.stdout.write(json.dumps([_run_json(run) for run in runs], indent=2))
        else:
            self._table(
                ["job", "district", "outcome", "counts"],
                [
                    [
                        run.job,
                        _slug(run, districts),
                        run.outcome + (" (dry run)" if run.is_dry_run else ""),
                        ", ".join(f"{k} {v}" for k, v in run.counts.items() if v)
                        or "nothing to do",
                    ]
                    for run in runs
                ],
            )
            for run in runs:
                if run.error:
                    self.stderr.write(f"{run.job} in {_slug(run, districts)}: {run.error}")
        return any(run.outcome == RetentionRun.Outcome.FAILED for run in runs)

    def _status(self, districts, now, options) -> bool:
        district_ids = [d.id for d in districts]
        latest = {}
        for run in (
            RetentionRun.objects.filter(district_id__in=district_ids, is_dry_run=False)
            .select_related("district")
            .order_by("started_at", "id")
        ):
            latest[(run.job, run.district_id)] = run
        overdue_timers = LifecycleTimer.objects.filter(
            district_id__in=district_ids,
            state__in=[LifecycleTimer.State.PENDING, LifecycleTimer.State.FAILED],
            due_at__lt=now - OVERDUE_AFTER,
        )
        overdue_requests = PrivacyRequest.objects.filter(
            district_id__in=district_ids, status=PrivacyRequest.Status.OPEN, due_at__lt=now
        )
        status = {
            "last_runs": [_run_json(run) for run in latest.values()],
            "overdue_timers": list(
                overdue_timers.values(
                    "district__slug",
                    "kind",
                    "subject_type",
                    "subject_id",
                    "due_at",
                    "state",
                    "last_error",
                )
            ),
            "overdue_requests": list(
                overdue_requests.values("district__slug", "kind", "id", "due_at")
            ),
        }
        failed = any(r["outcome"] == RetentionRun.Outcome.FAILED for r in status["last_runs"])
        problem = failed or status["overdue_timers"] or status["overdue_requests"]
        if options["json"]:
            self.stdout.write(json.dumps(status, indent=2, default=str))
            return bool(problem)
        self._table(
            ["job", "district", "last run", "outcome", "counts"],
            [
                [
                    r["job"],
                    r["district"],
                    r["started_at"][:16],
                    r["outcome"],
                    ", ".join(f"{k} {v}" for k, v in r["counts"].items() if v) or "-",
                ]
                for r in status["last_runs"]
            ],
        )
        for timer in status["overdue_timers"]:
            self.stdout.write(
                f"OVERDUE {timer['kind']} {timer['subject_type']}:{timer['subject_id']} in "
                f"{timer['district__slug']}, due {timer['due_at']:%Y-%m-%d} ({timer['state']}) "
                f"{timer['last_error']}"
            )
        for request in status["overdue_requests"]:
            self.stdout.write(
                f"OVERDUE {request['kind']} request {request['id']} in "
                f"{request['district__slug']}, due {request['due_at']:%Y-%m-%d}"
            )
        if not problem:
            self.stdout.write(self.style.SUCCESS("Nothing overdue; every last run succeeded."))
        return bool(problem)

    def _table(self, header, rows) -> None:
        widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=False)]
        for row in [header, *rows]:
            self.stdout.write("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=False)))


def _slug(run, districts) -> str:
    return next((d.slug for d in districts if d.id == run.district_id), "-")


def _run_json(run: RetentionRun) -> dict:
    return {
        "job": run.job,
        "district": run.district.slug if run.district_id else None,
        "dry_run": run.is_dry_run,
        "outcome": run.outcome,
        "counts": run.counts,
        "error": run.error,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }

"""`manage.py bench`: run the benchmarks, print their figures, optionally write them as JSON.

    manage.py bench [--only feed,...] [--scale small|district] [--json PATH]
                    [--load-seconds 60 --load-sessions 200 --load-think-seconds 5]

Benchmarks live in engage/bench/benchmarks/ (one module each); figures and targets are recorded in
docs/BENCHMARKS.md. The command migrates the database first and seeds the "bench" district.
"""

import argparse
import json
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from engage.bench.registry import BenchContext, BenchError, select_benchmarks
from engage.bench.report import build_report, format_table, run_benchmarks
from engage.bench.seed import PUBLIC_SCALES, SCALES


class Command(BaseCommand):
    help = "Run the benchmarks (all, or --only some) and print their figures."

    def add_arguments(self, parser):
        parser.add_argument("--only", default="", help="Comma-separated benchmark names.")
        parser.add_argument(
            "--scale",
            default="small",
            choices=list(SCALES),
            metavar="{" + ",".join(PUBLIC_SCALES) + "}",
            help="Size of the seeded bench district (default: small).",
        )
        parser.add_argument("--json", dest="json_path", type=Path, help="Write the figures here.")
        parser.add_argument(
            "--load-seconds", type=float, help="How long the load test runs (default: 60 s)."
        )
        parser.add_argument(
            "--load-sessions", type=int, help="Concurrent guardian sessions of the load test (200)."
        )
        parser.add_argument(
            "--load-think-seconds",
            type=float,
            help="Mean pause of a load-test session between requests (default: 5 s).",
        )
        # Shorter timed loops, for the command's own test.
        parser.add_argument("--rounds", type=int, default=5, help=argparse.SUPPRESS)
        parser.add_argument("--round-seconds", type=float, default=2.0, help=argparse.SUPPRESS)

    def handle(
        self,
        *args,
        only,
        scale,
        json_path,
        rounds,
        round_seconds,
        load_seconds,
        load_sessions,
        load_think_seconds,
        **options,
    ):
        names = [name.strip() for name in only.split(",") if name.strip()]
        try:
            benchmarks = select_benchmarks(names)
        except BenchError as error:
            raise CommandError(str(error)) from error
        if rounds < 1 or round_seconds <= 0:
            raise CommandError("--rounds and --round-seconds must be positive.")
        if any(
            value is not None and value <= 0
            for value in (load_seconds, load_sessions, load_think_seconds)
        ):
            raise CommandError(
                "--load-seconds, --load-sessions and --load-think-seconds must be positive."
            )
        call_command("migrate", database=DEFAULT_DB_ALIAS, interactive=False, verbosity=0)
        with tempfile.TemporaryDirectory(prefix="engage-bench-") as run_dir:
            context = BenchContext(
                scale=scale,
                run_dir=Path(run_dir),
                database=DEFAULT_DB_ALIAS,
                rounds=rounds,
                round_seconds=round_seconds,
                load_seconds=load_seconds,
                load_sessions=load_sessions,
                load_think_seconds=load_think_seconds,
                write=self.stdout.write,
                warn=lambda line: self.stderr.write(self.style.WARNING(line)),
            )
            try:
                results = run_benchmarks(benchmarks, context)
            except BenchError as error:
                raise CommandError(str(error)) from error
        report = build_report(results, scale=scale, database=DEFAULT_DB_ALIAS)
        self.stdout.write(
            f"\nscale {scale} · {report['database']} ({report['database_name']}) · "
            f"commit {report['commit'] or '-'}"
        )
        for line in format_table(results):
            self.stdout.write(line)
        if json_path:
            json_path.write_text(json.dumps(report, indent=2) + "\n")
            self.stdout.write(f"Wrote {json_path}")

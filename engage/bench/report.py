"""Running the chosen benchmarks and shaping their figures: a table for people, JSON for tools."""

import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connections

from engage.bench.registry import BenchContext, BenchError, Benchmark, Metrics


def run_benchmarks(benchmarks: list[Benchmark], context: BenchContext) -> list[tuple[str, Metrics]]:
    """[(benchmark name, its metrics)] in order; metric names must be unique across the run."""
    results, seen = [], set()
    for bench in benchmarks:
        context.write(f"Running {bench.name}: {bench.description}")
        metrics = bench.run(context)
        duplicated = seen & metrics.keys()
        if duplicated:
            raise BenchError(f"{bench.name} reports metrics already reported: {sorted(duplicated)}")
        seen |= metrics.keys()
        results.append((bench.name, metrics))
    return results


def build_report(results: list[tuple[str, Metrics]], *, scale: str, database: str) -> dict:
    """The JSON document: {"metrics": {name: number}, "scale", "database", "commit", ...}."""
    connection = connections[database]
    return {
        "metrics": {name: value for _, metrics in results for name, value in metrics.items()},
        "scale": scale,
        "database": connection.vendor,
        "database_name": Path(str(connection.settings_dict["NAME"])).name,
        "commit": get_commit(),
    }


def format_table(results: list[tuple[str, Metrics]]) -> list[str]:
    rows = [("benchmark", "metric", "value")] + [
        (name, metric, _format_value(value))
        for name, metrics in results
        for metric, value in metrics.items()
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return [f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}" for row in rows]


def _format_value(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def get_commit() -> str | None:
    """`git rev-parse --short HEAD` of the project, or None outside a git checkout."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        completed = subprocess.run(  # noqa: S603 - git found on PATH, fixed arguments
            [git, "rev-parse", "--short", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() or None

"""A OneRoster 1.2 bulk import of 100,000 users and 250,000 enrollments, then the same files again.

roster_import_rows_per_s: every data row of every file (manifest, orgs, academicSessions,
classes, users, roles, enrollments) divided by the seconds from starting `manage.py
import_roster` to its exit (the import committed), into an empty district.
roster_reimport_s: the same files again (nothing changes), start to exit.
roster_import_peak_mb: the largest peak resident memory of the two import processes.

Each import runs as its own process (`manage.py import_roster`, as an operator runs it), so its
peak memory is its own: `os.wait4` returns that child's resource usage. The files are generated
row by row into the run's scratch folder (`engage.bench.roster_data`). The district (slug
"bench-roster", people at `@roster.invalid`) is removed before and after, so every run starts
empty; removing it is bench housekeeping in raw SQL by district id, never product code.
"""

import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection, transaction

from engage.bench.processes import ROOT
from engage.bench.registry import BenchContext, BenchError, Metrics, benchmark
from engage.bench.roster_data import EMAIL_DOMAIN, RosterShape, write_oneroster_12
from guardians.models import Child, Enrollment, GuardianLink
from privacy.models import AuditEvent
from tenants.models import (
    Classroom,
    District,
    Membership,
    RosterImportRun,
    RosterPerson,
    School,
    SchoolYear,
    User,
)

SLUG = "bench-roster"
SIZES = {"tiny": RosterShape(users=400, enrollments=1_000)}
FULL = RosterShape(users=100_000, enrollments=250_000)
# Children first: raw deletes must not leave a row pointing at a deleted one.
TABLES = (
    GuardianLink,
    Enrollment,
    Membership,
    RosterPerson,
    Child,
    Classroom,
    SchoolYear,
    RosterImportRun,
    AuditEvent,
    School,
)


@benchmark("roster")
def roster(context: BenchContext) -> Metrics:
    """OneRoster 1.2 bulk import of 100,000 users and 250,000 enrollments: rate, re-import, memory."""
    shape = SIZES.get(context.scale, FULL)
    folder = context.run_dir / "roster"
    started = time.monotonic()
    rows = sum(write_oneroster_12(folder, shape, today=datetime.date.today()).values())
    context.write(
        f"roster: {rows:,} rows ({shape.users:,} users, {shape.enrollments:,} enrollments) "
        f"written in {time.monotonic() - started:.1f} s"
    )
    remove_bench_district(context)
    try:
        first = run_import(folder, context.run_dir / "first.json")
        check_first(first, shape)
        second = run_import(folder, context.run_dir / "second.json")
        check_unchanged(second)
    finally:
        remove_bench_district(context)
    for label, result in (("import", first), ("re-import", second)):
        context.write(
            f"roster: {label} {result.seconds:.1f} s, peak {result.peak_mb:.0f} MB, "
            f"{rows / result.seconds:,.0f} rows/s"
        )
    return {
        "roster_import_rows_per_s": round(rows / first.seconds, 1),
        "roster_reimport_s": round(second.seconds, 2),
        "roster_import_peak_mb": round(max(first.peak_mb, second.peak_mb), 1),
    }


class ImportResult:
    def __init__(self, seconds: float, peak_mb: float, report: dict):
        self.seconds, self.peak_mb, self.report = seconds, peak_mb, report


def run_import(folder: Path, output: Path) -> ImportResult:
    """`manage.py import_roster FOLDER --json` in a child process: its time, peak memory, report."""
    command = [sys.executable, "manage.py", "import_roster", str(folder), "--district", SLUG]
    command += ["--skip-checks"]
    env = {**os.environ, "DEBUG": "0", "LOG_LEVEL": "WARNING"}
    with output.open("w") as out, output.with_suffix(".err").open("w") as err:
        started = time.monotonic()
        process = subprocess.Popen(  # noqa: S603 - our own command, no shell
            [*command, "--json"], cwd=ROOT, env=env, stdout=out, stderr=err
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise BenchError(
            f"import_roster exited with {process.returncode}:\n"
            + output.with_suffix(".err").read_text()[-3000:]
            + output.read_text()[:3000]
        )
    # ru_maxrss is in kilobytes on Linux
    return ImportResult(seconds, usage.ru_maxrss / 1024, json.loads(output.read_text()))


def check_first(result: ImportResult, shape: RosterShape) -> None:
    created = result.report["created"]
    expected = {
        "children": shape.students,
        "guardians": shape.guardians,
        "teachers": shape.teachers,
        "guardian_links": shape.guardian_links,
    }
    wrong = {key: created[key] for key, value in expected.items() if created[key] != value}
    if wrong or result.report["error_count"]:
        raise BenchError(f"the first import created {created} (expected {expected}): {wrong}")


def check_unchanged(result: ImportResult) -> None:
    changed = {
        outcome: {key: n for key, n in result.report[outcome].items() if n}
        for outcome in ("created", "updated", "deactivated")
    }
    if any(changed.values()) or result.report["error_count"]:
        raise BenchError(f"importing the same files again changed something: {changed}")


def remove_bench_district(context: BenchContext) -> None:
    """Delete the bench district's rows and its people (bench data only)."""
    district = District.objects.filter(slug=SLUG).first()
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        if district is not None:
            for model in TABLES:
                cursor.execute(
                    f"DELETE FROM {model._meta.db_table} WHERE district_id = %s",  # noqa: S608
                    [district.id],
                )
            district.delete()
        cursor.execute(
            f"DELETE FROM {User._meta.db_table} WHERE email LIKE %s",  # noqa: S608
            [f"%@{EMAIL_DOMAIN}"],
        )
    if district is not None:
        context.write(f"roster: removed the {SLUG} district in {time.monotonic() - started:.1f} s")

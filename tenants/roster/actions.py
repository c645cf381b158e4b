"""The roster import action: validate everything, then apply all of it (or nothing).

What: parse and check the whole file set first, plan against the district, then write in one
transaction. Why: a half-applied roster leaves families linked to the wrong classes. Safe to
re-run: every write is an upsert keyed by sourcedId, so a repeated import changes nothing, and a
run that already finished is not run again. Audit: one RosterImportRun and one audit event per
run, not one per row (none for a dry run, which changes nothing).
"""

import logging
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone

from dashboards.actions import schedule_district_refresh
from privacy.audit import Actor, record_audit_event
from tenants.actions import do_create_district
from tenants.models import District, RosterImportRun
from tenants.roster.engage_csv import parse_engage_csv
from tenants.roster.erased import skip_erased_families
from tenants.roster.existing import Existing
from tenants.roster.oneroster import parse_oneroster
from tenants.roster.plan import build_plan
from tenants.roster.progress import Progress
from tenants.roster.records import KnownIds, Phones, Snapshot, check_references
from tenants.roster.report import MAX_LISTED, Report, RosterRejected
from tenants.roster.restrict import check_school_restriction
from tenants.roster.source import RosterSource
from tenants.roster.write import write_plan

PARSERS = {"oneroster": parse_oneroster, "engage": parse_engage_csv}
Outcome, Status = RosterImportRun.Outcome, RosterImportRun.Status
logger = logging.getLogger(__name__)


class _Rollback(Exception):
    """Planning found errors: leave the transaction without writing."""


def do_import_roster(
    path,
    *,
    district_slug: str,
    source_format: str = "oneroster",
    is_dry_run: bool = False,
    is_valid_rows_only: bool = False,
    actor: Actor,
    progress: Callable[[int, int], None] | None = None,
    run: RosterImportRun | None = None,
) -> Report:
    """Import a roster ZIP / folder into the district `district_slug` (created when missing).

    Returns the report; nothing is written when it has errors, unless `is_valid_rows_only`
    (then the rows without errors are applied), and nothing at all on a dry run.
    `progress(rows_done, rows_total)` is called as the files are read and the rows written
    (about every 1,000 rows). `run`: a RosterImportRun created QUEUED by an upload or an API
    push, of this district; the import claims it (RUNNING), publishes its progress
    (tenants.roster.progress) and fills it in when done, also for a dry run. A run that already
    finished is not imported again: its stored report is returned. With `run.school` the import
    may only change that school (restrict.py). Without `run`, a finished run is recorded (not
    for a dry run).
    """
    if run is not None:
        if run.district.slug != district_slug:
            raise ValueError(f"run {run.id} is not of the district {district_slug}")
        if not _claim(run, source_format, is_dry_run, is_valid_rows_only):
            return Report.from_dict(run.report, district_slug)
    importer = _Import(
        path,
        report=Report(is_dry_run=is_dry_run, district_slug=district_slug),
        source_format=source_format,
        is_valid_rows_only=is_valid_rows_only,
        actor=actor,
        progress=Progress(progress, run.id if run else None),
        run=run,
    )
    try:
        return importer.execute()
    except Exception:
        if run is not None:
            _record_crash(run)
        raise


def _claim(run: RosterImportRun, source_format, is_dry_run, is_valid_rows_only) -> bool:
    """Mark the run RUNNING unless it has finished (a second delivery of its task)."""
    values = {
        "status": Status.RUNNING,
        "started_at": timezone.now(),
        "source_format": source_format,
        "is_dry_run": is_dry_run,
        "is_valid_rows_only": is_valid_rows_only,
    }
    # roster import bookkeeping: the run row this import was given, by id
    claimed = RosterImportRun.objects.filter(id=run.id).exclude(status=Status.FINISHED)
    if not claimed.update(**values):
        run.refresh_from_db()
        return False
    for name, value in values.items():
        setattr(run, name, value)
    return True


class _Import:
    """One import: read and check the files, plan, write, record. See do_import_roster."""

    def __init__(self, path, *, report, source_format, is_valid_rows_only, actor, progress, run):
        self.path = path
        self.report = report
        self.source_format = source_format
        self.is_valid_rows_only = is_valid_rows_only
        self.actor = actor
        self.progress = progress
        self.run = run
        self.started_at = timezone.now()
        self.checksum = ""

    def execute(self) -> Report:
        report = self.report
        district = self.run.district if self.run else _find_district(report.district_slug)
        existing = Existing(district)
        try:
            snapshot = self.parse(district, existing)
        except RosterRejected:
            return self.finish(district)
        skip_erased_families(snapshot, report, district)
        if self.run is not None and self.run.school_id:
            check_school_restriction(snapshot, existing, self.run.school, report)
        check_references(snapshot, report, KnownIds(snapshot, existing))
        is_same_district = _check_district(snapshot, district, report)
        if is_same_district and (not report.is_failed or self.is_valid_rows_only):
            try:
                self.progress.is_in_transaction = True
                with transaction.atomic():
                    district = self.apply(snapshot, existing, district)
                    return self.finish(district)
            except _Rollback:
                report.is_applied = False
            finally:
                self.progress.is_in_transaction = False
        return self.finish(district)

    def parse(self, district: District | None, existing: Existing) -> Snapshot:
        source = RosterSource(self.path, self.report, self.progress)
        self.checksum = source.sha256()
        return PARSERS[self.source_format](
            source,
            self.report,
            is_birth_date_imported=bool(district and district.is_roster_birth_date_imported),
            phones=Phones(existing.stored_phones()),
        )

    def apply(self, snapshot: Snapshot, existing: Existing, district: District | None):
        report = self.report
        if district is None:
            district = _new_district(snapshot, report, self.actor)
        plan = build_plan(
            snapshot,
            existing,
            district,
            report,
            actor_user=self.actor.user,
            school_id=self.run.school_id if self.run else None,
        )
        if report.is_failed and not self.is_valid_rows_only:
            raise _Rollback
        if not report.is_dry_run:
            self.progress.set_total(self.progress.done + plan.row_count)
            write_plan(plan, self.progress)
            report.is_applied = True
        return district

    def finish(self, district: District | None) -> Report:
        """Record the run: fill in the given one, or create one (not for a dry run, nor when
        the district does not exist); audit it unless it was a dry run."""
        report = self.report
        if self.run is not None:
            self.record(self.run, district)
        elif report.is_dry_run or district is None or district.id is None:
            pass
        elif District.objects.filter(id=district.id).exists():  # else created, rolled back
            self.record(RosterImportRun(district=district, started_by=self.actor.user), district)
        self.progress.finish()
        return report

    def record(self, run: RosterImportRun, district: District) -> None:
        report = self.report
        if report.is_dry_run:
            outcome = Outcome.DRY_RUN
        else:
            outcome = Outcome.APPLIED if report.is_applied else Outcome.FAILED
        values = {
            "status": Status.FINISHED,
            "started_at": self.started_at,
            "finished_at": timezone.now(),
            "source_format": self.source_format,
            "file_name": run.file_name or str(self.path)[-255:],
            "file_sha256": self.checksum,
            "outcome": outcome,
            "counts": report.counts,
            "error_count": report.error_count,
            "report": report.as_dict(max_listed=MAX_LISTED),
            "progress_done": max(self.progress.done, self.progress.total),
            "progress_total": max(self.progress.done, self.progress.total),
            "is_dry_run": report.is_dry_run,
            "is_valid_rows_only": self.is_valid_rows_only,
        }
        for name, value in values.items():
            setattr(run, name, value)
        if run.id is None:
            run.save()
        else:
            RosterImportRun.objects.filter(id=run.id).update(**values)
        if report.is_applied and not report.is_dry_run:
            schedule_district_refresh(district.id)  # the dashboards' families
        if not report.is_dry_run:
            record_audit_event(
                actor=self.actor,
                action="roster.imported" if report.is_applied else "roster.import_failed",
                target=run,
                metadata={"counts": report.counts, "error_count": report.error_count},
            )


def _find_district(slug: str) -> District | None:
    return District.objects.filter(slug=slug).first()


def _record_crash(run: RosterImportRun) -> None:
    """The import stopped on an unexpected error: the run must not stay RUNNING forever."""
    report = Report()
    report.error("", None, "", "", "the import stopped on an internal error; nothing was imported")
    try:
        RosterImportRun.objects.filter(id=run.id).update(
            status=Status.FINISHED,
            outcome=Outcome.FAILED,
            finished_at=timezone.now(),
            error_count=1,
            report=report.as_dict(),
        )
    except Exception:
        logger.exception("roster.import.run_not_recorded", extra={"run_id": run.id})


def _new_district(snapshot: Snapshot, report: Report, actor: Actor) -> District:
    slug = report.district_slug
    name = snapshot.district_name or slug.replace("-", " ").title()
    if report.is_dry_run:
        return District(name=name, slug=slug, sourced_id=snapshot.district_sourced_id)
    district = do_create_district(name=name, slug=slug, actor=actor)
    if snapshot.district_sourced_id:
        district.sourced_id = snapshot.district_sourced_id
        district.save(update_fields=["sourced_id"])
    return district


def _check_district(snapshot: Snapshot, district: District | None, report: Report) -> bool:
    """The file's district org is this district's (a roster for another district is refused)."""
    theirs = snapshot.district_sourced_id
    if district and district.sourced_id and theirs and district.sourced_id != theirs:
        report.error(
            "orgs.csv",
            None,
            "sourcedId",
            snapshot.district_sourced_id,
            f"this roster is for another district (district {district.slug} is "
            f"{district.sourced_id})",
        )
        return False
    if district is None and report.district_slug and not _is_slug(report.district_slug):
        report.error("", None, "--district", report.district_slug, "not a valid slug")
        return False
    return True


def _is_slug(value: str) -> bool:
    try:
        validate_slug(value)
    except ValidationError:
        return False
    return True

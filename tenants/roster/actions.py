"""The roster import action: validate everything, then apply all of it (or nothing).

What: parse and check the whole file set first, plan against the district, then write in one
transaction. Why: a half-applied roster leaves families linked to the wrong classes. Safe to
re-run: every write is an upsert keyed by sourcedId, so a repeated import changes nothing.
Audit: one RosterImportRun and one audit event per run, not one per row.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone

from privacy.audit import Actor, record_audit_event
from tenants.actions import do_create_district
from tenants.models import District, RosterImportRun
from tenants.roster.engage_csv import parse_engage_csv
from tenants.roster.existing import Existing
from tenants.roster.oneroster import parse_oneroster
from tenants.roster.plan import build_plan
from tenants.roster.records import KnownIds, Snapshot, check_references
from tenants.roster.report import Report, RosterRejected
from tenants.roster.source import RosterSource
from tenants.roster.write import write_plan

PARSERS = {"oneroster": parse_oneroster, "engage": parse_engage_csv}


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
) -> Report:
    """Import a roster ZIP / folder into the district `district_slug` (created when missing).

    Returns the report; nothing is written when it has errors, unless `is_valid_rows_only`
    (then the rows without errors are applied), and nothing at all on a dry run.
    """
    report = Report(is_dry_run=is_dry_run, district_slug=district_slug)
    started_at = timezone.now()
    district = District.objects.filter(slug=district_slug).first()
    checksum = ""
    try:
        source = RosterSource(path, report)
        checksum = source.sha256()
        snapshot = PARSERS[source_format](
            source,
            report,
            is_birth_date_imported=bool(district and district.is_roster_birth_date_imported),
        )
    except RosterRejected:
        return _finish(report, district, path, checksum, source_format, started_at, actor)
    existing = Existing(district)
    check_references(snapshot, report, KnownIds(snapshot, existing))
    is_same_district = _check_district(snapshot, district, report)
    if is_same_district and (not report.is_failed or is_valid_rows_only):
        try:
            with transaction.atomic():
                district = _apply(snapshot, existing, district, report, is_valid_rows_only, actor)
                return _finish(report, district, path, checksum, source_format, started_at, actor)
        except _Rollback:
            report.is_applied = False
    return _finish(report, district, path, checksum, source_format, started_at, actor)


def _apply(snapshot, existing, district, report, is_valid_rows_only, actor):
    if district is None:
        district = _new_district(snapshot, report, actor)
    plan = build_plan(snapshot, existing, district, report, actor_user=actor.user)
    if report.is_failed and not is_valid_rows_only:
        raise _Rollback
    if not report.is_dry_run:
        write_plan(plan)
        report.is_applied = True
    return district


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


def _finish(report, district, path, checksum, source_format, started_at, actor) -> Report:
    """Record the run (not for a dry run, nor when the district does not exist)."""
    if report.is_dry_run or district is None or district.id is None:
        return report
    if not District.objects.filter(id=district.id).exists():
        return report  # created in a transaction that was rolled back
    run = RosterImportRun.objects.create(
        district=district,
        started_by=actor.user,
        started_at=started_at,
        finished_at=timezone.now(),
        source_format=source_format,
        file_name=str(path)[-255:],
        file_sha256=checksum,
        outcome=RosterImportRun.Outcome.APPLIED
        if report.is_applied
        else RosterImportRun.Outcome.FAILED,
        counts=report.counts,
        error_count=report.error_count,
    )
    record_audit_event(
        actor=actor,
        action="roster.imported" if report.is_applied else "roster.import_failed",
        target=run,
        metadata={"counts": report.counts, "error_count": report.error_count},
    )
    return report

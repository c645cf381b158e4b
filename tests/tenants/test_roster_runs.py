"""Roster import runs: progress as the import reads and writes, a queued run filled in (also for a
dry run), a finished run never imported twice, the progress bar of the command."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command

from guardians.models import Child
from privacy.audit import Actor
from privacy.models import AuditEvent
from tenants.actions import do_create_user
from tenants.models import District, RosterImportRun
from tenants.roster.actions import do_import_roster
from tenants.roster.progress import get_import_progress, progress_cache_key
from tests.tenants import roster_files as rf
from tests.tenants.roster_run import counts, run_import

pytestmark = pytest.mark.django_db

CREATED_11 = counts(
    schools=2, classrooms=2, teachers=2, children=2, guardians=2, guardian_links=3, enrollments=4
)
# The Maple 1.1 files: 9 manifest rows, then orgs 3, academicSessions 2, classes 2, users 6,
# enrollments 4 (17). Until the plan is known the write is assumed as big as the files (9 + 2 x 17
# = 43); the first import then writes 24 rows: a year, 2 schools, 2 classrooms, 4 users and their
# 4 roster records, 2 children, 4 memberships (2 teachers, 2 guardians), 2 enrollments, 3 links.
FIRST_IMPORT_PROGRESS = [
    (9, 43),
    (12, 43),
    (14, 43),
    (16, 43),
    (22, 43),
    (26, 43),
    (26, 50),
    (27, 50),
    (29, 50),
    (31, 50),
    (35, 50),
    (39, 50),
    (41, 50),
    (45, 50),
    (47, 50),
    (50, 50),
    (50, 50),
]


@pytest.fixture
def maple(tmp_path):
    """The Maple district as its first import made it, and the ZIP it came from."""
    path = rf.write_zip(tmp_path / "maple.zip", rf.oneroster_11())
    run_import(path, "maple")
    return District.objects.get(slug="maple"), path


@pytest.fixture
def admin_user():
    return do_create_user(
        email="ada@maple.org", first_name="Ada", last_name="Admin", actor=Actor.system()
    )


def queued_run(district, user, *, school=None, file_name="maple.zip") -> RosterImportRun:
    """A run as the upload page or the API push queues it (their own actions are tested there)."""
    return RosterImportRun.objects.create(
        district=district,
        school=school,
        started_by=user,
        trigger=RosterImportRun.Trigger.UPLOAD,
        status=RosterImportRun.Status.QUEUED,
        source_format="oneroster",
        file_name=file_name,
    )


def test_progress_is_told_as_the_files_are_read_and_the_rows_written(tmp_path):
    calls = []

    report = do_import_roster(
        rf.write_zip(tmp_path / "r.zip", rf.oneroster_11()),
        district_slug="maple",
        actor=Actor.system(),
        progress=lambda done, total: calls.append((done, total)),
    )

    assert report.counts["created"] == CREATED_11
    assert calls == FIRST_IMPORT_PROGRESS


def test_a_queued_run_is_filled_in(maple, admin_user):
    district, path = maple
    files = rf.oneroster_11()
    rf.set_cell(files, "classes.csv", "c1", "title", "Room 3B")
    path = rf.write_zip(path.parent / "renamed.zip", files)
    run = queued_run(district, admin_user, file_name="renamed.zip")
    runs_before = RosterImportRun.objects.count()

    report = do_import_roster(path, district_slug="maple", actor=Actor(user=admin_user), run=run)

    assert report.counts["updated"] == counts(classrooms=1)
    assert RosterImportRun.objects.count() == runs_before  # filled in, not another row
    run.refresh_from_db()
    assert (run.status, run.outcome, run.error_count) == ("finished", "applied", 0)
    assert (run.trigger, run.file_name, run.started_by) == ("upload", "renamed.zip", admin_user)
    assert run.counts == report.counts and run.report == report.as_dict()
    assert len(run.file_sha256) == 64 and run.finished_at >= run.started_at
    # 26 rows read (manifest and files), 1 written (the renamed classroom)
    assert (run.progress_done, run.progress_total) == (27, 27)
    assert get_import_progress(run) == (27, 27)
    assert cache.get(progress_cache_key(run.id)) is None
    event = AuditEvent.objects.filter(district=district).latest("id")
    assert (event.action, event.target_id, event.actor_id) == (
        "roster.imported",
        str(run.id),
        admin_user.id,
    )


def test_progress_is_published_in_the_cache_while_the_import_transaction_is_open(
    maple, admin_user, monkeypatch
):
    # only the figures published whatever the clock says: a total set (files counted, planned)
    monkeypatch.setattr("tenants.roster.progress.PUBLISH_EVERY_SECONDS", 1e9)
    district, path = maple
    run = queued_run(district, admin_user)
    seen = {}

    def watch(done, total):
        row = RosterImportRun.objects.get(id=run.id)
        seen.setdefault(
            (done, total),
            (
                row.status,
                get_import_progress(row),
                (row.progress_done, row.progress_total),
            ),
        )

    do_import_roster(
        path, district_slug="maple", actor=Actor(user=admin_user), run=run, progress=watch
    )

    # reading the files (no transaction yet): the row and the cache both say so
    assert seen[(9, 43)] == ("running", (9, 43), (9, 43))
    # planned, inside the transaction: the cache has it, the row keeps what it had before
    assert seen[(26, 26)] == ("running", (26, 26), (9, 43))


def test_a_dry_run_with_a_run_is_recorded_and_changes_nothing(maple, admin_user):
    district, path = maple
    files = rf.oneroster_11()
    rf.drop_row(files, "users.csv", "st-2")
    rf.drop_row(files, "enrollments.csv", "e3")
    rf.set_cell(files, "users.csv", "g-1", "agentSourcedIds", "st-1")
    run = queued_run(district, admin_user)
    events = AuditEvent.objects.count()

    report = do_import_roster(
        rf.write_zip(path.parent / "2.zip", files),
        district_slug="maple",
        is_dry_run=True,
        actor=Actor(user=admin_user),
        run=run,
    )

    assert report.counts["deactivated"] == counts(children=1, enrollments=1)
    run.refresh_from_db()
    assert (run.status, run.outcome, run.is_dry_run) == ("finished", "dry_run", True)
    assert run.counts == report.counts
    assert Child.objects.get(sourced_id="st-2").is_active is True
    assert AuditEvent.objects.count() == events


def test_a_finished_run_is_not_imported_again(maple, admin_user):
    district, path = maple
    run = queued_run(district, admin_user)
    first = do_import_roster(path, district_slug="maple", actor=Actor(user=admin_user), run=run)
    events = AuditEvent.objects.count()
    run.refresh_from_db()
    finished_at = run.finished_at

    again = do_import_roster(path, district_slug="maple", actor=Actor(user=admin_user), run=run)

    assert again.as_dict() == first.as_dict()
    run.refresh_from_db()
    assert run.finished_at == finished_at
    assert AuditEvent.objects.count() == events


def test_a_run_of_another_district_is_refused(maple, admin_user, tmp_path):
    district, path = maple
    run = queued_run(district, admin_user)

    with pytest.raises(ValueError, match="is not of the district oak"):
        do_import_roster(path, district_slug="oak", actor=Actor(user=admin_user), run=run)

    run.refresh_from_db()
    assert run.status == "queued"


def test_a_crash_finishes_the_run_as_failed(maple, admin_user, monkeypatch):
    district, path = maple
    run = queued_run(district, admin_user)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("tenants.roster.actions.write_plan", broken)
    files = rf.oneroster_11()
    rf.set_cell(files, "classes.csv", "c1", "title", "Room 3B")

    with pytest.raises(RuntimeError):
        do_import_roster(
            rf.write_zip(path.parent / "2.zip", files),
            district_slug="maple",
            actor=Actor(user=admin_user),
            run=run,
        )

    run.refresh_from_db()
    assert (run.status, run.outcome, run.error_count) == ("finished", "failed", 1)
    assert run.report["errors"] == [
        {
            "file": "",
            "line": None,
            "column": "",
            "value": "",
            "reason": "the import stopped on an internal error; nothing was imported",
        }
    ]


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_command_draws_a_progress_bar_on_a_terminal(tmp_path):
    path = rf.write_zip(tmp_path / "r.zip", rf.oneroster_11())
    stderr = Terminal()

    call_command(
        "import_roster", str(path), "--district", "maple", stdout=io.StringIO(), stderr=stderr
    )

    drawn = stderr.getvalue().split("\r")
    assert drawn[1] == "[######........................]  20%  9 / 43 rows"
    assert drawn[-1] == "[##############################] 100%  50 / 50 rows\n"
    assert len(drawn) == 1 + len(FIRST_IMPORT_PROGRESS) - 1  # the last figures, drawn once


@pytest.mark.parametrize("options", [(), ("--json",)])
def test_no_progress_bar_off_a_terminal_or_with_json(tmp_path, options):
    path = rf.write_zip(tmp_path / "r.zip", rf.oneroster_11())
    stderr = io.StringIO() if not options else Terminal()

    call_command(
        "import_roster",
        str(path),
        "--district",
        "maple",
        *options,
        stdout=io.StringIO(),
        stderr=stderr,
    )

    assert stderr.getvalue() == ""

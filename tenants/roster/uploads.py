"""Roster imports that run in a worker: an upload from the admin page or a push to the API.

What: the file is checked (size, ZIP), kept in private storage (S3 or local disk, never a
public URL), and a QUEUED RosterImportRun is written; after commit a Celery task imports it
(tenants.tasks.run_roster_import) and deletes the file. Why: a district roster takes a minute to
import, longer than a web request should. Safe to re-run: the task claims the run and the import
is one transaction, so a second delivery of the task, or the sweeper re-queueing a run whose
task was lost, imports nothing twice; a finished run is never imported again. One district's
imports run one at a time (a cache lock), so two pushes never race each other's writes.
"""

import datetime
import hashlib
import logging
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy.audit import Actor, record_audit_event
from tenants.actions import ActionError
from tenants.models import RosterImportRun
from tenants.roster.actions import PARSERS, do_import_roster
from tenants.roster.source import describe_size, max_file_bytes
from tenants.scope import Scope

logger = logging.getLogger(__name__)

UPLOAD_FOLDER = "roster-uploads"
LOCK_SECONDS = 2 * 3600
Status = RosterImportRun.Status


def check_roster_file(uploaded) -> None:
    """Refuse, with the reason, a file that is too big or is not a ZIP (whatever its name)."""
    limit = max_file_bytes()
    if uploaded.size > limit:
        raise ActionError(
            _("The file is larger than the limit of %(limit)s.") % {"limit": describe_size(limit)}
        )
    position = uploaded.tell()
    is_zip = zipfile.is_zipfile(uploaded)
    uploaded.seek(position)
    if not is_zip:
        raise ActionError(_("This is not a ZIP file. Upload the roster's CSV files as one .zip."))


@transaction.atomic
def do_queue_roster_import(
    scope: Scope,
    uploaded,
    *,
    source_format: str,
    is_dry_run: bool,
    is_valid_rows_only: bool,
    trigger: str,
    actor: Actor,
) -> RosterImportRun:
    """Keep the file privately and queue its import into the scope's district (and, for a
    school admin, only their school). Raises ActionError for a file that cannot be a roster."""
    if source_format not in PARSERS:
        raise ActionError(_("Unknown roster format."))
    check_roster_file(uploaded)
    name = Path(uploaded.name or "roster.zip").name[-200:]
    path = default_storage.save(
        f"{UPLOAD_FOLDER}/{scope.district.id}/{uuid.uuid4().hex}.zip", uploaded
    )
    run = RosterImportRun.objects.create(
        district=scope.district,
        school=scope.school,
        started_by=scope.user,
        source_format=source_format,
        trigger=trigger,
        status=Status.QUEUED,
        is_dry_run=is_dry_run,
        is_valid_rows_only=is_valid_rows_only,
        file_name=name,
        upload_path=path,
        file_sha256=_sha256(uploaded),
    )
    record_audit_event(
        actor=actor,
        action="roster.import_queued",
        target=run,
        metadata={"trigger": trigger, "dry_run": is_dry_run, "file_sha256": run.file_sha256},
    )
    transaction.on_commit(lambda: enqueue_import(run.id))
    return run


def _sha256(uploaded) -> str:
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def enqueue_import(run_id: int) -> None:
    from tenants import tasks

    try:
        tasks.run_roster_import.delay(run_id)
    except Exception:  # broker down: the sweeper queues it again (requeue_stale_imports)
        logger.warning("roster.import.enqueue_failed", extra={"run_id": run_id})


def run_queued_import(run_id: int) -> str:
    """Import a queued run's file (the task's body). Returns what happened, for the log."""
    # roster import bookkeeping: the task is given the run's id, the run names its district
    run = RosterImportRun.objects.select_related("district", "school", "started_by").get(id=run_id)
    if run.status == Status.FINISHED:
        return "finished already"
    lock = f"roster-import-lock:{run.district_id}"
    if not cache.add(lock, run_id, LOCK_SECONDS):
        return "busy"  # another import of this district runs; the sweeper retries this one
    try:
        with _local_copy(run) as path:
            do_import_roster(
                path,
                district_slug=run.district.slug,
                source_format=run.source_format,
                is_dry_run=run.is_dry_run,
                is_valid_rows_only=run.is_valid_rows_only,
                actor=Actor(user=run.started_by),
                run=run,
            )
    finally:
        cache.delete(lock)
    _forget_upload(run)
    return "imported"


class _local_copy:
    """The uploaded file as a local path (a temporary copy when storage is remote)."""

    def __init__(self, run: RosterImportRun):
        self.run = run
        self.folder: str | None = None

    def __enter__(self) -> Path:
        try:
            return Path(default_storage.path(self.run.upload_path))
        except NotImplementedError:  # S3: no local path
            self.folder = tempfile.mkdtemp(prefix="roster-")
            local = Path(self.folder) / "roster.zip"
            with (
                default_storage.open(self.run.upload_path, "rb") as remote,
                local.open("wb") as out,
            ):
                shutil.copyfileobj(remote, out, 1 << 20)
            return local

    def __exit__(self, *exc) -> None:
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def _forget_upload(run: RosterImportRun) -> None:
    """The file is not kept once imported (its checksum stays on the run)."""
    if run.upload_path:
        default_storage.delete(run.upload_path)
        # roster import bookkeeping: the run row this task owns, by id
        RosterImportRun.objects.filter(id=run.id).update(upload_path="")


def requeue_stale_imports(*, queued_for_seconds: int = 300, running_for_seconds: int = 3 * 3600):
    """Queue again the runs whose task was lost (broker outage) or whose worker died."""
    now = timezone.now()
    # roster import bookkeeping: platform-wide sweep of unfinished runs, by status and age
    stale = RosterImportRun.objects.filter(
        status=Status.QUEUED,
        started_at__lte=now - datetime.timedelta(seconds=queued_for_seconds),
    ) | RosterImportRun.objects.filter(
        status=Status.RUNNING,
        started_at__lte=now - datetime.timedelta(seconds=running_for_seconds),
    )
    ids = list(stale.exclude(upload_path="").values_list("id", flat=True))
    for run_id in ids:
        enqueue_import(run_id)
    return ids

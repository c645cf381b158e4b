"""A real Celery worker SIGKILLed in the middle of the retention purge (issue 8, faults).

The daily retention task (`privacy.tasks.run_retention`) runs on a real `celery worker`
(tests/reliability/purge_worker.py: the project's app with purge chunks of CHUNK rows) fed by a
redis-server of the test's own. The worker is killed with SIGKILL once the archive's rows have
started to go; the next runs, on a new worker, finish it exactly once.
"""

import datetime
import json
import time

import pytest
from celery import Celery
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F
from django.utils import timezone

from engage.bench.processes import celery_worker
from privacy.archive import purge_archives
from privacy.jobs import JOBS
from privacy.journal import ARCHIVE_PURGED
from privacy.models import Archive, ArchivedRow, LifecycleTimer, RetentionRun
from tenants.models import District
from tests.fakes.services import RedisServer, wait_for, worker_env
from tests.privacy.test_archive import delete_account

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHUNK = 50
FILLER = 4000  # archived rows added to the account's own, so the purge takes ~80 chunks
State = LifecycleTimer.State


def archive_account(world, user, when: datetime.datetime, files: int) -> Archive:
    """`user` deleted (restorably) at `when`, with `files` stored files and FILLER more rows."""
    archive = delete_account(world, user, when)
    names = [
        default_storage.save(f"submissions/{archive.id}/photo{n}.png", ContentFile(b"png" * 100))
        for n in range(files)
    ]
    Archive.objects.filter(id=archive.id).update(files=names)
    start = archive.rows.count()
    ArchivedRow.objects.bulk_create(
        ArchivedRow(
            district_id=world.lakeside.id,
            archive=archive,
            model_label="activities.submissionphoto",
            object_id=str(n),
            position=start + n,
            data={"model": "activities.submissionphoto", "pk": n, "refs": {}, "sealed": "x"},
        )
        for n in range(FILLER)
    )
    archive.refresh_from_db()
    return archive


def run_retention(publisher: Celery) -> list[RetentionRun]:
    """Send the daily task and wait until the worker has finished every job of every district."""
    started = timezone.now()
    publisher.send_task("privacy.tasks.run_retention", queue="privacy")
    expected = len(JOBS) * District.objects.count()
    finished = RetentionRun.objects.filter(started_at__gte=started, finished_at__isnull=False)
    wait_for(lambda: finished.count() == expected, 30, message="the retention run")
    return list(finished)


def purge_counts(runs: list[RetentionRun], district_id: int) -> dict:
    (run,) = [r for r in runs if r.job == "archive_purge" and r.district_id == district_id]
    return run.counts


def journal_purges(path, archive_id: int) -> int:
    if not path.exists():
        return 0
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    return sum(e["event"] == ARCHIVE_PURGED and e["archive_id"] == archive_id for e in entries)


def test_worker_killed_mid_purge_then_the_next_run_finishes_it_exactly_once(
    world, tmp_path, settings
):
    # The worker's media root and erasure journal follow ENGAGE_VAR_DIR (engage/settings/test.py).
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media)},
        },
    }
    journal = tmp_path / "test-erasure-journal.jsonl"
    settings.ENGAGE_ERASURE_JOURNAL = str(journal)
    now = timezone.now()
    # Deleted 60 days ago: the 30-day restore window has passed, its purge timer is due.
    target = archive_account(world, world.ana, now - datetime.timedelta(days=60), files=3)
    # Deleted today: restorable for 30 days, not due; the purge must not touch it.
    other = archive_account(world, world.ben, now, files=2)
    total = target.rows.count()
    other_rows = set(other.rows.values_list("id", flat=True))
    assert total == FILLER + 4 and len(other_rows) == FILLER + 3  # user, membership, links
    assert sorted(p.name for p in (media / f"submissions/{target.id}").iterdir()) == [
        "photo0.png",
        "photo1.png",
        "photo2.png",
    ]
    timer = LifecycleTimer.objects.get(kind="archive_purge", subject_id=target.id)
    assert timer.state == State.PENDING and timer.due_at < now

    with RedisServer() as broker:
        env = worker_env(broker.url, "", ENGAGE_TEST_PURGE_CHUNK=CHUNK, ENGAGE_VAR_DIR=tmp_path)
        publisher = Celery(broker=broker.url, set_as_current=False)  # our app stays current

        def worker():
            process = celery_worker(env, queues="privacy", concurrency=1, log_level="INFO")
            process.args[process.args.index("-A") + 1] = "tests.reliability.purge_worker"
            return process

        # 1. The worker is killed (SIGKILL, pool and all) once the rows have started to go.
        publisher.send_task("privacy.tasks.run_retention", queue="privacy")
        first = worker().start()
        try:
            deadline = time.monotonic() + 30
            while target.rows.count() == total and time.monotonic() < deadline:
                time.sleep(0.005)
        finally:
            first.kill()
        left = target.rows.count()
        assert 0 < left < total, f"not killed mid-purge ({left} of {total} left)\n{first.output()}"
        # Every chunk is one transaction: whole chunks went, the one in flight was rolled back.
        assert (total - left) % CHUNK == 0
        target.refresh_from_db()
        assert target.state == Archive.State.ARCHIVED and len(target.files) == 3
        assert len(list((media / f"submissions/{target.id}").iterdir())) == 3  # files go last
        timer.refresh_from_db()
        assert timer.state == State.RUNNING  # claimed by the dead worker
        killed = RetentionRun.objects.get(job="archive_purge", district=world.lakeside)
        assert killed.outcome == RetentionRun.Outcome.RUNNING and killed.finished_at is None

        with worker():
            # 2. Run again at once: the claim is younger than CLAIM_TIMEOUT (it could be a live
            # worker's), so this run leaves the archive alone.
            runs = run_retention(publisher)
            assert purge_counts(runs, world.lakeside.id) == {}
            assert target.rows.count() == left
            timer.refresh_from_db()
            assert timer.state == State.RUNNING

            # 3. The next daily run: by then the dead worker's claim is a day old, is released,
            # and the purge resumes where it stopped.
            LifecycleTimer.objects.filter(id=timer.id).update(
                claimed_at=F("claimed_at") - datetime.timedelta(days=1)
            )
            RetentionRun.objects.filter(id=killed.id).update(
                started_at=F("started_at") - datetime.timedelta(days=1)
            )
            runs = run_retention(publisher)
            # The killed run no longer shows as running: it is marked abandoned.
            killed.refresh_from_db()
            assert killed.outcome == RetentionRun.Outcome.FAILED
            assert killed.error.startswith("abandoned") and killed.finished_at is not None
            assert purge_counts(runs, world.lakeside.id) == {"archive_purge:purged": 1}

            # 4. Another run has nothing to purge.
            runs = run_retention(publisher)
            assert purge_counts(runs, world.lakeside.id) == {}

    assert target.rows.count() == 0
    target.refresh_from_db()
    assert target.state == Archive.State.PURGED and target.purged_at is not None
    assert target.files == []
    assert list((media / f"submissions/{target.id}").iterdir()) == []  # each file gone
    timer.refresh_from_db()
    assert timer.state == State.DONE and timer.attempts == 0
    assert journal_purges(journal, target.id) == 1  # purged once, recorded once
    # The archive not yet due: every row and file still there, still restorable.
    other.refresh_from_db()
    assert other.state == Archive.State.ARCHIVED and len(other.files) == 2
    assert set(other.rows.values_list("id", flat=True)) == other_rows
    assert all(default_storage.exists(name) for name in other.files)
    assert LifecycleTimer.objects.get(subject_id=other.id, kind="archive_purge").state == (
        State.PENDING
    )
    assert journal_purges(journal, other.id) == 0
    assert purge_archives([target.id]) == 0  # and a purge called directly deletes nothing

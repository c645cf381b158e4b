"""Purging expired archived data (PROMISES R1: after the restore window, deleted for good).

purge_rows_per_s: archived rows removed per second by the retention sweep of ARCHIVE_PURGE
timers (`privacy.timers.sweep`, what `retention run --job archive_purge` does), end to end:
claiming the due timers, deleting each archive's rows in chunks by id (one transaction each, no
OFFSET), its files from storage, and marking archive and timer. The archives are shaped like a
family's deleted account: ROWS_PER_ARCHIVE rows each (the user, links, submissions, photos, ...)
with realistic serialized data, and FILES_PER_ARCHIVE small files in a scratch storage.
purge_longest_transaction_ms: the longest single chunk (statement and transaction) seen.
purge_peak_growth_mb: how much the process's peak memory (max RSS) grew during the purge: flat
by construction, only the ids of one chunk are held at a time.
"""

import datetime
import resource
import time

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.db.models import QuerySet
from django.test.utils import override_settings
from django.utils import timezone

from engage.bench.registry import BenchContext, Metrics, benchmark
from privacy.models import Archive, ArchivedRow, LifecycleTimer
from privacy.timers import sweep
from tenants.models import District

ROWS_PER_ARCHIVE = 100
FILES_PER_ARCHIVE = 2
ARCHIVES = {"small": 1000, "district": 3000}


@benchmark("purge")
def purge(context: BenchContext) -> Metrics:
    """Expired archives purged by the retention sweep: rows per second, longest chunk."""
    archives = ARCHIVES.get(context.scale, ARCHIVES["small"])
    storage_dir = context.run_dir / "purge-media"
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(storage_dir)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        district = District.objects.get_or_create(
            slug="bench-purge", defaults={"name": "Bench purge"}
        )[0]
        _clear(district)
        total = _seed(district, archives, FileSystemStorage(location=storage_dir))
        chunks: list[float] = []
        real_delete = QuerySet._raw_delete

        def timed_delete(self, using):
            started = time.perf_counter()
            deleted = real_delete(self, using)
            chunks.append(time.perf_counter() - started)
            return deleted

        QuerySet._raw_delete = timed_delete
        rss_before = _peak_rss_mb()
        started = time.perf_counter()
        try:
            result = sweep(kinds=[LifecycleTimer.Kind.ARCHIVE_PURGE], district_id=district.id)
        finally:
            elapsed = time.perf_counter() - started
            QuerySet._raw_delete = real_delete
        growth = _peak_rss_mb() - rss_before
        left = ArchivedRow.objects.filter(district=district).count()
        files_left = sum(1 for p in storage_dir.rglob("*") if p.is_file())
        purged = result.counts.get("archive_purge:purged", 0)
        if left or files_left or purged != archives:
            raise RuntimeError(f"purge incomplete: {left} rows, {files_left} files, {purged}")
        _clear(district)
    context.write(
        f"purge: {archives:,} archives, {total:,} rows and {archives * FILES_PER_ARCHIVE:,} "
        f"files in {elapsed:.2f} s; longest chunk {max(chunks) * 1000:.0f} ms; "
        f"peak memory grew {growth:.1f} MB"
    )
    return {
        "purge_rows_per_s": round(total / elapsed),
        "purge_longest_transaction_ms": round(max(chunks) * 1000, 1),
        "purge_peak_growth_mb": round(growth, 1),
    }


def _seed(district: District, archives: int, storage: FileSystemStorage) -> int:
    """`archives` expired archives with their rows, files and due purge timers."""
    deleted_at = timezone.now() - datetime.timedelta(days=40)
    total = 0
    for start in range(0, archives, 100):
        with transaction.atomic():
            batch = Archive.objects.bulk_create(
                Archive(
                    district=district,
                    kind=Archive.Kind.ACCOUNT,
                    subject_type="tenants.user",
                    subject_id=1_000_000 + n,
                    deleted_at=deleted_at,
                    restore_until=deleted_at + datetime.timedelta(days=30),
                    files=[
                        storage.save(f"photos/{district.id}/b{n}-{i}.jpg", ContentFile(b"x" * 2048))
                        for i in range(FILES_PER_ARCHIVE)
                    ],
                )
                for n in range(start, min(start + 100, archives))
            )
            rows = [
                ArchivedRow(
                    district=district,
                    archive=archive,
                    model_label="activities.submission",
                    object_id=str(archive.subject_id * 1000 + i),
                    position=i,
                    data=_row_data(archive.subject_id * 1000 + i),
                )
                for archive in batch
                for i in range(ROWS_PER_ARCHIVE)
            ]
            ArchivedRow.objects.bulk_create(rows, batch_size=5000)
            LifecycleTimer.objects.bulk_create(
                LifecycleTimer(
                    district=district,
                    kind=LifecycleTimer.Kind.ARCHIVE_PURGE,
                    subject_type="privacy.archive",
                    subject_id=archive.id,
                    due_at=archive.restore_until,
                )
                for archive in batch
            )
            total += len(rows)
    return total


def _row_data(pk: int) -> dict:
    return {
        "model": "activities.submission",
        "pk": pk,
        "fields": {
            "district": 1,
            "school": 1,
            "activity": 12,
            "child": pk // 10,
            "classroom": 3,
            "guardian": pk // 7,
            "text": "We made pancakes together and counted the blueberries on each one.",
            "answers": {"41": 1, "42": "seven"},
            "status": "approved",
            "feedback": "Lovely work, thank you for sharing!",
            "submitted_at": "2026-03-02T09:00:00.123456+00:00",
        },
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _clear(district: District) -> None:
    LifecycleTimer.objects.filter(district=district).delete()
    ArchivedRow.objects.filter(district=district)._raw_delete("default")
    Archive.objects.filter(district=district).delete()

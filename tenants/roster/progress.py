"""How far an import has got: rows read and rows written, for a progress bar and the status page.

`Progress` is told about rows as they stream past (every PROGRESS_EVERY rows while reading, every
batch while writing) and passes (rows done, rows total) to an optional callback. With a run it also
publishes them where the upload page can read them (`get_import_progress`), at most once a second:

- in the cache, under `roster-import-progress:<run id>`, always: the cache is outside the
  database transaction, so other processes see it while the import's writes are uncommitted;
- on the RosterImportRun row (progress_done / progress_total) only while no import transaction
  is open (reading and checking the files, planning happens before it). An UPDATE inside that
  transaction would be invisible to every other connection until the commit, and hold the row's
  lock for nothing; the row gets its final figures after the commit instead.

The total is the files' data rows (counted up front) plus the rows the import will write, which
are known once the plan is made: until then, as many again as the files hold is assumed.
"""

import time
from collections.abc import Callable

from django.core.cache import cache

from tenants.models import RosterImportRun

PROGRESS_EVERY = 1000
PUBLISH_EVERY_SECONDS = 1.0
CACHE_SECONDS = 24 * 3600

ProgressCallback = Callable[[int, int], None]


def progress_cache_key(run_id: int) -> str:
    return f"roster-import-progress:{run_id}"


class Progress:
    """Rows done out of rows to do; see the module docstring."""

    def __init__(self, callback: ProgressCallback | None = None, run_id: int | None = None):
        self.callback = callback
        self.run_id = run_id
        self.done = 0
        self.total = 0
        self.is_in_transaction = False
        self._published_at = 0.0

    @property
    def is_observed(self) -> bool:
        return self.callback is not None or self.run_id is not None

    def set_total(self, total: int) -> None:
        self.total = max(total, self.done)
        self._tell(force=True)

    def advance(self, rows: int) -> None:
        """`rows` more are done; nobody is told before there is a total (the manifest)."""
        if rows <= 0:
            return
        self.done += rows
        if self.total:
            self.total = max(self.total, self.done)
            self._tell()

    def finish(self) -> None:
        """Everything is done: the last figures, and the live ones are no longer needed."""
        self.total = self.done = max(self.done, self.total)
        if self.callback is not None:
            self.callback(self.done, self.total)
        if self.run_id is not None:
            cache.delete(progress_cache_key(self.run_id))

    def _tell(self, *, force: bool = False) -> None:
        if self.run_id is not None:
            self._publish(force)
        if self.callback is not None:
            self.callback(self.done, self.total)

    def _publish(self, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._published_at < PUBLISH_EVERY_SECONDS:
            return
        self._published_at = now
        cache.set(progress_cache_key(self.run_id), (self.done, self.total), CACHE_SECONDS)
        if not self.is_in_transaction:
            # roster import bookkeeping: the run row this import owns, by id
            RosterImportRun.objects.filter(id=self.run_id).update(
                progress_done=self.done, progress_total=self.total
            )


def get_import_progress(run: RosterImportRun) -> tuple[int, int]:
    """(rows done, rows total) of `run`: live from the cache while it runs, else from the row."""
    if run.status == RosterImportRun.Status.RUNNING:
        live = cache.get(progress_cache_key(run.id))
        if live is not None:
            return tuple(live)
    return run.progress_done, run.progress_total

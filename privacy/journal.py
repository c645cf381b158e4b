"""The erasure journal: what was erased or deleted, recorded outside the database.

Why. A database restored from a backup has lost every row written since the backup, and with
them the record of the erasures and deletions done since: the restored tables hold those
families, children and submissions again. This journal lives elsewhere (a file, or objects in
the media storage), so `manage.py replay_erasures --since <backup time>` can carry them out
again before the restored database serves anyone (docs/DEPLOY.md).

What. One JSON object per completed event, ids only (never a name, an address or a text: the
journal must not become what it helps forget):
- family.erased: district_id, user_id, request_id (privacy.erasure.do_erase_family);
- archive.created / archive.restored / archive.purged: archive_id, district_id, school_id,
  kind, subject_type, subject_id, restore_until (privacy.archive: a deletion into the archive,
  its restore, its purge for good);
- data.deleted: request_id, kind, district_id, school_id (a school's or a district's data
  deleted at its request, privacy.districts.requests);
- district.disposed: district_id (everything of a district whose contract ended,
  privacy.districts.contract).
Each entry has an `id` (uuid) and `at` (UTC, ISO 8601), written once the transaction has
committed: the journal never records what rolled back. A crash between the commit and the write
loses those entries; a failure to write is logged as an error (privacy.journal.write_failed).

Where (ENGAGE_ERASURE_JOURNAL). A file path: JSON lines appended under an exclusive lock and
synced to disk. `storage:<prefix>`: one object of JSON lines per write in the default storage
(the S3 bucket), named by time so a listing is in order; objects are only ever added.
"""

import datetime
import fcntl
import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

STORAGE_PREFIX = "storage:"
FAMILY_ERASED = "family.erased"
ARCHIVE_CREATED = "archive.created"
ARCHIVE_RESTORED = "archive.restored"
ARCHIVE_PURGED = "archive.purged"
DATA_DELETED = "data.deleted"
DISTRICT_DISPOSED = "district.disposed"


def record_on_commit(event: str, **ids) -> None:
    """Append an entry for `event` once the current transaction commits (at once outside one).
    `ids` are ids, dates and codes only."""
    transaction.on_commit(lambda: _write([{"event": event, **ids}]), robust=True)


# What an archive event records (privacy.models.Archive fields: ids, codes, a date).
JOURNALED_FIELDS = (
    "district_id",
    "school_id",
    "kind",
    "subject_type",
    "subject_id",
    "restore_until",
)


def record_archive_events(event: str, archives) -> None:
    """Deletions into the archive, restores or purges (privacy.archive), written together."""
    entries = [
        {
            "event": event,
            "archive_id": archive.id,
            **{name: _plain(getattr(archive, name)) for name in JOURNALED_FIELDS},
        }
        for archive in archives
    ]
    if entries:
        transaction.on_commit(lambda: _write(entries), robust=True)


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def _write(entries: list[dict]) -> None:
    now = timezone.now()
    stamped = [{"id": uuid.uuid4().hex, "at": now.isoformat(), **entry} for entry in entries]
    try:
        _journal().append(stamped, now)
    except Exception:  # the erasure itself is done: say loudly that its record is missing
        logger.exception(
            "privacy.journal.write_failed", extra={"events": [e["event"] for e in entries]}
        )


@dataclass
class Entries:
    entries: list[dict]
    unreadable: int  # lines or objects that are not a whole entry (a write cut short)


def read_entries(since: datetime.datetime) -> Entries:
    """Every entry written at or after `since`, oldest first."""
    return _journal().read(since)


def _journal():
    location = settings.ENGAGE_ERASURE_JOURNAL
    if location.startswith(STORAGE_PREFIX):
        return StorageJournal(location.removeprefix(STORAGE_PREFIX))
    return FileJournal(Path(location))


def _since(entries: list[dict], since: datetime.datetime) -> list[dict]:
    chosen = [e for e in entries if datetime.datetime.fromisoformat(e["at"]) >= since]
    return sorted(chosen, key=lambda e: e["at"])


def _lines(entries: list[dict]) -> bytes:
    return "".join(json.dumps(entry, sort_keys=True) + "\n" for entry in entries).encode()


def _parsed(text: str) -> tuple[list[dict], int]:
    """(entries, unreadable lines) of JSON lines."""
    entries, unreadable = [], 0
    for line in text.splitlines():
        entry = _parse(line)
        if entry is not None:
            entries.append(entry)
        elif line.strip():
            unreadable += 1
    return entries, unreadable


class FileJournal:
    """JSON lines in one file, appended under an exclusive lock (several processes write)."""

    def __init__(self, path: Path):
        self.path = path

    def append(self, entries: list[dict], now: datetime.datetime) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.write(_lines(entries))
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read(self, since: datetime.datetime) -> Entries:
        if not self.path.exists():
            return Entries([], 0)
        entries, unreadable = _parsed(self.path.read_text())
        return Entries(_since(entries, since), unreadable)


class StorageJournal:
    """One object per write (JSON lines) under a prefix of the default storage: S3 objects are
    never rewritten, so nothing is appended in place."""

    def __init__(self, prefix: str):
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"

    def append(self, entries: list[dict], now: datetime.datetime) -> None:
        name = f"{self.prefix}{now:%Y%m%dT%H%M%S%fZ}-{entries[0]['id']}.jsonl"
        default_storage.save(name, ContentFile(_lines(entries)))

    def read(self, since: datetime.datetime) -> Entries:
        try:
            _folders, names = default_storage.listdir(self.prefix)
        except FileNotFoundError:
            return Entries([], 0)
        # Names start with their time: only those from the backup's second on are opened.
        first = f"{since.astimezone(datetime.UTC):%Y%m%dT%H%M%S}"
        entries, unreadable = [], 0
        for name in sorted(n for n in names if n >= first):
            with default_storage.open(self.prefix + name, "rb") as handle:
                found, bad = _parsed(handle.read().decode())
            entries += found
            unreadable += bad
        return Entries(_since(entries, since), unreadable)


def _parse(text: str) -> dict | None:
    try:
        entry = json.loads(text)
    except ValueError:
        return None
    if not isinstance(entry, dict) or not {"at", "event"} <= set(entry):
        return None
    return entry

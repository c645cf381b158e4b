"""Caching that is never stale: values remember the versions of what they were built from.

A "dependency" is a name such as "family:42" or "classroom:7". Actions that change what a name
covers call `bump(...)`; a cached value stores the versions of its dependencies when it was
built and is used only while all of them are unchanged (one MGET to check). Versions are
bumped at once and again after commit, so a reader that raced the transaction and cached old
data under the new version is invalidated when the data becomes visible. A version that does not
exist (never bumped, expired, evicted or flushed) is created by its first reader, so a value
built before a version disappeared never matches the version created after.

Two tiers: the cache backend (Redis in production, local memory otherwise), shared by every
process, and each process's most recently used entries, kept pickled (no two requests share an
object). Both are checked against the current versions, so a hit in this process costs one MGET
instead of a GET and an MGET; neither tier outlives the entry's timeout.

Cache keys always carry the tenant (district) they belong to.
"""

import pickle
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

VERSION_PREFIX = "v:"
ENTRY_PREFIX = "vc:"
VERSION_TIMEOUT = 60 * 60 * 24 * 30
LOCAL_ENTRIES = 2048


def current_versions(names: Iterable[str]) -> dict[str, str]:
    """{name: version} now, creating the versions that do not exist yet."""
    names = list(names)
    if not names:
        return {}
    found = cache.get_many([VERSION_PREFIX + name for name in names])
    return {name: found.get(VERSION_PREFIX + name) or _create_version(name) for name in names}


def _create_version(name: str) -> str:
    version = _new_version()
    if cache.add(VERSION_PREFIX + name, version, VERSION_TIMEOUT):
        return version
    # Another reader (or a bump) created it first; if it is gone again, ours matches nothing.
    return cache.get(VERSION_PREFIX + name) or version


def _new_version() -> str:
    return uuid.uuid4().hex[:12]


def _set_new_versions(names: list[str]) -> None:
    cache.set_many({VERSION_PREFIX + name: _new_version() for name in names}, VERSION_TIMEOUT)


def bump(*names: str) -> None:
    """Invalidate every cached value that depends on any of `names` (now and after commit)."""
    names_list = [name for name in names if name]
    if not names_list:
        return
    _set_new_versions(names_list)
    transaction.on_commit(lambda: _set_new_versions(names_list))


@dataclass(frozen=True)
class _Entry:
    payload: bytes  # the pickled value: every reader gets its own copy
    versions: dict[str, str]
    expires_at: float  # time.time(), comparable across processes

    def load(self):
        return pickle.loads(self.payload)  # noqa: S301 - written by get_or_build below

    def to_shared(self) -> tuple:
        """A plain tuple for the shared tier: no class of ours to unpickle there, so a later
        change of this class cannot break reading entries written before it."""
        return (self.payload, self.versions, self.expires_at)

    @classmethod
    def from_shared(cls, stored) -> "_Entry | None":
        if isinstance(stored, tuple) and len(stored) == 3:
            return cls(*stored)
        return None


def _is_current(entry: _Entry, versions_now: dict[str, str]) -> bool:
    """Whether `entry` is unexpired and built from the current versions. Reads the versions not
    yet in `versions_now` (one MGET) and adds them, so a second entry reads only what is new."""
    if time.time() >= entry.expires_at:
        return False
    versions_now.update(current_versions(n for n in entry.versions if n not in versions_now))
    return all(versions_now[name] == version for name, version in entry.versions.items())


class _RecentEntries:
    """This process's most recently used entries (thread-safe, bounded)."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: _Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_recent = _RecentEntries(LOCAL_ENTRIES)


def get_or_build(
    key: str,
    build: Callable[[], tuple[object, list[str]]],
    *,
    known_dependencies: Iterable[str] = (),
    timeout: int = 600,
):
    """The cached value for `key`, or `build()` -> (value, dependencies) cached with them.

    `known_dependencies` are read before building (they decide what the build reads); the
    dependencies the build reports are read right after it.
    """
    versions_now: dict[str, str] = {}
    recent = _recent.get(key)
    if recent is not None and _is_current(recent, versions_now):
        return recent.load()
    shared = _Entry.from_shared(cache.get(ENTRY_PREFIX + key))
    if shared is not None and _is_current(shared, versions_now):
        _recent.put(key, shared)
        return shared.load()
    before = current_versions(known_dependencies)
    value, dependencies = build()
    versions = {**current_versions(set(dependencies) - set(before)), **before}
    entry = _Entry(
        payload=pickle.dumps(value, pickle.HIGHEST_PROTOCOL),
        versions=versions,
        expires_at=time.time() + timeout,
    )
    cache.set(ENTRY_PREFIX + key, entry.to_shared(), timeout)
    _recent.put(key, entry)
    return value

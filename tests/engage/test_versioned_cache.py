"""engage.versioned_cache: values are served until a dependency is bumped, from this process's
copy with one read of the versions, and never revived after the versions disappear."""

import time_machine
from django.core.cache import cache, caches

from engage import versioned_cache


class Counter:
    """A build function that counts its calls and reports `dependencies`."""

    def __init__(self, *dependencies: str):
        self.calls = 0
        self.dependencies = list(dependencies)

    def __call__(self):
        self.calls += 1
        return {"built": self.calls, "items": [1, 2]}, self.dependencies


def get(key, build, *, known=("family:1",), timeout=600):
    return versioned_cache.get_or_build(
        f"test:{key}", build, known_dependencies=list(known), timeout=timeout
    )


class CacheCalls:
    """Counts the reads this process makes of the shared cache (a get_many is one read, even
    where the backend answers it with several gets)."""

    def __init__(self, monkeypatch):
        self.gets = self.get_manys = 0
        self._inside_get_many = False
        backend = caches["default"]
        original_get, original_get_many = backend.get, backend.get_many

        def counting_get(*args, **kwargs):
            self.gets += not self._inside_get_many
            return original_get(*args, **kwargs)

        def counting_get_many(*args, **kwargs):
            self.get_manys += 1
            self._inside_get_many = True
            try:
                return original_get_many(*args, **kwargs)
            finally:
                self._inside_get_many = False

        monkeypatch.setattr(backend, "get", counting_get)
        monkeypatch.setattr(backend, "get_many", counting_get_many)


def test_built_once_then_served_until_a_known_dependency_is_bumped(db):
    build = Counter()
    assert get("a", build) == {"built": 1, "items": [1, 2]}
    assert get("a", build) == {"built": 1, "items": [1, 2]}
    versioned_cache.bump("family:2")  # not a dependency
    assert get("a", build)["built"] == 1
    versioned_cache.bump("family:1")
    assert get("a", build)["built"] == 2
    assert build.calls == 2


def test_dependencies_reported_by_the_build_invalidate_it(db):
    build = Counter("classroom:7", "classroom:8")
    assert get("b", build)["built"] == 1
    versioned_cache.bump("classroom:8")
    assert get("b", build)["built"] == 2
    assert get("b", build)["built"] == 2


def test_a_hit_in_this_process_reads_only_the_versions(db, monkeypatch):
    build = Counter("classroom:7")
    get("c", build)
    calls = CacheCalls(monkeypatch)
    assert get("c", build)["built"] == 1
    assert (calls.gets, calls.get_manys) == (0, 1)


def test_another_process_reads_the_shared_entry_and_its_versions(db, monkeypatch):
    build = Counter("classroom:7")
    get("d", build)
    versioned_cache._recent.clear()  # as if this were another process
    calls = CacheCalls(monkeypatch)
    assert get("d", build)["built"] == 1
    assert (calls.gets, calls.get_manys) == (1, 1)
    assert build.calls == 1


def test_every_reader_gets_its_own_copy(db):
    build = Counter()
    first = get("e", build)
    first["items"].append(3)
    assert get("e", build) == {"built": 1, "items": [1, 2]}


def test_a_flushed_cache_never_revives_a_value_built_before(db):
    """A version that disappears (flush, eviction, expiry) is created anew, so a value kept by
    this process from before matches nothing."""
    build = Counter()
    assert get("f", build)["built"] == 1
    versioned_cache.bump("family:1")
    cache.clear()  # the versions go; this process still holds the value built first
    assert get("f", build)["built"] == 2


def test_values_expire_after_their_timeout_in_both_tiers(db):
    build = Counter()
    with time_machine.travel("2026-09-14 08:00:00Z", tick=False) as traveller:
        get("g", build, timeout=60)
        traveller.shift(59)
        assert get("g", build, timeout=60)["built"] == 1
        traveller.shift(2)
        assert get("g", build, timeout=60)["built"] == 2


def test_a_bump_in_a_transaction_invalidates_again_after_commit(
    db, django_capture_on_commit_callbacks
):
    build = Counter()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        versioned_cache.bump("family:1")
        # A reader that raced the transaction caches the old data under the new version...
        assert get("h", build)["built"] == 1
    for callback in callbacks:
        callback()  # ...and the commit invalidates it.
    assert get("h", build)["built"] == 2

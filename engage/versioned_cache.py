"""Caching that is never stale: values remember the versions of what they were built from.

A "dependency" is a name such as "family:42" or "classroom:7". Actions that change what a name
covers call `bump(...)`; a cached value stores the versions of its dependencies when it was
built and is used only while all of them are unchanged (one MGET to check). Versions are
bumped at once and again after commit, so a reader that raced the transaction and cached old
data under the new version is invalidated when the data becomes visible.

Cache keys always carry the tenant (district) they belong to. Values are pickled by the cache
backend (Redis in production, local memory otherwise).
"""

import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction

VERSION_PREFIX = "v:"
VERSION_TIMEOUT = 60 * 60 * 24 * 30
MISSING = "0"


def current_versions(names: Iterable[str]) -> dict[str, str]:
    names = list(names)
    found = cache.get_many([VERSION_PREFIX + name for name in names]) if names else {}
    return {name: found.get(VERSION_PREFIX + name, MISSING) for name in names}


def _set_new_versions(names: list[str]) -> None:
    cache.set_many(
        {VERSION_PREFIX + name: uuid.uuid4().hex[:12] for name in names}, VERSION_TIMEOUT
    )


def bump(*names: str) -> None:
    """Invalidate every cached value that depends on any of `names` (now and after commit)."""
    names_list = [name for name in names if name]
    if not names_list:
        return
    _set_new_versions(names_list)
    transaction.on_commit(lambda: _set_new_versions(names_list))


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
    entry = cache.get(key)
    if entry is not None and current_versions(entry["versions"]) == entry["versions"]:
        return entry["value"]
    before = current_versions(known_dependencies)
    value, dependencies = build()
    versions = {**current_versions(set(dependencies) - set(before)), **before}
    cache.set(key, {"value": value, "versions": versions}, timeout)
    return value

"""Lifecycle timers: rows with a due date, swept so that each runs once, failures retried."""

import datetime
import threading
import time

import pytest
from django.db import connection, connections

from privacy import timers
from privacy.models import LifecycleTimer
from privacy.timers import Handler, set_timer, sweep

NOW = datetime.datetime(2026, 11, 30, 3, 30, tzinfo=datetime.UTC)
Kind, State = LifecycleTimer.Kind, LifecycleTimer.State


@pytest.fixture
def recorded(monkeypatch):
    """REQUEST_DUE timers run a handler that records the subject ids it ran for."""
    seen: list[int] = []
    lock = threading.Lock()

    def handler(timer, now):
        time.sleep(0.002)  # long enough for two sweepers to overlap
        with lock:
            seen.append(timer.subject_id)
        if timer.subject_id == 13:
            raise RuntimeError("bad row")
        return "ok"

    monkeypatch.setitem(timers.HANDLERS, Kind.REQUEST_DUE, Handler(handler))
    return seen


def make(world, n, *, due=NOW - datetime.timedelta(days=1)):
    return LifecycleTimer.objects.bulk_create(
        LifecycleTimer(
            district=world.lakeside,
            kind=Kind.REQUEST_DUE,
            subject_type="test.subject",
            subject_id=i,
            due_at=due,
        )
        for i in range(1, n + 1)
    )


def test_only_due_rows_run_and_a_missed_day_catches_up(world, recorded):
    make(world, 3, due=NOW - datetime.timedelta(days=3))  # three days missed
    set_timer(
        kind=Kind.REQUEST_DUE,
        subject=("test.subject", 99),
        due_at=NOW + datetime.timedelta(seconds=1),
        district_id=world.lakeside.id,
    )
    result = sweep(now=NOW)
    assert sorted(recorded) == [1, 2, 3]
    assert dict(result.counts) == {"request_due:ok": 3}
    assert LifecycleTimer.objects.filter(state=State.DONE).count() == 3
    assert LifecycleTimer.objects.get(subject_id=99).state == State.PENDING
    assert sweep(now=NOW).counts == {}  # a rerun finds nothing


def test_a_failing_row_is_retried_later_then_marked_failed(world, recorded):
    make(world, 14)
    result = sweep(now=NOW)
    assert result.failed == 1
    bad = LifecycleTimer.objects.get(subject_id=13)
    assert (bad.state, bad.attempts, bad.last_error) == (State.PENDING, 1, "RuntimeError: bad row")
    assert bad.due_at == NOW + timers.RETRY_AFTER
    assert LifecycleTimer.objects.filter(state=State.DONE).count() == 13
    later = NOW
    for _attempt in range(timers.MAX_ATTEMPTS - 1):
        later += timers.RETRY_AFTER
        sweep(now=later)
    bad.refresh_from_db()
    assert (bad.state, bad.attempts) == (State.FAILED, timers.MAX_ATTEMPTS)


def test_a_claim_left_by_a_dead_worker_is_released_and_run(world, recorded):
    (timer,) = make(world, 1)
    LifecycleTimer.objects.filter(id=timer.id).update(
        state=State.RUNNING, claimed_at=NOW - timers.CLAIM_TIMEOUT - datetime.timedelta(minutes=1)
    )
    sweep(now=NOW)
    assert recorded == [1]
    assert LifecycleTimer.objects.get(id=timer.id).state == State.DONE


def test_set_timer_moves_the_open_timer_instead_of_adding_one(world):
    first = set_timer(
        kind=Kind.REQUEST_DUE,
        subject=("test.subject", 1),
        due_at=NOW,
        district_id=world.lakeside.id,
    )
    moved = set_timer(
        kind=Kind.REQUEST_DUE,
        subject=("test.subject", 1),
        due_at=NOW + datetime.timedelta(days=5),
        district_id=world.lakeside.id,
    )
    assert moved.id == first.id
    assert LifecycleTimer.objects.get().due_at == NOW + datetime.timedelta(days=5)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite's in-memory test database shares one page cache (and its locks) between "
    "threads; the embedded mode runs a single sweeper. CI runs this on PostgreSQL.",
)
def test_two_sweepers_at_once_process_each_row_once(recorded):
    from tests.world import build_world

    world = build_world()
    make(world, 400)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=30)
            sweep(now=NOW)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(recorded) == list(range(1, 401))  # each once, none twice
    assert LifecycleTimer.objects.filter(state=State.DONE).count() == 399

"""Lifecycle timers: long clocks as rows, swept daily (PROMISES R2-R9; house style 4).

Design. `set_timer` writes (or moves) the one open timer of a kind for a subject; `cancel_timers`
stops it (a sign-in cancels an inactivity closure by moving it). `sweep` claims due rows in short
transactions with SELECT ... FOR UPDATE SKIP LOCKED, marking them RUNNING, so two sweepers never
take the same row, then runs each row's handler in its own transaction and marks it DONE. A
handler that raises is rolled back alone: the row goes back to PENDING with the error and a
later due time (FAILED after MAX_ATTEMPTS), and the rest carry on. A RUNNING claim older than
CLAIM_TIMEOUT (a worker that died) is released on the next sweep; handlers are idempotent, so
running one again is safe. A missed day needs nothing special: every row due by now is swept.
"""

import datetime
import secrets
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from privacy.models import LifecycleTimer

Kind = LifecycleTimer.Kind
State = LifecycleTimer.State
CLAIM_BATCH = 200
CLAIM_TIMEOUT = datetime.timedelta(hours=2)
RETRY_AFTER = datetime.timedelta(hours=6)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Handler:
    """run(timer, now) -> a short outcome word for the run's counts ("closed", "skipped").
    `is_atomic=False` for handlers that commit in chunks themselves (purges): they must be
    resumable, since a failure half-way leaves the chunks already done. `run_batch(timers,
    now) -> {timer id: outcome}`, when given, handles a whole claimed batch at once (bulk
    purges); it must be resumable too, and a failure retries the whole batch."""

    run: Callable[[LifecycleTimer, datetime.datetime], str]
    is_atomic: bool = True
    run_batch: Callable[[list[LifecycleTimer], datetime.datetime], dict[int, str]] | None = None


HANDLERS: dict[str, Handler] = {}


def handles(kind: str, *, is_atomic: bool = True, batch=None):
    """Register the handler of a timer kind (privacy.lifecycle registers them all)."""

    def register(function):
        HANDLERS[kind] = Handler(function, is_atomic, batch)
        return function

    return register


def set_timer(
    *,
    kind: str,
    subject,
    due_at: datetime.datetime,
    district_id: int,
    school_id: int | None = None,
) -> LifecycleTimer:
    """The open timer of `kind` for `subject`, due at `due_at` (created, or moved if open)."""
    subject_type, subject_id = subject_key(subject)
    timer, created = LifecycleTimer.objects.get_or_create(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        state__in=[State.PENDING, State.RUNNING],
        defaults={
            "district_id": district_id,
            "school_id": school_id,
            "due_at": due_at,
            "state": State.PENDING,
        },
    )
    if not created and timer.due_at != due_at:
        LifecycleTimer.objects.filter(id=timer.id).update(due_at=due_at)
        timer.due_at = due_at
    return timer


def cancel_timers(*, subject, kinds: list[str] | None = None) -> int:
    """Cancel the subject's open timers (of `kinds`, or all); returns how many."""
    subject_type, subject_id = subject_key(subject)
    timers = LifecycleTimer.objects.filter(
        subject_type=subject_type, subject_id=subject_id, state=State.PENDING
    )
    if kinds is not None:
        timers = timers.filter(kind__in=kinds)
    return timers.update(state=State.CANCELLED, done_at=timezone.now())


def subject_key(subject) -> tuple[str, int]:
    if isinstance(subject, tuple):
        return subject
    return subject._meta.label_lower, subject.id


@dataclass
class SweepResult:
    counts: Counter = field(default_factory=Counter)
    failed: int = 0


def due_timers(*, now: datetime.datetime, kinds=None, district_id: int | None = None):
    """The pending timers due by `now` (of `kinds`, in `district_id`), oldest first."""
    timers = LifecycleTimer.objects.filter(state=State.PENDING, due_at__lte=now)
    if kinds:
        timers = timers.filter(kind__in=kinds)
    if district_id is not None:
        timers = timers.filter(district_id=district_id)
    return timers.order_by("due_at", "id")


def sweep(
    *,
    now: datetime.datetime | None = None,
    kinds: list[str] | None = None,
    district_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Run every due timer's handler once (see module). Safe to run in parallel and to rerun."""
    now = now or timezone.now()
    release_stale_claims(now)
    result = SweepResult()
    while claimed := _claim(now=now, kinds=kinds, district_id=district_id):
        singles = []
        for kind in sorted({t.kind for t in claimed}):
            group = [t for t in claimed if t.kind == kind]
            if HANDLERS[kind].run_batch is None:
                singles.extend(group)
                continue
            for timer, outcome in _run_batch(HANDLERS[kind], group, now):
                _count(result, timer, outcome, progress)
        for timer in singles:
            _count(result, timer, _run_one(timer, now), progress)
    return result


def _count(result: SweepResult, timer, outcome: str, progress) -> None:
    result.counts[f"{timer.kind}:{outcome}"] += 1
    result.failed += outcome == "error"
    if progress:
        progress(1)


def release_stale_claims(now: datetime.datetime) -> int:
    """RUNNING rows claimed before CLAIM_TIMEOUT by a worker that died go back to PENDING."""
    return LifecycleTimer.objects.filter(
        state=State.RUNNING, claimed_at__lt=now - CLAIM_TIMEOUT
    ).update(state=State.PENDING, claimed_at=None)


def _claim(*, now, kinds, district_id) -> list[LifecycleTimer]:
    """Take up to CLAIM_BATCH due rows for this sweeper. On PostgreSQL, FOR UPDATE SKIP LOCKED
    keeps other sweepers off them; the conditional UPDATE (still PENDING) and the claim stamp,
    unique to this claim, make it exact on databases without row locks too (SQLite)."""
    # On the sweep's own clock, as release_stale_claims compares it.
    stamp = now + datetime.timedelta(microseconds=secrets.randbelow(1_000_000))
    with transaction.atomic():
        ids = list(
            due_timers(now=now, kinds=kinds, district_id=district_id)
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:CLAIM_BATCH]
        )
        LifecycleTimer.objects.filter(id__in=ids, state=State.PENDING).update(
            state=State.RUNNING, claimed_at=stamp
        )
    return list(
        LifecycleTimer.objects.filter(id__in=ids, state=State.RUNNING, claimed_at=stamp).order_by(
            "due_at", "id"
        )
    )


def _run_batch(handler: Handler, timers: list[LifecycleTimer], now) -> list[tuple]:
    try:
        outcomes = handler.run_batch(timers, now)
    except Exception as error:
        for timer in timers:
            _failed(timer, now, error)
        return [(timer, "error") for timer in timers]
    LifecycleTimer.objects.filter(id__in=[t.id for t in timers], state=State.RUNNING).update(
        state=State.DONE, done_at=timezone.now(), claimed_at=None, last_error=""
    )
    return [(timer, outcomes[timer.id]) for timer in timers]


def _failed(timer: LifecycleTimer, now, error: Exception) -> None:
    attempts = timer.attempts + 1
    LifecycleTimer.objects.filter(id=timer.id).update(
        state=State.FAILED if attempts >= MAX_ATTEMPTS else State.PENDING,
        attempts=attempts,
        due_at=now + RETRY_AFTER,
        claimed_at=None,
        last_error=f"{type(error).__name__}: {error}"[:255],
    )


def _run_one(timer: LifecycleTimer, now: datetime.datetime) -> str:
    handler = HANDLERS[timer.kind]
    try:
        with transaction.atomic(durable=False) if handler.is_atomic else nullcontext():
            outcome = handler.run(timer, now)
            LifecycleTimer.objects.filter(id=timer.id, state=State.RUNNING).update(
                state=State.DONE, done_at=timezone.now(), claimed_at=None, last_error=""
            )
        return outcome
    except Exception as error:
        _failed(timer, now, error)
        return "error"

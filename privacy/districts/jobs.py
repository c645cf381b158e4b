"""The "districts" retention job (R7, R8, R9) and the REQUEST_DUE timer handler.

Design. Each day, for each district, `run_districts_job` first applies the backstop (R9) and puts
back a disposal clock a terminated district lost (a timer marked FAILED after its retries: a new
one keeps trying while `retention status` still shows the failed one), then sweeps the district's
due REQUEST_DUE timers with privacy.timers.sweep (SKIP LOCKED claims, retries, stale claims
released). REQUEST_DUE has one handler, which dispatches on the timer's subject_type through
DUE_HANDLERS; another module's REQUEST_DUE clock registers its own subject type there. Handlers are
idempotent: a deletion resumes from its ledger, a clock whose situation changed does nothing.
"""

import datetime
from collections import Counter
from collections.abc import Callable

from django.db.models import Min

from privacy import timers
from privacy.districts import backstop, contract, requests
from privacy.models import LifecycleTimer
from tenants.models import District

TimerKind, State = LifecycleTimer.Kind, LifecycleTimer.State
JOB_NAME = "districts"

DUE_HANDLERS: dict[str, Callable[[LifecycleTimer, datetime.datetime], str]] = {
    requests.TIMER_SUBJECT: lambda timer, now: requests.carry_out_deletion_request(
        timer.subject_id, now=now, job=JOB_NAME
    ),
    contract.CONTRACT_END: contract.run_contract_end,
    contract.DISPOSAL: contract.run_disposal,
}


# Not atomic: deletions commit chunk by chunk (and are resumable); the others open their own.
@timers.handles(TimerKind.REQUEST_DUE, is_atomic=False)
def run_due_timer(timer: LifecycleTimer, now: datetime.datetime) -> str:
    handler = DUE_HANDLERS.get(timer.subject_type)
    if handler is None:
        raise LookupError(f"no REQUEST_DUE handler for {timer.subject_type!r}")
    return handler(timer, now)


def plan_districts_job(district: District, now: datetime.datetime):
    """Due clocks by subject, and whether the backstop is near (read-only)."""
    from privacy.jobs import Plan

    due = timers.due_timers(now=now, kinds=[TimerKind.REQUEST_DUE], district_id=district.id)
    by_subject = Counter(due.values_list("subject_type", flat=True))
    details = dict(by_subject)
    if district.contract_ended_at is None:
        backstop_at = backstop.backstop_due_at(district, now)
        if backstop_at is not None:
            details["backstop_on"] = backstop_at.date().isoformat()
    return Plan(sum(by_subject.values()), due.aggregate(oldest=Min("due_at"))["oldest"], details)


def run_districts_job(district: District, now: datetime.datetime, progress=None) -> dict:
    """Backstop, lost clocks, then every due clock of the district (see module)."""
    from privacy.jobs import JobFailed

    counts = Counter(backstop.check_backstop(district, now=now))
    district.refresh_from_db()
    if district.contract_ended_at is not None and not _has_open_disposal_clock(district):
        contract.set_contract_clocks(district)
        counts["clocks_restored"] += 1
    result = timers.sweep(
        now=now, kinds=[TimerKind.REQUEST_DUE], district_id=district.id, progress=progress
    )
    counts.update(result.counts)
    if result.failed:
        raise JobFailed(dict(counts), f"{result.failed} clock(s) failed; see last_error")
    return dict(counts)


def _has_open_disposal_clock(district: District) -> bool:
    return LifecycleTimer.objects.filter(
        kind=TimerKind.REQUEST_DUE,
        subject_type=contract.DISPOSAL,
        subject_id=district.id,
        state__in=[State.PENDING, State.RUNNING],
    ).exists()

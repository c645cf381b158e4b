"""The retention jobs: what each one plans and does, per district, and the record of each run.

Design. A Job has a `plan` (what is due now and would be done: counts and the oldest due date,
read-only) and a `run` (do it, return counts). `run_job` wraps a run in a RetentionRun row
(job, district, counts, start, end, outcome), so `retention status` and the district console
show what happened, and a failure is recorded with its error and reported by exit status. Every
job is idempotent and catches up: it handles everything due by `now`, however late. The daily
Celery beat task and `manage.py retention run` both go through `run_all` / `run_job`.
"""

import datetime
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Min
from django.utils import timezone

from activities.models import ActivityEvent
from notifications.models import OutboxEntry
from notifications.retention import purge_delivery_logs, purge_message_bodies
from privacy import lifecycle, timers
from privacy.audit import Actor
from privacy.districts.jobs import plan_districts_job, run_districts_job
from privacy.erasure import do_erase_family
from privacy.models import AuditEvent, LifecycleTimer, PrivacyRequest, RetentionRun
from privacy.policy import resolve
from privacy.queries import get_policy
from tenants.models import District

logger = logging.getLogger(__name__)
TimerKind = LifecycleTimer.Kind
CHUNK = 5000


@dataclass(frozen=True)
class Plan:
    due: int
    oldest_due: datetime.datetime | None
    details: dict


@dataclass(frozen=True)
class Job:
    name: str
    promise: str
    description: str
    plan: Callable[[District, datetime.datetime], Plan]
    run: Callable[[District, datetime.datetime, Callable[[int], None] | None], dict]


def _timer_plan(kinds: list[str]):
    def plan(district: District, now: datetime.datetime) -> Plan:
        due = timers.due_timers(now=now, kinds=kinds, district_id=district.id)
        summary = due.aggregate(oldest=Min("due_at"))
        by_kind = Counter(due.values_list("kind", flat=True))
        return Plan(sum(by_kind.values()), summary["oldest"], dict(by_kind))

    return plan


def _timer_run(kinds: list[str], schedule: Callable | None = None):
    def run(district: District, now: datetime.datetime, progress=None) -> dict:
        counts = Counter()
        if schedule is not None:
            counts.update(
                {f"scheduled:{k}": v for k, v in _as_counts(schedule(district.id, now=now)).items()}
            )
        result = timers.sweep(now=now, kinds=kinds, district_id=district.id, progress=progress)
        counts.update(result.counts)
        if result.failed:
            raise JobFailed(dict(counts), f"{result.failed} timer(s) failed; see last_error")
        return dict(counts)

    return run


def _as_counts(value) -> dict:
    return value if isinstance(value, dict) else {"accounts": value}


class JobFailed(Exception):
    def __init__(self, counts: dict, message: str):
        super().__init__(message)
        self.counts = counts


# --- Erasure requests (R5) ---------------------------------------------------------------------


def _open_erasures(district: District):
    return PrivacyRequest.objects.filter(
        district_id=district.id,
        kind=PrivacyRequest.Kind.ERASURE,
        status=PrivacyRequest.Status.OPEN,
    )


def _erasure_plan(district: District, now: datetime.datetime) -> Plan:
    requests = _open_erasures(district)
    return Plan(requests.count(), requests.aggregate(oldest=Min("due_at"))["oldest"], {})


def _erasure_run(district: District, now: datetime.datetime, progress=None) -> dict:
    """Every open request is carried out at the next run: well inside the window."""
    counts, failed = Counter(), 0
    for request in _open_erasures(district).order_by("due_at", "id"):
        try:
            certificate = do_erase_family(request, actor=Actor.system())
        except Exception:
            logger.exception("privacy.erasure.failed", extra={"request_id": request.id})
            failed += 1
            continue
        counts["requests"] += 1
        counts.update(certificate.get("counts", {}))
        if progress:
            progress(1)
    if failed:
        raise JobFailed(dict(counts), f"{failed} erasure request(s) failed")
    return dict(counts)


# --- Logs (R10, R11) ---------------------------------------------------------------------------


def _log_cutoffs(district: District, now: datetime.datetime) -> dict[str, datetime.datetime]:
    policy = get_policy(district.id)
    return {
        "security": policy.before("security_log_months", now),
        "bodies": policy.before("message_body_days", now),
        "messages": policy.before("message_log_months", now),
    }


def _logs_plan(district: District, now: datetime.datetime) -> Plan:
    cutoffs = _log_cutoffs(district, now)
    audit = AuditEvent.objects.filter(district_id=district.id, created_at__lt=cutoffs["security"])
    events = ActivityEvent.objects.filter(
        district_id=district.id, created_at__lt=cutoffs["security"]
    )
    details = {"audit_events": audit.count(), "activity_events": events.count()}
    oldest = audit.aggregate(oldest=Min("created_at"))["oldest"]
    return Plan(sum(details.values()), oldest, details)


def _logs_run(district: District, now: datetime.datetime, progress=None) -> dict:
    cutoffs = _log_cutoffs(district, now)
    counts = {
        "audit_events": _delete_in_chunks(
            AuditEvent.objects.filter(district_id=district.id, created_at__lt=cutoffs["security"])
        ),
        "activity_events": _delete_in_chunks(
            ActivityEvent.objects.filter(
                district_id=district.id, created_at__lt=cutoffs["security"]
            )
        ),
        "message_bodies": purge_message_bodies(
            older_than=cutoffs["bodies"], district_id=district.id
        ),
    }
    counts |= purge_delivery_logs(older_than=cutoffs["messages"], district_id=district.id)
    return counts


def _delete_in_chunks(queryset) -> int:
    """Delete by id in chunks, one statement (and transaction) each, no OFFSET."""
    deleted = 0
    while ids := list(queryset.order_by("id").values_list("id", flat=True)[:CHUNK]):
        deleted += queryset.model.objects.filter(id__in=ids)._raw_delete(queryset.db)
    return deleted


def purge_outbox(now: datetime.datetime) -> int:
    """The embedded mode's outbox keeps copies of messages for the platform's default body
    window (it belongs to no district)."""
    cutoff = resolve({}).before("message_body_days", now)
    return _delete_in_chunks(OutboxEntry.objects.filter(created_at__lt=cutoff))


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "archive_purge",
            "R1",
            "Deleted accounts, children and work, for good after the restore window",
            _timer_plan([TimerKind.ARCHIVE_PURGE]),
            _timer_run([TimerKind.ARCHIVE_PURGE]),
        ),
        Job(
            "account_closure",
            "R2",
            "Closed accounts, deleted after the hold",
            _timer_plan([TimerKind.ACCOUNT_DELETION]),
            _timer_run([TimerKind.ACCOUNT_DELETION]),
        ),
        Job(
            "inactivity",
            "R3",
            "Inactive accounts: notice, then closure",
            _timer_plan([TimerKind.INACTIVITY_NOTICE, TimerKind.INACTIVITY_CLOSURE]),
            _timer_run(
                [TimerKind.INACTIVITY_NOTICE, TimerKind.INACTIVITY_CLOSURE],
                lifecycle.schedule_inactivity_timers,
            ),
        ),
        Job(
            "removed_children",
            "R4",
            "Children removed by the school and by every guardian",
            _timer_plan([TimerKind.CHILD_DELETION]),
            _timer_run([TimerKind.CHILD_DELETION], lifecycle.schedule_child_deletions),
        ),
        Job("erasure", "R5", "Requests to be forgotten", _erasure_plan, _erasure_run),
        Job("logs", "R10 R11", "Security, activity and message logs", _logs_plan, _logs_run),
        # Last of a district's jobs: a disposal removes the district itself (privacy.districts).
        Job(
            "districts",
            "R7 R8 R9",
            "School and district deletion requests, contract ends and the inactive backstop",
            plan_districts_job,
            run_districts_job,
        ),
    )
}


def run_job(
    job: Job,
    district: District,
    *,
    now: datetime.datetime | None = None,
    is_dry_run: bool = False,
    trigger: str = "beat",
    progress: Callable[[int], None] | None = None,
) -> RetentionRun:
    """Run (or, dry, plan) one job for one district, recorded as a RetentionRun."""
    now = now or timezone.now()
    run = RetentionRun.objects.create(
        job=job.name, district=district, is_dry_run=is_dry_run, trigger=trigger
    )
    try:
        if is_dry_run:
            plan = job.plan(district, now)
            counts = {"due": plan.due, **plan.details}
        else:
            counts = job.run(district, now, progress)
        run.outcome = RetentionRun.Outcome.SUCCEEDED
    except JobFailed as error:
        counts, run.outcome, run.error = error.counts, RetentionRun.Outcome.FAILED, str(error)
    except Exception as error:
        logger.exception("privacy.retention.failed", extra={"job": job.name})
        counts, run.outcome = {}, RetentionRun.Outcome.FAILED
        run.error = f"{type(error).__name__}: {error}"[:255]
    run.counts = counts
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "outcome", "error", "finished_at"])
    return run


def close_abandoned_runs(now: datetime.datetime) -> int:
    """Runs of the daily jobs still RUNNING after CLAIM_TIMEOUT were cut short (a killed
    worker): they are marked failed, so status pages stop showing them as running. What they
    left undone is still due, and the timers' own claims are released the same way
    (privacy.timers). A district disposal's record is its ledger, resumed by the next run, so
    it is left alone (privacy.districts.deletion)."""
    return RetentionRun.objects.filter(
        job__in=list(JOBS),
        outcome=RetentionRun.Outcome.RUNNING,
        started_at__lt=now - timers.CLAIM_TIMEOUT,
    ).update(
        outcome=RetentionRun.Outcome.FAILED,
        error="abandoned: the run stopped before it finished (worker killed?)",
        finished_at=now,
    )


def run_all(
    *, now=None, district_slug: str | None = None, job_names=None, trigger: str = "beat"
) -> list[RetentionRun]:
    """Every job (or `job_names`) for every district (or one): the daily beat's work."""
    now = now or timezone.now()
    close_abandoned_runs(now)
    districts = District.objects.order_by("id")
    if district_slug:
        districts = districts.filter(slug=district_slug)
    runs = []
    for district in districts:
        for name, job in JOBS.items():
            if job_names and name not in job_names:
                continue
            runs.append(run_job(job, district, now=now, trigger=trigger))
    if not district_slug and (not job_names or "logs" in job_names):
        purge_outbox(now)
    return runs

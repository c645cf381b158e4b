"""The inactive-district backstop (PROMISES R9): a district nobody has signed in to or done
anything in for inactive_district_months (24) is treated as terminated.

What. Every day the "districts" job asks each district still under contract whether anything
happened since the cutoff: a sign-in by anyone holding a role there, an audited action, a
submission, an activity, a message or a roster import (EXISTS queries on indexed columns, which
stop at the first row). One that has been quiet for the whole window but BACKSTOP_WARNING_DAYS
is announced to operators (a warning log line and the job's counts in `manage.py retention
status`); once the full window has passed it is terminated with reason "inactive" (read-only,
then the same access and disposal windows as a contract's end, contract.py), again logged and
counted, so operators have the access window to undo it (`terminate_district SLUG --cancel`)
before anything is deleted.

Safe to re-run: a terminated district is skipped; the warning repeats daily until it resolves.
A sign-in counts wherever the person signed in: one login serves all their districts.
"""

import datetime
import logging

from django.db.models import Max, Q

from activities.models import Activity, Submission
from notifications.models import Message
from privacy.audit import Actor
from privacy.districts.contract import REASON_INACTIVE, do_terminate_district
from privacy.models import AuditEvent
from privacy.queries import get_policy
from tenants.models import District, Membership, RosterImportRun

logger = logging.getLogger(__name__)
BACKSTOP_WARNING_DAYS = 30
# (model, time column, which rows) of what counts as activity in a district: people's doings,
# not the platform's own (the retention jobs' audit events, its automatic messages).
ACTIVITY_SOURCES = (
    (Membership, "user__last_login", Q()),
    (AuditEvent, "created_at", Q(actor__isnull=False)),
    (Submission, "submitted_at", Q()),
    (Activity, "created_at", Q()),
    (Message, "created_at", Q(author__isnull=False)),
    (RosterImportRun, "started_at", Q()),
)


def is_active_since(district: District, since: datetime.datetime) -> bool:
    """Did anyone sign in to or do anything in the district since `since`?"""
    if district.created_at >= since:
        return True
    return any(
        model.objects.filter(rows, district_id=district.id, **{f"{column}__gte": since}).exists()
        for model, column, rows in ACTIVITY_SOURCES
    )


def get_last_activity(district: District) -> datetime.datetime:
    """When the district was last used (its creation if never)."""
    moments = [district.created_at]
    for model, column, rows in ACTIVITY_SOURCES:
        moments.append(
            model.objects.filter(rows, district_id=district.id).aggregate(last=Max(column))["last"]
        )
    return max(moment for moment in moments if moment is not None)


def backstop_due_at(district: District, now: datetime.datetime) -> datetime.datetime | None:
    """When the backstop applies if nothing happens until then (None: not within the warning)."""
    policy = get_policy(district.id)
    warn_from = policy.before("inactive_district_months", now) + datetime.timedelta(
        days=BACKSTOP_WARNING_DAYS
    )
    if is_active_since(district, warn_from):
        return None
    return policy.after("inactive_district_months", get_last_activity(district))


def check_backstop(district: District, *, now: datetime.datetime) -> dict[str, int]:
    """Warn about, or terminate, a district quiet for the backstop window (see module)."""
    if district.contract_ended_at is not None:
        return {}
    due_at = backstop_due_at(district, now)
    if due_at is None:
        return {}
    extra = {"district_id": district.id, "due": due_at.date().isoformat()}
    if due_at > now:
        logger.warning("privacy.district.backstop_approaching", extra=extra)
        return {"backstop_warning": 1}
    logger.warning("privacy.district.backstop_applied", extra=extra)
    do_terminate_district(
        district, ended_at=now, actor=Actor.system(), reason=REASON_INACTIVE, now=now
    )
    return {"backstop_terminated": 1}

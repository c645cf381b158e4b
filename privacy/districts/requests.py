"""A district's request to delete one school's data, or all of its data (PROMISES R7).

What. A district admin asks (`do_request_deletion`): a PrivacyRequest of kind SCHOOL_DELETION or
DISTRICT_DELETION, due within the district's deletion window (14 business days by default, set by
privacy.requests), with a REQUEST_DUE timer due at once, so the next daily run of the "districts"
job carries it out (an operator can do it at once: `manage.py district_deletions run ID`). The
deletion engine (deletion.py) removes the school's rows, or the district's data while keeping the
district, its settings and its admins; then one transaction removes the school row (the request
and its own audit trail are detached from it first), completes the request with its certificate
(counts by table and category, when, by which job; never content) and queues a privacy notice to
the district admins: the day after the request, well inside the 10-day confirmation window.

Safe to re-run: the engine resumes from the progress kept in the request's certificate field; a
request that is no longer open is skipped; the timer's claim keeps two runners apart.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from privacy.audit import Actor, record_audit_event
from privacy.districts.deletion import DeletionRun, Ledger, Target, certificate_body, iso
from privacy.journal import DATA_DELETED, record_on_commit
from privacy.models import AuditEvent, LifecycleTimer, PrivacyRequest
from privacy.queries import get_policy
from privacy.requests import do_complete_request, do_create_request
from privacy.timers import cancel_timers, set_timer
from tenants.actions import ActionError
from tenants.models import District, School
from tenants.scope import Scope

logger = logging.getLogger(__name__)
Kind, Status = PrivacyRequest.Kind, PrivacyRequest.Status
DELETION_KINDS = (Kind.SCHOOL_DELETION, Kind.DISTRICT_DELETION)
TIMER_SUBJECT = "privacy.privacyrequest"
State = LifecycleTimer.State


@transaction.atomic
def do_request_deletion(scope: Scope, *, school: School | None, actor: Actor) -> PrivacyRequest:
    """A district admin asks to delete one school's data (`school`) or the district's (None).

    One open request per school (and one for the district). The requester is set after
    creation: privacy.requests allows one open request per person and kind, which suits
    families, while an admin may ask for two schools at once."""
    district = scope.district
    if school is not None and school.district_id != district.id:
        raise ActionError(_("That school belongs to another district."))
    kind = Kind.SCHOOL_DELETION if school else Kind.DISTRICT_DELETION
    if PrivacyRequest.objects.filter(
        district_id=district.id, kind=kind, status=Status.OPEN, school=school
    ).exists():
        raise ActionError(_("This deletion was already asked for; it is on its way."))
    request = do_create_request(district, kind=kind, requester=None, school=school, actor=actor)
    PrivacyRequest.objects.filter(id=request.id).update(requester=scope.user)
    request.requester = scope.user
    # Not tied to the school row (school_id None), which the deletion itself removes.
    set_timer(
        kind=LifecycleTimer.Kind.REQUEST_DUE,
        subject=request,
        due_at=request.created_at,
        district_id=district.id,
    )
    return request


@transaction.atomic
def do_withdraw_deletion_request(request: PrivacyRequest, *, actor: Actor) -> PrivacyRequest:
    """Withdraw a deletion request that has not started (ActionError once it has)."""
    request = PrivacyRequest.objects.select_for_update().get(id=request.id)
    # Cancel first, then look: the sweep claims only a PENDING timer and this cancels only a
    # PENDING one, so exactly one of them wins; a claim that won shows as RUNNING below.
    cancel_timers(subject=request)
    started = LifecycleTimer.objects.filter(
        subject_type=TIMER_SUBJECT, subject_id=request.id, state=State.RUNNING
    ).exists()
    if request.status != Status.OPEN or started or request.certificate.get("progress"):
        raise ActionError(_("This deletion has already started or is closed."))
    return do_complete_request(request, status=Status.CANCELLED, response="withdrawn", actor=actor)


def carry_out_deletion_request(request_id: int, *, now: datetime.datetime, job: str) -> str:
    """Carry out an open deletion request (see module); returns "deleted" or "skipped"."""
    request = PrivacyRequest.objects.filter(id=request_id, kind__in=DELETION_KINDS).first()
    if request is None or request.status != Status.OPEN:
        return "skipped"
    ledger = Ledger(PrivacyRequest, request.id, "certificate")
    ledger.progress.setdefault("started_at", iso(now))
    target = Target(
        district_id=request.district_id, school_id=request.school_id, request_id=request.id
    )
    DeletionRun(target, ledger).run()
    return _finish(request.id, ledger, now=now, job=job)


@transaction.atomic
def _finish(request_id: int, ledger: Ledger, *, now: datetime.datetime, job: str) -> str:
    request = (
        PrivacyRequest.objects.select_for_update().select_related("district").get(id=request_id)
    )
    if request.status != Status.OPEN:
        return "skipped"
    district = request.district
    school = School.objects.filter(id=request.school_id, district_id=district.id).first()
    if school is not None:
        PrivacyRequest.objects.filter(id=request.id).update(school=None)
        AuditEvent.objects.filter(
            target_type=TIMER_SUBJECT, target_id=str(request.id), district_id=district.id
        ).update(school=None)
        ledger.add(School.objects.filter(id=school.id).delete()[1])
        request.school = None
    policy = get_policy(district.id)
    certificate = {
        "kind": request.kind,
        "district": district.name,
        "school": school.name if school else None,
        "requested_at": iso(request.created_at),
        "due_at": iso(request.due_at),
        "confirm_by": iso(policy.after("deletion_confirmation_days", request.created_at)),
        "started_at": ledger.progress.get("started_at"),
        "completed_at": iso(timezone.now()),
        "job": job,
        **certificate_body(ledger.progress),
        "kept": _kept(request.kind),
    }
    do_complete_request(request, response="deleted", certificate=certificate, actor=Actor.system())
    record_audit_event(
        actor=Actor.system(),
        action="school.data_deleted" if school else "district.data_deleted",
        target=request,
        metadata={"rows": sum(certificate["counts"].values()), "job": job},
    )
    _queue_confirmation(request, district, certificate)
    record_on_commit(  # outside the database: a restored backup is deleted again (privacy.journal)
        DATA_DELETED,
        request_id=request.id,
        kind=request.kind,
        district_id=district.id,
        school_id=school.id if school else None,
    )
    return "deleted"


def _kept(kind: str) -> list[str]:
    kept = ["people who also belong to another school or district keep their account"]
    if kind == Kind.DISTRICT_DELETION:
        kept.append("the district, its settings and its privacy administrators")
        kept.append("the roster ids of families erased at their request, as keyed hashes only")
    return kept


CONFIRMATION_SUBJECT = gettext_noop("Deletion carried out: %(what)s")
CONFIRMATION_BODY = gettext_noop(
    "The data of %(what)s was deleted on %(date)s, as your district asked on %(asked)s. "
    "The deletion certificate (what was deleted, as counts; no content) is at %(url)s"
)


def _queue_confirmation(request: PrivacyRequest, district: District, certificate: dict) -> None:
    """The confirmation to the district admins: a required privacy notice, by email."""
    from privacy.notices import do_queue_admin_notice, list_district_admin_ids

    if not list_district_admin_ids(district.id):
        logger.warning("privacy.deletion.no_admin_to_confirm", extra={"request_id": request.id})
        return
    url = settings.PUBLIC_BASE_URL + reverse("privacy:district_certificate", args=[request.id])
    content = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            what = certificate["school"] or certificate["district"]
            values = {
                "what": what,
                "date": formats.date_format(request.completed_at, "DATE_FORMAT"),
                "asked": formats.date_format(request.created_at, "DATE_FORMAT"),
                "url": url,
            }
            content[language] = {
                "subject": _(CONFIRMATION_SUBJECT) % values,
                "body": _(CONFIRMATION_BODY) % values,
            }
    do_queue_admin_notice(
        district, content=content, source=("privacy_request", request.id), actor=Actor.system()
    )


def do_carry_out_now(request: PrivacyRequest, *, now: datetime.datetime | None = None) -> str:
    """An operator carries out an open deletion request at once (not at the next daily run).

    Claims the request's timer as a sweep would (ActionError if a run holds it)."""
    now = now or timezone.now()
    if request.status != Status.OPEN or request.kind not in DELETION_KINDS:
        raise ActionError("Only an open school or district deletion request can be carried out.")
    set_timer(
        kind=LifecycleTimer.Kind.REQUEST_DUE,
        subject=request,
        due_at=now,
        district_id=request.district_id,
    )
    claimed = LifecycleTimer.objects.filter(
        subject_type=TIMER_SUBJECT, subject_id=request.id, state=State.PENDING
    ).update(state=State.RUNNING, claimed_at=now)
    if not claimed:
        raise ActionError("The daily job is carrying out this request right now.")
    timers = LifecycleTimer.objects.filter(
        subject_type=TIMER_SUBJECT, subject_id=request.id, state=State.RUNNING
    )
    try:
        outcome = carry_out_deletion_request(
            request.id, now=now, job="manage.py district_deletions run"
        )
    except Exception as error:
        timers.update(
            state=State.PENDING,
            claimed_at=None,
            last_error=f"{type(error).__name__}: {error}"[:255],
        )
        raise
    timers.update(state=State.DONE, claimed_at=None, done_at=timezone.now(), last_error="")
    return outcome

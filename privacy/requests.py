"""Privacy requests: a family's (access, correction, restriction, closure, erasure) or a
district's (school or district deletion), each with the due date its policy window gives.

Writes only; reads are in privacy.queries. Every action audits in its own transaction.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import Delivery
from notifications.models import Kind as NotificationKind
from privacy.audit import Actor, record_audit_event
from privacy.models import PrivacyRequest, ProcessingRestriction
from privacy.queries import get_policy
from tenants.actions import ActionError
from tenants.models import District, School, User

Kind = PrivacyRequest.Kind
Status = PrivacyRequest.Status

# The policy window that sets each kind's due date.
DUE_WINDOWS = {
    Kind.ACCESS: "access_request_days",
    Kind.CORRECTION: "access_request_days",
    Kind.RESTRICTION: "access_request_days",
    Kind.CLOSURE: "access_request_days",
    Kind.ERASURE: "erasure_days",
    Kind.SCHOOL_DELETION: "deletion_request_business_days",
    Kind.DISTRICT_DELETION: "deletion_request_business_days",
}


@transaction.atomic
def do_create_request(
    district: District,
    *,
    kind: str,
    requester: User | None,
    school: School | None = None,
    details: str = "",
    actor: Actor,
) -> PrivacyRequest:
    """Open a request due by the policy's window; one open request per person and kind."""
    if school is not None and school.district_id != district.id:
        raise ActionError(_("That school belongs to another district."))
    open_requests = PrivacyRequest.objects.filter(
        district_id=district.id, kind=kind, status=Status.OPEN
    )
    if requester is not None and open_requests.filter(requester_id=requester.id).exists():
        raise ActionError(_("You already asked for this; the school is working on it."))
    now = timezone.now()
    policy = get_policy(district.id, school.id if school else None)
    request = PrivacyRequest.objects.create(
        district=district,
        school=school,
        kind=kind,
        requester=requester,
        details=details.strip(),
        due_at=policy.after(DUE_WINDOWS[kind], now),
        created_at=now,
    )
    record_audit_event(
        actor=actor,
        action="privacy_request.created",
        target=request,
        metadata={"kind": kind, "due": request.due_at.date().isoformat()},
    )
    return request


@transaction.atomic
def do_complete_request(
    request: PrivacyRequest,
    *,
    status: str = Status.DONE,
    response: str = "",
    certificate: dict | None = None,
    actor: Actor,
) -> PrivacyRequest:
    """Close a request as done or declined (a decline needs a reason for the family)."""
    if request.status != Status.OPEN:
        raise ActionError(_("This request is already closed."))
    if status == Status.DECLINED and not response.strip():
        raise ActionError(_("Say why the request is declined."))
    request.status = status
    request.response = response.strip()
    request.certificate = certificate or request.certificate
    request.completed_at = timezone.now()
    request.handled_by = actor.user
    request.save(update_fields=["status", "response", "certificate", "completed_at", "handled_by"])
    record_audit_event(
        actor=actor,
        action=f"privacy_request.{status}",
        target=request,
        metadata={"kind": request.kind},
    )
    return request


@transaction.atomic
def do_restrict_processing(
    user: User, district: District, *, actor: Actor
) -> ProcessingRestriction:
    """Honour a restriction at once (R13): no messages but privacy notices, and out of every
    list, leaderboard and review except the counts. Recorded as a request, done."""
    existing = ProcessingRestriction.objects.filter(
        district_id=district.id, user_id=user.id, lifted_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    request = do_create_request(district, kind=Kind.RESTRICTION, requester=user, actor=actor)
    restriction = ProcessingRestriction.objects.create(
        district=district, user=user, request=request
    )
    # What was already waiting to go from this district stops too (privacy notices excepted).
    Delivery.objects.filter(
        district_id=district.id,
        recipient_id=user.id,
        status__in=[Delivery.Status.PENDING, Delivery.Status.HELD],
    ).exclude(message__kind=NotificationKind.PRIVACY_NOTICE).update(
        status=Delivery.Status.CANCELLED, updated_at=timezone.now()
    )
    do_complete_request(request, response="restricted", actor=actor)
    return restriction


@transaction.atomic
def do_lift_restriction(user: User, district: District, *, actor: Actor) -> int:
    """The person lifts their own restriction (or the school, at their request)."""
    lifted = ProcessingRestriction.objects.filter(
        district_id=district.id, user_id=user.id, lifted_at__isnull=True
    ).update(lifted_at=timezone.now())
    if lifted:
        record_audit_event(
            actor=actor, action="restriction.lifted", target=user, district_id=district.id
        )
    return lifted

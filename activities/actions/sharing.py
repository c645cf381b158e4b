"""Sharing a family's work in the school's newsletter or social media, with consent (PROMISES C3).

A school admin may mark a submission only when (1) the guardian who sent it has the
photo-promotion opt-in granted in the district now, and (2) the admin confirms that the school
holds permission too; both facts are recorded in the audit event next to the mark (Submission
is_shared, shared_by, shared_at). Withdrawing the opt-in (privacy.actions.do_record_consents)
unmarks every submission of that guardian in the district at once, audited one by one; running it
again finds nothing left to unmark.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.actions.events import log_event
from activities.models import ActivityEvent, Submission
from privacy.audit import Actor, record_audit_event
from privacy.models import Consent
from privacy.queries import get_consents
from tenants.actions import ActionError
from tenants.models import District, User
from tenants.scope import Scope


class SharingError(ActionError):
    """Sharing refused; nothing was written."""


@transaction.atomic
def do_share_submission(
    scope: Scope, submission: Submission, *, is_permission_confirmed: bool, actor: Actor
) -> Submission:
    """Mark an approved submission for the school's newsletter or social media
    (`submission` from access_submission with a sharing scope)."""
    if not is_permission_confirmed:
        raise SharingError(_("Confirm that the school holds permission to share this."))
    locked = (
        Submission.objects.select_for_update(of=("self",))
        .select_related("guardian", "district")
        .get(id=submission.id, district_id=submission.district_id)
    )
    if locked.is_shared:
        raise SharingError(_("This is already marked for sharing."))
    if locked.status != Submission.Status.APPROVED:
        raise SharingError(_("Only approved work can be shared."))
    consent = _photo_promotion_consent(locked)
    if consent is None:
        raise SharingError(
            _(
                "The family has not agreed to their photos and comments being used by the "
                "school, so this cannot be shared."
            )
        )
    locked.is_shared = True
    locked.shared_by = scope.user
    locked.shared_at = timezone.now()
    locked.save(update_fields=["is_shared", "shared_by", "shared_at"])
    _log(locked, actor)
    record_audit_event(
        actor=actor,
        action="submission.shared",
        target=locked,
        metadata={
            "guardian_id": locked.guardian_id,
            "consent_id": consent.id,
            "is_school_permission_confirmed": True,
        },
    )
    return locked


@transaction.atomic
def do_unshare_submission(scope: Scope, submission: Submission, *, actor: Actor) -> Submission:
    """Take the sharing mark off (the school stops using it)."""
    locked = Submission.objects.select_for_update().get(
        id=submission.id, district_id=submission.district_id
    )
    if not locked.is_shared:
        return locked
    _unmark([locked], reason="staff", actor=actor)
    locked.refresh_from_db(fields=["is_shared", "shared_by", "shared_at"])
    return locked


@transaction.atomic
def do_unshare_after_consent_withdrawn(user: User, district: District, *, actor: Actor) -> int:
    """Unmark every shared submission `user` sent in `district` (their promotion opt-in was
    withdrawn); returns how many. Called by privacy.actions.do_record_consents."""
    shared = list(
        Submission.objects.select_for_update().filter(
            district_id=district.id, guardian_id=user.id, is_shared=True
        )
    )
    _unmark(shared, reason="consent_withdrawn", actor=actor)
    return len(shared)


def _unmark(submissions: list[Submission], *, reason: str, actor: Actor) -> None:
    if not submissions:
        return
    Submission.objects.filter(id__in=[s.id for s in submissions]).update(
        is_shared=False, shared_by=None, shared_at=None
    )
    for submission in submissions:
        record_audit_event(
            actor=actor,
            action="submission.unshared",
            target=submission,
            metadata={"reason": reason, "guardian_id": submission.guardian_id},
        )


def _photo_promotion_consent(submission: Submission) -> Consent | None:
    """The sending guardian's photo-promotion opt-in in force, when granted."""
    if submission.guardian_id is None:
        return None
    consent = get_consents(submission.guardian, submission.district).get(
        Consent.Kind.PHOTO_PROMOTION
    )
    return consent if consent is not None and consent.is_granted else None


def _log(submission: Submission, actor: Actor) -> None:
    log_event(
        ActivityEvent.Kind.SHARED,
        district_id=submission.district_id,
        school_id=submission.school_id,
        classroom_id=submission.classroom_id,
        activity_id=submission.activity_id,
        child_id=submission.child_id,
        actor=actor,
    )

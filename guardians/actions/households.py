"""Households and merged accounts.

Households: guardians who live at one address. On a child's page a guardian sees the child's
other guardians by name, and their contact details only when they share a household (PROMISES
V6).

Merging: two guardian accounts that turn out to be one person (a roster listed a parent twice,
once by email and once by phone) become one. What: everything that belongs to the person moves
to the kept account (children, roles as guardian, consents, invites, messages received, join
requests, roster ids, groups); what records someone's acts (audit events, messages they wrote)
stays with the merged account, which is closed and points to the kept one (`merged_into`), so
both histories stay readable. Why an explicit list: `MERGED_USER_FIELDS` names every foreign key
to User, and a test fails when a new one appears without a decision. Safe to re-run: merging an
account that is already merged is refused.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Submission
from engage import versioned_cache
from guardians.models import (
    GuardianLink,
    GuardianProfile,
    Household,
    HouseholdMember,
    Invite,
    JoinRequest,
)
from notifications.models import Delivery, NotificationPreference
from privacy.audit import Actor, record_audit_event
from privacy.models import Consent, PrivacyRequest, ProcessingRestriction
from privacy.timers import cancel_timers
from tenants.actions import ActionError
from tenants.cache_keys import family_dependency, memberships_dependency, user_dependency
from tenants.models import District, GroupMember, Membership, Role, RosterPerson, User

# Every foreign key to User, and what a merge does with it (tests/guardians/test_households.py
# fails for one missing here).
MERGED_USER_FIELDS = {
    # Moved to the kept account: they belong to the person.
    "tenants.Membership.user": "move",
    "tenants.GroupMember.user": "move",
    "tenants.RosterPerson.user": "move",
    "guardians.GuardianLink.guardian": "move",
    "guardians.Invite.guardian": "move",
    "guardians.GuardianProfile.guardian": "move",
    "guardians.JoinRequest.requester": "move",
    "guardians.HouseholdMember.guardian": "move",
    "notifications.Delivery.recipient": "move",
    "notifications.NotificationPreference.user": "move",
    "privacy.Consent.user": "move",
    "privacy.PrivacyRequest.requester": "move",
    "privacy.ProcessingRestriction.user": "move",
    "activities.Submission.guardian": "move",
    "socialaccount.SocialAccount.user": "move",
    # Dropped: sign-in means of the closed account.
    "authtoken.Token.user": "drop",
    "authtoken.TokenProxy.user": "drop",
    "account.EmailAddress.user": "drop",
    "mfa.Authenticator.user": "drop",
    # A summary of policy changes shown once more at worst.
    "privacy.PolicySummaryShown.user": "drop",
    # Kept: they record what this account did (history).
    "tenants.User.merged_into": "keep",
    "tenants.Membership.granted_by": "keep",
    "tenants.RosterImportRun.started_by": "keep",
    "guardians.Invite.created_by": "keep",
    "guardians.JoinCode.created_by": "keep",
    "guardians.JoinRequest.decided_by": "keep",
    "notifications.Message.author": "keep",
    "privacy.AuditEvent.actor": "keep",
    "privacy.PrivacySettings.updated_by": "keep",
    "privacy.PrivacyRequest.handled_by": "keep",
    "privacy.Archive.deleted_by": "keep",
    "privacy.Archive.restored_by": "keep",
    "privacy.Incident.created_by": "keep",
    "privacy.Incident.authority_notified_by": "keep",
    "privacy.IncidentDistrict.notice_sent_by": "keep",
    "privacy.PolicyVersion.published_by": "keep",
    "admin.LogEntry.user": "keep",
    "activities.Activity.created_by": "keep",
    "activities.Submission.reviewed_by": "keep",
    "activities.Submission.shared_by": "keep",
    "activities.BadgeAward.awarded_by": "keep",
    "activities.ActivityEvent.actor": "keep",
}


@transaction.atomic
def do_set_household(
    guardians: list[User], district: District, *, label: str = "", actor: Actor
) -> Household:
    """Put `guardians` (of one district) in one household, taking each out of any other."""
    household = Household.objects.create(district=district, label=label)
    left = list(
        HouseholdMember.objects.filter(district=district, guardian__in=guardians).values_list(
            "guardian_id", "household_id"
        )
    )
    HouseholdMember.objects.filter(district=district, guardian__in=guardians).delete()
    HouseholdMember.objects.bulk_create(
        HouseholdMember(district=district, household=household, guardian=g) for g in guardians
    )
    versioned_cache.bump(*(family_dependency(g.id) for g in guardians))
    record_audit_event(
        actor=actor,
        action="household.set",
        target=household,
        metadata={
            "guardian_ids": [g.id for g in guardians],
            "left_households": sorted({household_id for _g, household_id in left}),
        },
    )
    return household


@transaction.atomic
def do_merge_guardians(keep: User, merge: User, *, actor: Actor) -> User:
    """Merge the guardian account `merge` into `keep` (see the module docstring)."""
    _check_mergeable(keep, merge)
    _move_links(keep, merge, actor)
    revoked = _move_memberships(keep, merge)
    _move_one_per_district(GuardianProfile, "guardian", keep, merge)
    _move_one_per_district(HouseholdMember, "guardian", keep, merge)
    for model, field in (
        (Invite, "guardian"),
        (JoinRequest, "requester"),
        (Delivery, "recipient"),
        (Consent, "user"),
        (RosterPerson, "user"),
        (Submission, "guardian"),
        (PrivacyRequest, "requester"),
    ):
        model.objects.filter(**{field: merge}).update(**{field: keep})
    kept_restrictions = ProcessingRestriction.objects.filter(user=keep, lifted_at__isnull=True)
    ProcessingRestriction.objects.filter(
        user=merge, district_id__in=kept_restrictions.values("district_id")
    ).delete()
    ProcessingRestriction.objects.filter(user=merge).update(user=keep)
    cancel_timers(subject=merge)  # the merged account can no longer sign in or be closed
    GroupMember.objects.filter(user=merge, group__members__user=keep).delete()
    GroupMember.objects.filter(user=merge).update(user=keep)
    if not NotificationPreference.objects.filter(user=keep).exists():
        NotificationPreference.objects.filter(user=merge).update(user=keep)
    _move_sign_in(keep, merge)
    _move_contacts(keep, merge)
    versioned_cache.bump(
        *(f(u.id) for u in (keep, merge) for f in (family_dependency, memberships_dependency)),
        user_dependency(keep.id),
    )
    record_audit_event(
        actor=actor,
        action="guardian.merged",
        target=keep,
        district_id=None,
        metadata={"kept_id": keep.id, "merged_id": merge.id, "revoked_memberships": revoked},
    )
    return keep


def _check_mergeable(keep: User, merge: User) -> None:
    if keep.id == merge.id:
        raise ActionError(_("Choose two different accounts."))
    if merge.merged_into_id or keep.merged_into_id or not keep.is_active:
        raise ActionError(_("One of these accounts was already merged or is closed."))
    for user in (keep, merge):
        if (
            user.is_staff
            or Membership.objects.filter(user=user, is_active=True)
            .exclude(role=Role.GUARDIAN)
            .exists()
        ):
            raise ActionError(_("Only guardian accounts can be merged."))


def _move_links(keep: User, merge: User, actor: Actor) -> None:
    """Children move over. Where both accounts were linked to a child, the kept link stays, and
    a custody restriction ("no access") on either link holds for the merged person."""
    kept = {
        link.child_id: link for link in GuardianLink.objects.filter(guardian=keep, is_active=True)
    }
    for twin in GuardianLink.objects.filter(guardian=merge, child_id__in=kept, is_active=True):
        link = kept[twin.child_id]
        twin.is_active = False
        twin.save(update_fields=["is_active"])
        if link.has_access and not twin.has_access:
            link.has_access = False
            link.save(update_fields=["has_access"])
            record_audit_event(
                actor=actor,
                action="guardian.access_changed",
                target=link,
                metadata={"has_access": False, "reason": "merged"},
            )
        record_audit_event(
            actor=actor,
            action="guardian.link_ended",
            target=twin,
            metadata={"reason": "merged", "kept_link_id": link.id},
        )
    GuardianLink.objects.filter(guardian=merge).update(guardian=keep)


def _move_memberships(keep: User, merge: User) -> list[int]:
    """Roles move over; a guardian role the kept account already holds is revoked (ids)."""
    kept = set(
        Membership.objects.filter(user=keep, is_active=True, role=Role.GUARDIAN).values_list(
            "district_id", flat=True
        )
    )
    twins = Membership.objects.filter(user=merge, is_active=True, district_id__in=kept)
    revoked = sorted(twins.values_list("id", flat=True))
    twins.update(is_active=False, revoked_at=timezone.now())
    Membership.objects.filter(user=merge).update(user=keep)
    return revoked


def _move_one_per_district(model, field: str, keep: User, merge: User) -> None:
    """Rows unique per (district, person): the kept account's row wins."""
    taken = model.objects.filter(**{field: keep}).values_list("district_id", flat=True)
    model.objects.filter(**{field: merge}, district_id__in=list(taken)).delete()
    model.objects.filter(**{field: merge}).update(**{field: keep})


def _move_sign_in(keep: User, merge: User) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount
    from rest_framework.authtoken.models import Token

    SocialAccount.objects.filter(user=merge).update(user=keep)
    for model in (EmailAddress, Authenticator, Token):
        model.objects.filter(user=merge).delete()


def _move_contacts(keep: User, merge: User) -> None:
    """The kept account takes a contact it lacks; the merged account is closed."""
    moved = {}
    if not keep.email and merge.email:
        moved.update(email=merge.email, email_verified=merge.email_verified)
    if not keep.phone and merge.phone:
        moved.update(phone=merge.phone, phone_verified=merge.phone_verified)
    merge.is_active = False
    merge.merged_into = keep
    merge.set_unusable_password()
    # The addresses are unique: free the ones that move. An account needs an email or a phone,
    # so a closed account left with neither gets an address that reaches nobody (.invalid).
    if "email" in moved:
        merge.email = None
    if "phone" in moved:
        merge.phone = None
    if not merge.email and not merge.phone:
        merge.email = f"merged-{merge.id}@example.invalid"
    merge.save()
    for name, value in moved.items():
        setattr(keep, name, value)
    if moved:
        keep.save(update_fields=list(moved))

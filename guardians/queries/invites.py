"""Reads for invites: the link a family opens, and the invite funnel staff watch per classroom."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from guardians.models import Child, Enrollment, GuardianLink, Invite
from guardians.tokens import invite_id_from_token, token_hash
from notifications.models import Delivery
from privacy.models import Consent
from tenants.models import Classroom, User
from tenants.queries import list_classrooms_for_scope
from tenants.scope import Scope

# "Active": signed in within this many days.
ACTIVE_DAYS = 30


class InviteProblem:
    INVALID = "invalid"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


def get_invite_for_token(token: str) -> tuple[Invite | None, str | None]:
    """(invite, None) for a link that still works, else (None or the invite, the problem).

    Public (the visitor is not signed in): the token is the credential, so nothing here says
    whose invite a bad token might have been.
    """
    invite_id = invite_id_from_token(token)
    if invite_id is None:
        return None, InviteProblem.INVALID
    invite = (
        Invite.objects.filter(id=invite_id)  # scope-exempt: the signed token names the invite
        .select_related("guardian", "school", "district")
        .first()
    )
    if invite is None or invite.token_hash != token_hash(token):
        return None, InviteProblem.INVALID
    if invite.accepted_at is not None:
        return invite, InviteProblem.USED
    if invite.revoked_at is not None:
        return invite, InviteProblem.REVOKED
    if not _has_access_link(invite):
        # The school unlinked the guardian (or marked them "no access") since: the invite is void.
        return invite, InviteProblem.WITHDRAWN
    if invite.expires_at <= timezone.now():
        return invite, InviteProblem.EXPIRED
    return invite, None


def _has_access_link(invite: Invite) -> bool:
    return GuardianLink.objects.filter(
        district_id=invite.district_id,
        guardian_id=invite.guardian_id,
        is_active=True,
        has_access=True,
        child__is_active=True,
    ).exists()


def list_joined_guardian_ids(district_id: int, guardian_ids) -> set[int]:
    """Guardians who joined in the district: accepted an invite or agreed to the policy."""
    ids = list(guardian_ids)
    accepted = Invite.objects.filter(
        district_id=district_id, guardian_id__in=ids, accepted_at__isnull=False
    ).values_list("guardian_id", flat=True)
    consented = Consent.objects.filter(
        district_id=district_id,
        user_id__in=ids,
        kind=Consent.Kind.PRIVACY_POLICY,
        is_granted=True,
    ).values_list("user_id", flat=True)
    return set(accepted) | set(consented)


def _classroom_guardian_pairs(scope: Scope, classroom_ids) -> list[tuple[int, int]]:
    """(classroom_id, guardian_id) for guardians with access to children enrolled there."""
    return list(
        GuardianLink.objects.filter(
            district_id=scope.district.id,
            is_active=True,
            has_access=True,
            child__is_active=True,
            child__enrollments__classroom_id__in=list(classroom_ids),
            child__enrollments__is_active=True,
        )
        .values_list("child__enrollments__classroom_id", "guardian_id")
        .distinct()
    )


def _delivered_invite_guardian_ids(district_id: int, guardian_ids) -> set[int]:
    """Guardians whose newest invite reached them on some channel.

    In the embedded mode the local outbox is where messages arrive, so "sent" there counts.
    """
    reached = Q(status__in=[Delivery.Status.DELIVERED, Delivery.Status.OPENED])
    reached |= Q(status=Delivery.Status.CLICKED) | Q(provider="outbox", status="sent")
    return set(
        Delivery.objects.filter(
            reached,
            district_id=district_id,
            recipient_id__in=list(guardian_ids),
            message__source_type="invite",
        ).values_list("recipient_id", flat=True)
    )


@dataclass
class GuardianStatuses:
    invited: set[int] = field(default_factory=set)
    delivered: set[int] = field(default_factory=set)
    accepted: set[int] = field(default_factory=set)
    active: set[int] = field(default_factory=set)


def get_guardian_statuses(district_id: int, guardian_ids) -> GuardianStatuses:
    """Which of the guardians were invited, reached, joined, and signed in lately. 5 queries."""
    ids = list(guardian_ids)
    since = timezone.now() - datetime.timedelta(days=ACTIVE_DAYS)
    return GuardianStatuses(
        invited=set(
            Invite.objects.filter(district_id=district_id, guardian_id__in=ids).values_list(
                "guardian_id", flat=True
            )
        ),
        delivered=_delivered_invite_guardian_ids(district_id, ids),
        accepted=list_joined_guardian_ids(district_id, ids),
        active=set(
            User.objects.filter(id__in=ids, is_active=True, last_login__gte=since).values_list(
                "id", flat=True
            )
        ),
    )


@dataclass
class FunnelRow:
    classroom: Classroom
    families: int
    invited: int
    delivered: int
    accepted: int
    active: int


def get_invite_funnel(scope: Scope) -> list[FunnelRow]:
    """Per classroom of the scope: families, invited, delivered, accepted, active. 7 queries."""
    classrooms = list(list_classrooms_for_scope(scope))
    pairs = _classroom_guardian_pairs(scope, [c.id for c in classrooms])
    by_classroom: dict[int, set[int]] = {}
    for classroom_id, guardian_id in pairs:
        by_classroom.setdefault(classroom_id, set()).add(guardian_id)
    statuses = get_guardian_statuses(scope.district.id, {g for _c, g in pairs})
    rows = []
    for classroom in classrooms:
        families = by_classroom.get(classroom.id, set())
        rows.append(
            FunnelRow(
                classroom=classroom,
                families=len(families),
                invited=len(families & statuses.invited),
                delivered=len(families & statuses.delivered),
                accepted=len(families & statuses.accepted),
                active=len(families & statuses.active),
            )
        )
    return rows


@dataclass
class FamilyInviteRow:
    guardian: User
    children: list[Child]
    is_invited: bool
    is_delivered: bool
    is_accepted: bool
    is_active: bool
    last_invited_at: datetime.datetime | None


def list_classroom_guardians(scope: Scope, classroom: Classroom) -> QuerySet[User]:
    """Guardians with access to children enrolled in `classroom` (already access-checked)."""
    guardian_ids = GuardianLink.objects.filter(
        district_id=scope.district.id,
        is_active=True,
        has_access=True,
        child__is_active=True,
        child__enrollments__classroom_id=classroom.id,
        child__enrollments__is_active=True,
    ).values("guardian_id")
    return User.objects.filter(id__in=guardian_ids).order_by("last_name", "first_name", "id")


def list_family_invite_rows(scope: Scope, classroom: Classroom) -> list[FamilyInviteRow]:
    """Each family of the classroom with their invite status. 8 queries, whatever the size."""
    guardians = list(list_classroom_guardians(scope, classroom))
    ids = [g.id for g in guardians]
    statuses = get_guardian_statuses(scope.district.id, ids)
    children: dict[int, list[Child]] = {}
    links = GuardianLink.objects.filter(
        district_id=scope.district.id,
        guardian_id__in=ids,
        is_active=True,
        child__enrollments__in=Enrollment.objects.filter(classroom=classroom, is_active=True),
    ).select_related("child")
    for link in links:
        children.setdefault(link.guardian_id, []).append(link.child)
    last_invited = dict(
        Invite.objects.filter(district_id=scope.district.id, guardian_id__in=ids)
        .order_by("guardian_id", "created_at")
        .values_list("guardian_id", "created_at")
    )
    return [
        FamilyInviteRow(
            guardian=g,
            children=children.get(g.id, []),
            is_invited=g.id in statuses.invited,
            is_delivered=g.id in statuses.delivered,
            is_accepted=g.id in statuses.accepted,
            is_active=g.id in statuses.active,
            last_invited_at=last_invited.get(g.id),
        )
        for g in guardians
    ]


def access_classroom_guardian(scope: Scope, classroom: Classroom, guardian_id: int) -> User:
    """A guardian of a child in the classroom (404 otherwise)."""
    return get_object_or_404(list_classroom_guardians(scope, classroom), id=guardian_id)

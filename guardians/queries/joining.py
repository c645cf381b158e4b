"""Reads for families joining without an invite: roster matching, join codes, join requests."""

import datetime

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from guardians.models import Child, GuardianLink, GuardianProfile, JoinCode, JoinRequest
from privacy.fields import keyed_hash_lookup
from tenants.models import District, User
from tenants.queries import is_family_only
from tenants.scope import Scope

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper


def _same_name(field: str, value: str) -> Q:
    return Q(**{f"{field}__iexact": " ".join(value.split())})


def find_roster_guardian(
    district: District,
    *,
    parent_first_name: str,
    parent_last_name: str,
    child_first_name: str,
    child_last_name: str,
    child_birth_date: datetime.date,
    channel: str,
    address: str,
) -> User | None:
    """The roster guardian the visitor says they are, when everything matches (PROMISES C8).

    Parent name, child name (first or preferred), the child's birth date and the parent's
    registered mobile or email must all match the school's records; a guardian marked "no access"
    never matches. Public: the caller gives the same reply whatever this returns.
    """
    children = Child.objects.filter(  # scope-exempt: the visitor is not signed in; district given
        Q(_same_name("first_name", child_first_name))
        | Q(_same_name("preferred_name", child_first_name)),
        _same_name("last_name", child_last_name),
        district_id=district.id,
        is_active=True,
        # birth dates are encrypted: found by their keyed hash, made with the district's id
        **keyed_hash_lookup(Child, "birth_date", child_birth_date, district_id=district.id),
    )
    contact = (
        {"guardian__phone": address} if channel == "sms" else {"guardian__email__iexact": address}
    )
    link = (
        GuardianLink.objects.filter(
            _same_name("guardian__first_name", parent_first_name),
            _same_name("guardian__last_name", parent_last_name),
            district_id=district.id,
            child__in=children,
            is_active=True,
            has_access=True,
            guardian__is_active=True,
            **contact,
        )
        .select_related("guardian")
        .first()
    )
    return link.guardian if link else None


def can_sign_in_by_joining_code(user: User) -> bool:
    """May a confirmed joining code sign this person in? Only an active guardian-only account
    without two-factor: anyone else (staff, operators, people who set up an authenticator)
    signs in as usual, so a code never skips a password or a second factor."""
    from allauth.mfa.models import Authenticator

    if not user.is_active or user.merged_into_id or not is_family_only(user):
        return False
    return not Authenticator.objects.filter(user_id=user.id).exists()


def normalise_join_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def get_live_join_code(code: str) -> JoinCode | None:
    """The join code typed or scanned, if it still works (not expired, revoked or stale)."""
    return (
        JoinCode.objects.filter(  # scope-exempt: the code itself is the credential
            code=normalise_join_code(code),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            classroom__is_active=True,
            classroom__school_year__is_current=True,
        )
        .select_related("classroom", "school", "district")
        .first()
    )


def list_join_codes_for_classroom(scope: Scope, classroom) -> QuerySet[JoinCode]:
    return scope.apply(JoinCode.objects.filter(classroom_id=classroom.id)).order_by("-created_at")


def access_join_code(scope: Scope, join_code_id: int) -> JoinCode:
    return get_object_or_404(
        scope.apply(JoinCode.objects.select_related("classroom", "school")), id=join_code_id
    )


def list_join_requests_for_scope(scope: Scope, *, status: str = JoinRequest.Status.PENDING):
    """Join requests to the classrooms of the scope, oldest first, with their people loaded."""
    return (
        scope.apply(JoinRequest.objects.filter(status=status))
        .select_related("classroom", "requester", "school")
        .order_by("created_at", "id")
    )


def access_join_request(scope: Scope, join_request_id: int) -> JoinRequest:
    return get_object_or_404(
        scope.apply(JoinRequest.objects.select_related("classroom", "requester", "school")),
        id=join_request_id,
    )


def list_children_in_scope(scope: Scope) -> QuerySet[Child]:
    """Active children the scope may act on: a teacher's are those in their classrooms."""
    children = scope.apply(Child.objects.filter(is_active=True))
    if scope.is_classroom_level:
        children = children.filter(
            enrollments__classroom_id__in=scope.classroom_ids, enrollments__is_active=True
        ).distinct()
    return children


def list_roster_matches(scope: Scope, join_request: JoinRequest) -> QuerySet[Child]:
    """Children in the scope, at the request's school, who may be the one the family named
    (same last name)."""
    return (
        list_children_in_scope(scope)
        .filter(school_id=join_request.school_id)
        .filter(_same_name("last_name", join_request.child_last_name))
        .order_by("first_name", "id")[:20]
    )


def get_guardian_profile(user: User, district: District) -> GuardianProfile | None:
    return GuardianProfile.objects.filter(district_id=district.id, guardian_id=user.id).first()

"""Reads for staff who manage children, guardians and their links (/people/).

Everything is bounded by the scope: its district, its school (for school-level roles) and, for
teachers, the children enrolled in their classrooms. `access_*` raise Http404 for an id outside
it, so another tenant's child, guardian or link does not exist for the caller.
"""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from guardians.models import Child, Enrollment, GuardianLink
from tenants.models import Membership, Role, User
from tenants.scope import Scope

PAGE_SIZE = 50


def _children_in_scope(scope: Scope) -> QuerySet[Child]:
    """Active children of the scope's schools; a teacher's, only those in their classrooms."""
    if scope.is_family:
        return Child.objects.none()
    children = scope.apply(Child.objects.filter(is_active=True))
    if scope.is_classroom_level:
        enrolled = Enrollment.objects.filter(
            district_id=scope.district.id,
            classroom_id__in=scope.classroom_ids,
            is_active=True,
        ).values("child_id")
        children = children.filter(id__in=enrolled)
    return children


def _links_in_scope(scope: Scope) -> QuerySet[GuardianLink]:
    """Active guardian links to the children in scope."""
    return GuardianLink.objects.filter(
        district_id=scope.district.id,
        is_active=True,
        child_id__in=_children_in_scope(scope).values("id"),
    )


def _current_enrollments() -> Prefetch:
    return Prefetch(
        "enrollments",
        queryset=Enrollment.objects.filter(
            is_active=True, classroom__school_year__is_current=True
        ).select_related("classroom"),
        to_attr="current_enrollments",
    )


def _active_links(to_attr: str = "active_links") -> Prefetch:
    return Prefetch(
        "guardian_links",
        queryset=GuardianLink.objects.filter(is_active=True)
        .select_related("guardian")
        .order_by("guardian__last_name", "guardian__first_name", "id"),
        to_attr=to_attr,
    )


def _name_terms(search: str) -> list[str]:
    return [term for term in search.split() if term][:5]


def list_children_for_scope(
    scope: Scope, *, search: str = "", classroom_id: int | None = None
) -> QuerySet[Child]:
    """Children in scope, by last name, with school, current classrooms and active guardians.

    `search` matches every word against the names (or the whole of it against the pupil number);
    `classroom_id` keeps the children enrolled in that classroom (the caller checks it is in
    scope). Four queries however many children there are.
    """
    children = _children_in_scope(scope)
    for term in _name_terms(search):
        children = children.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(preferred_name__icontains=term)
            | Q(pupil_number__iexact=term)
        )
    if classroom_id is not None:
        children = children.filter(
            id__in=Enrollment.objects.filter(
                district_id=scope.district.id, classroom_id=classroom_id, is_active=True
            ).values("child_id")
        )
    return (
        children.select_related("school")
        .prefetch_related(_current_enrollments(), _active_links())
        .order_by("last_name", "first_name", "id")
    )


def access_child(scope: Scope, child_id: int) -> Child:
    """An active child in scope, with school, current classrooms and active guardians."""
    return get_object_or_404(list_children_for_scope(scope), id=child_id)


def access_guardian_link(scope: Scope, link_id: int) -> GuardianLink:
    """An active guardian link to a child in scope, with its guardian and child."""
    return get_object_or_404(
        _links_in_scope(scope).select_related("guardian", "child", "child__school"), id=link_id
    )


def list_guardians_for_scope(scope: Scope, *, search: str = "") -> QuerySet[User]:
    """Guardians linked to children in scope, by last name, each with `scope_links` (their links
    to children in scope, with the child). Two queries however many guardians there are.

    `search` matches every word against the names, or the whole of it against email and mobile.
    """
    guardians = User.objects.filter(id__in=_links_in_scope(scope).values("guardian_id"))
    search = search.strip()
    if search:
        by_name = Q()
        for term in _name_terms(search):
            by_name &= Q(first_name__icontains=term) | Q(last_name__icontains=term)
        digits = "".join(c for c in search if c.isdigit())
        by_contact = Q(email__icontains=search)
        if len(digits) >= 4:
            by_contact |= Q(phone__contains=digits)
        guardians = guardians.filter(by_name | by_contact)
    links = (
        _links_in_scope(scope)
        .select_related("child")
        .order_by("child__last_name", "child__first_name", "id")
    )
    return guardians.prefetch_related(
        Prefetch("guardian_links", queryset=links, to_attr="scope_links")
    ).order_by("last_name", "first_name", "id")


def access_guardian(scope: Scope, guardian_id: int) -> User:
    """A guardian linked to a child in scope, with `scope_links`."""
    return get_object_or_404(list_guardians_for_scope(scope), id=guardian_id)


def find_people_by_contact(*, email: str = "", phone: str = "") -> list[User]:
    """The distinct accounts that own `email` (any case) or `phone` (E.164): none, one or two.

    Contacts are unique across Engage, so this is how "the same person" is recognised.
    """
    if not email and not phone:
        return []
    match = Q()
    if email:
        match |= Q(email__iexact=email)
    if phone:
        match |= Q(phone=phone)
    return list(User.objects.filter(match).order_by("id"))


def is_in_district(user: User, district_id: int) -> bool:
    """Whether `user` belongs to the district: they hold or held a role in it, or they never held
    any role (an account nobody else claims). Platform operators and closed accounts never do."""
    if user.is_staff or user.is_superuser or not user.is_active:
        return False
    memberships = Membership.objects.filter(user_id=user.id)
    if memberships.filter(district_id=district_id).exists():
        return True
    return not memberships.exists()


def has_roles_beyond_family(user: User, district_id: int) -> bool:
    """Whether `user` is a platform operator, or holds an active role other than guardian or any
    role in another district: their sign-in then matters beyond this district's families, so
    staff must not change it."""
    if user.is_staff or user.is_superuser:
        return True
    return (
        Membership.objects.filter(user_id=user.id, is_active=True)
        .filter(~Q(role=Role.GUARDIAN) | ~Q(district_id=district_id))
        .exists()
    )


def has_links_outside_scope(scope: Scope, user: User) -> bool:
    """Whether the guardian is linked to a child outside the scope (another school's child)."""
    links = GuardianLink.objects.filter(
        guardian_id=user.id, district_id=scope.district.id, is_active=True
    )
    if scope.school is None:
        return False
    return links.exclude(child__school_id=scope.school.id).exists()


def is_account_used_beyond_scope(scope: Scope, guardian: User) -> bool:
    """Does the account also serve another district, a staff role, or (for a school admin)
    children of another school? Then it is not this scope's to delete."""
    from privacy.districts.deletion import named_in_other_districts

    memberships = Membership.objects.filter(user_id=guardian.id, is_active=True)
    if (
        memberships.exclude(district_id=scope.district.id).exists()
        or memberships.exclude(role=Role.GUARDIAN).exists()
        # A row of another district (a past role's links, its message log): deleting the
        # account would take them into this district's archive.
        or named_in_other_districts([guardian.id], scope.district.id)
    ):
        return True
    if scope.school is None:
        return False
    return (
        GuardianLink.objects.filter(guardian_id=guardian.id, is_active=True)
        .exclude(child__school_id=scope.school.id)
        .exists()
    )

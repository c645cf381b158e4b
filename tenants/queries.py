"""Reads of tenants, people and roles. Every function takes the scope; ids are looked up inside it.

`access_*` raise Http404 for an id outside the scope (never 403: another tenant's objects do not
exist for you). `list_*_for_scope` return querysets with their relations loaded.
"""

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from guardians.models import Enrollment
from tenants import roles
from tenants.models import Classroom, District, Membership, Role, School, User
from tenants.scope import Scope


def list_schools_for_scope(scope: Scope) -> QuerySet[School]:
    schools = School.objects.filter(district_id=scope.district.id, is_active=True)
    if scope.school is not None:
        schools = schools.filter(id=scope.school.id)
    return schools.order_by("name")


def list_classrooms_for_scope(scope: Scope) -> QuerySet[Classroom]:
    """Active classrooms of the current school year in scope, with their counts of children."""
    return (
        scope.apply(Classroom.objects.filter(is_active=True, school_year__is_current=True))
        .select_related("school", "school_year")
        .annotate(
            children_count=Count(
                "enrollments", filter=Q(enrollments__is_active=True), distinct=True
            )
        )
        .order_by("school__name", "grade_level", "name")
    )


def access_classroom(scope: Scope, classroom_id: int) -> Classroom:
    return get_object_or_404(
        scope.apply(Classroom.objects.select_related("school", "school_year")), id=classroom_id
    )


def list_enrollments_for_classroom(scope: Scope, classroom: Classroom) -> QuerySet[Enrollment]:
    return (
        scope.apply(Enrollment.objects.filter(classroom_id=classroom.id, is_active=True))
        .select_related("child")
        .prefetch_related("child__guardian_links__guardian")
        .order_by("child__last_name", "child__first_name")
    )


def list_staff_memberships_for_scope(scope: Scope) -> QuerySet[Membership]:
    """Active staff, admin and viewer roles in scope (not guardians), with people and places."""
    memberships = Membership.objects.filter(district_id=scope.district.id, is_active=True).exclude(
        role=Role.GUARDIAN
    )
    if scope.school is not None:
        memberships = memberships.filter(school_id=scope.school.id)
    return memberships.select_related("user", "school", "classroom").order_by(
        "user__last_name", "user__first_name", "role"
    )


def access_membership(scope: Scope, membership_id: int) -> Membership:
    return get_object_or_404(list_staff_memberships_for_scope(scope), id=membership_id)


def list_teachers_by_classroom(scope: Scope, classroom_ids) -> dict[int, list[User]]:
    """{classroom_id: [teacher, ...]} for the given classrooms of the scope's district."""
    rows = (
        Membership.objects.filter(
            district_id=scope.district.id,
            role=Role.TEACHER,
            is_active=True,
            classroom_id__in=list(classroom_ids),
        )
        .select_related("user")
        .only("classroom_id", "user__id", "user__first_name", "user__last_name")
        .order_by("user__last_name", "user__first_name", "id")
    )
    teachers: dict[int, list[User]] = {}
    for membership in rows:
        teachers.setdefault(membership.classroom_id, []).append(membership.user)
    return teachers


def get_district_counts(scope: Scope) -> dict[str, int]:
    """Headline counts for the scope (aggregates only: safe for viewers)."""
    from guardians.models import Child, GuardianLink

    children = scope.apply(Child.objects.filter(is_active=True))
    links = GuardianLink.objects.filter(district_id=scope.district.id, is_active=True)
    if scope.school is not None:
        links = links.filter(child__school_id=scope.school.id)
    return {
        "schools": list_schools_for_scope(scope).count(),
        "classrooms": scope.apply(
            Classroom.objects.filter(is_active=True, school_year__is_current=True)
        ).count(),
        "children": children.count(),
        "families": links.values("guardian_id").distinct().count(),
    }


def list_grantable_roles(scope: Scope) -> list[tuple[str, str]]:
    return [(role.value, role.label) for role in Role if role in roles.grantable_roles(scope.role)]


def find_user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def is_family_only(user: User) -> bool:
    """A guardian and nothing else: may be signed in by a joining code (staff sign in as usual,
    with their password and two-factor check)."""
    if user.is_staff or user.is_superuser or not user.is_active:
        return False
    return (
        not Membership.objects.filter(user=user, is_active=True)
        .exclude(role=Role.GUARDIAN)
        .exists()
    )


def list_districts_open_to_families() -> QuerySet[District]:
    """Districts a family may register with (public: names only)."""
    return District.objects.filter(is_active=True).only("name", "slug").order_by("name")


def get_district_open_to_families(slug: str) -> District | None:
    return District.objects.filter(slug=slug, is_active=True).first()


def get_active_district(district_id: int) -> District | None:
    return District.objects.filter(id=district_id, is_active=True).first()


def get_active_user(user_id: int) -> User | None:
    return User.objects.filter(id=user_id, is_active=True).first()

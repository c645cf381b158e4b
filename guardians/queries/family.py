"""Reads for families. A guardian sees only the children they are linked to with access
(PROMISES V3, V6); the scope's district bounds everything.

A child the school removed stays with the family while their link stays (PROMISES R4): listed
with `is_active=False`, no current classroom and nothing open to do, their past work readable.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import get_script_prefix
from django.utils.translation import get_language

from engage import versioned_cache
from guardians.models import Child, Enrollment, GuardianLink, HouseholdMember
from tenants.cache_keys import (
    child_work_dependency,
    classroom_dependency,
    family_dependency,
    school_activities_dependency,
    user_dependency,
)
from tenants.models import Classroom, User
from tenants.queries import list_teachers_by_classroom
from tenants.scope import Scope


def list_guardian_links(scope: Scope) -> QuerySet[GuardianLink]:
    """The scope's own links to children, with access, in the scope's district (children the
    school removed included: R4)."""
    return GuardianLink.objects.filter(
        district_id=scope.district.id,
        guardian_id=scope.user.id,
        is_active=True,
        has_access=True,
    )


def list_children_for_guardian(scope: Scope) -> QuerySet[Child]:
    """The guardian's children with access, by first name, with school and current classrooms;
    a child the school removed is among them (`is_active=False`, no current classroom: R4)."""
    return (
        Child.objects.filter(
            district_id=scope.district.id,
            guardian_links__guardian_id=scope.user.id,
            guardian_links__district_id=scope.district.id,
            guardian_links__is_active=True,
            guardian_links__has_access=True,
        )
        .select_related("school")
        .prefetch_related(
            Prefetch(
                "enrollments",
                # a removed child's class of this year may stay as history: not theirs now
                queryset=Enrollment.objects.filter(
                    is_active=True, classroom__school_year__is_current=True, child__is_active=True
                ).select_related("classroom"),
                to_attr="current_enrollments",
            )
        )
        .order_by("first_name", "last_name")
    )


def access_child_for_guardian(scope: Scope, child_id: int) -> Child:
    return get_object_or_404(list_children_for_guardian(scope), id=child_id)


def is_last_link_in_district(scope: Scope, child: Child) -> bool:
    """Is `child` the only child the guardian is linked to in the scope's district? Ending that
    link ends their guardian role there (guardians.actions.manage.do_end_guardian_link)."""
    return not (
        GuardianLink.objects.filter(
            district_id=scope.district.id, guardian_id=scope.user.id, is_active=True
        )
        .exclude(child_id=child.id)
        .exists()
    )


@dataclass
class ChildCard:
    child: Child
    classrooms: list[Classroom]
    teachers: list[User] = field(default_factory=list)
    # Published activities the child has not done yet, due soonest first.
    open_activities: list = field(default_factory=list)


@dataclass
class FamilyHome:
    children: list[ChildCard]


def get_family_home(scope: Scope) -> FamilyHome:
    """The guardian home's data: each child with school, classrooms, teachers and open
    activities. 6 queries."""
    return _build_family_home(scope, _build_family_layout(scope)[0])[0]


def get_family_home_html(scope: Scope, render: Callable[[FamilyHome], str]) -> str:
    """The guardian home's content, `render(get_family_home(scope))`, cached.

    Cached per guardian, district, language and script prefix (its links) until their family, one
    of the classrooms, the published activities of one of the schools, their own row (the page
    greets them by name) or the work sent for one of the children changes
    (engage.versioned_cache): a hit reads the versions once and runs no query. The page's
    layout (children, classrooms, teachers, the activities that reach each child) is cached on
    its own without the work sent, so after a submission the page is rebuilt from it with one
    query (what is done) and `render`; a cold miss runs the 6 queries of `get_family_home`.
    """
    key = (
        f"family-home-html:{scope.district.id}:{scope.user.id}:{get_language()}:"
        f"{get_script_prefix()}"
    )
    return versioned_cache.get_or_build(
        key,
        lambda: _render_family_home(scope, render),
        known_dependencies=_layout_known_dependencies(scope),
    )


@dataclass
class _FamilyLayout:
    """The family home without what the children have done (a submission does not change it)."""

    children: list[Child]
    teachers: dict[int, list[User]]  # by classroom id
    reachable: dict[int, list]  # child id: open activities that reach them, done or not


def _layout_known_dependencies(scope: Scope) -> list[str]:
    return [family_dependency(scope.user.id), user_dependency(scope.user.id)]


def _get_family_layout(scope: Scope) -> tuple[_FamilyLayout, list[str]]:
    """The layout and its dependencies, cached per guardian and district."""
    return versioned_cache.get_or_build(
        f"family-home-layout:{scope.district.id}:{scope.user.id}",
        lambda: _with_dependencies(_build_family_layout(scope)),
        known_dependencies=_layout_known_dependencies(scope),
    )


def _with_dependencies(built: tuple[_FamilyLayout, list[str]]):
    """A layout cached with its dependencies: the page built from it depends on them too."""
    return built, built[1]


def _render_family_home(scope: Scope, render) -> tuple[str, list[str]]:
    layout, dependencies = _get_family_layout(scope)
    family, work_dependencies = _build_family_home(scope, layout)
    return render(family), dependencies + work_dependencies


def _build_family_layout(scope: Scope) -> tuple[_FamilyLayout, list[str]]:
    """5 queries: children, their enrollments, teachers, the guardian's groups, targets."""
    from activities.queries.family import list_reachable_open_activities_by_child

    children = list(list_children_for_guardian(scope))
    classroom_ids = {e.classroom_id for c in children for e in c.current_enrollments}
    teachers = list_teachers_by_classroom(scope, classroom_ids) if classroom_ids else {}
    # A child the school removed has nothing open (R4): only their past work stays.
    reachable = list_reachable_open_activities_by_child(scope, [c for c in children if c.is_active])
    dependencies = [classroom_dependency(i) for i in sorted(classroom_ids)]
    dependencies += [
        school_activities_dependency(i) for i in sorted({c.school_id for c in children})
    ]
    return _FamilyLayout(children, teachers, reachable), dependencies


def _build_family_home(scope: Scope, layout: _FamilyLayout) -> tuple[FamilyHome, list[str]]:
    """The home from its layout, leaving out what is done (1 query); depends on the children's
    work."""
    from activities.queries.family import list_done_activity_ids

    done = list_done_activity_ids(scope, list(layout.reachable))  # the active children
    cards = []
    for child in layout.children:
        classrooms = [e.classroom for e in child.current_enrollments]
        people = {t.id: t for c in classrooms for t in layout.teachers.get(c.id, [])}
        open_activities = [
            a for a in layout.reachable.get(child.id, []) if (child.id, a.id) not in done
        ]
        cards.append(
            ChildCard(
                child=child,
                classrooms=classrooms,
                teachers=list(people.values()),
                open_activities=open_activities,
            )
        )
    return FamilyHome(children=cards), [child_work_dependency(c.id) for c in layout.children]


@dataclass
class CoGuardian:
    """Another guardian of a child, as a guardian may see them (PROMISES V6)."""

    name: str
    relationship: str
    # Contact details only for someone in the viewer's own household.
    phone: str | None = None
    email: str | None = None


def list_co_guardians(scope: Scope, child: Child) -> list[CoGuardian]:
    """The child's other guardians (with access) for the signed-in guardian. 2 queries."""
    links = (
        GuardianLink.objects.filter(
            district_id=scope.district.id, child_id=child.id, is_active=True, has_access=True
        )
        .exclude(guardian_id=scope.user.id)
        .select_related("guardian")
        .order_by("guardian__first_name", "guardian__last_name")
    )
    housemates = set(
        HouseholdMember.objects.filter(
            district_id=scope.district.id,
            household__members__guardian_id=scope.user.id,
        ).values_list("guardian_id", flat=True)
    )
    people = []
    for link in links:
        guardian = link.guardian
        shares = guardian.id in housemates
        people.append(
            CoGuardian(
                name=guardian.get_full_name(),
                relationship=link.get_relationship_display(),
                phone=guardian.phone if shares else None,
                email=guardian.email if shares else None,
            )
        )
    return people

"""The request's scope: who is acting, in which role, where.

A signed-in person may hold several roles (a teacher at one school who is a guardian at another).
Their active memberships are grouped into contexts, one per (role, district, school); the person
picks one with the role switcher, and the request resolves it once (`tenants.middleware`). Every
query and action receives the scope explicitly: no thread-locals, no globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import QuerySet

from engage import versioned_cache
from tenants import roles
from tenants.cache_keys import district_dependency, memberships_dependency
from tenants.models import Classroom, District, Membership, School, User

SESSION_KEY = "engage_context"


@dataclass(frozen=True)
class Scope:
    user: User
    role: str
    district: District
    school: School | None = None
    classroom_ids: frozenset[int] = field(default_factory=frozenset)
    capabilities: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        return context_key(self.role, self.district.id, self.school.id if self.school else None)

    @property
    def label(self) -> str:
        where = self.school.name if self.school else self.district.name
        return f"{roles.Role(self.role).label} · {where}"

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def is_district_wide(self) -> bool:
        return self.school is None

    @property
    def is_family(self) -> bool:
        return roles.is_family_role(self.role)

    @property
    def is_classroom_level(self) -> bool:
        return roles.is_classroom_level(self.role)

    @property
    def timezone(self) -> str:
        return self.school.effective_timezone if self.school else self.district.timezone

    def covers_school(self, school_id: int) -> bool:
        return self.school is None or self.school.id == school_id

    def covers_classroom(self, classroom: Classroom) -> bool:
        if classroom.district_id != self.district.id or not self.covers_school(classroom.school_id):
            return False
        return not self.is_classroom_level or classroom.id in self.classroom_ids

    def apply(self, queryset: QuerySet) -> QuerySet:
        """Restrict a queryset of a tenant model to this scope's district, school and classrooms.

        Family scopes are restricted to the district only: what a guardian may see of it is an
        object rule (their own children), applied by the guardians' queries.
        """
        model = queryset.model
        queryset = queryset.filter(district_id=self.district.id)
        if self.is_family:
            return queryset
        if self.school is not None and _has_field(model, "school"):
            queryset = queryset.filter(school_id=self.school.id)
        if self.is_classroom_level:
            if model is Classroom:
                queryset = queryset.filter(id__in=self.classroom_ids)
            elif _has_field(model, "classroom"):
                queryset = queryset.filter(classroom_id__in=self.classroom_ids)
        return queryset


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def context_key(role: str, district_id: int, school_id: int | None) -> str:
    return f"{role}:{district_id}:{school_id or 0}"


def list_scopes_for_user(user: User) -> list[Scope]:
    """Every context the user may act in, most powerful first.

    Cached per person until their memberships (or a district of theirs) change. The signed-in
    user of a request arrives with them, read and checked with the user row in one cache read
    (tenants.auth_backends)."""
    contexts = getattr(user, CONTEXTS_ATTRIBUTE, None)
    if contexts is None:
        contexts = versioned_cache.get_or_build(
            f"scopes:{user.id}",
            lambda: build_scope_contexts(user),
            known_dependencies=[memberships_dependency(user.id)],
            timeout=3600,
        )
    return [
        Scope(
            user=user,
            role=role,
            district=district,
            school=school,
            classroom_ids=classrooms,
            capabilities=roles.capabilities_for(role),
        )
        for role, district, school, classrooms in contexts
    ]


# A user instance may carry its contexts, as read with it: a per-instance cache like Django's
# `_perm_cache`, living as long as the instance (one request for the signed-in user).
CONTEXTS_ATTRIBUTE = "_engage_scope_contexts"


def build_scope_contexts(user: User):
    """(contexts, dependencies) of the user's scopes, for the versioned cache. One query."""
    scopes = _query_scopes_for_user(user)
    contexts = [(s.role, s.district, s.school, s.classroom_ids) for s in scopes]
    return contexts, [district_dependency(s.district.id) for s in scopes]


def _query_scopes_for_user(user: User) -> list[Scope]:
    """Every context the user may act in, most powerful first. One query."""
    memberships = (
        Membership.objects.filter(user=user, is_active=True)  # scoping root: the user's own roles
        .select_related("district", "school")
        .order_by("district_id", "school_id", "id")
    )
    rows = [m for m in memberships if m.district.is_active]
    grouped: dict[str, list[Membership]] = {}
    for membership in rows:
        school_id = None if roles.is_family_role(membership.role) else membership.school_id
        key = context_key(membership.role, membership.district_id, school_id)
        grouped.setdefault(key, []).append(membership)
    scopes = [_scope_from_memberships(user, group) for group in grouped.values()]
    scopes.sort(key=lambda s: (roles.role_sort_key(s.role), s.district.name, s.label))
    return scopes


def _scope_from_memberships(user: User, memberships: list[Membership]) -> Scope:
    first = memberships[0]
    school = None if roles.is_family_role(first.role) else first.school
    classroom_ids = frozenset(m.classroom_id for m in memberships if m.classroom_id)
    return Scope(
        user=user,
        role=first.role,
        district=first.district,
        school=school,
        classroom_ids=classroom_ids,
        capabilities=roles.capabilities_for(first.role),
    )


def resolve_scope(user: User, session) -> Scope | None:
    """The scope the session chose, or the user's first one; None for a person with no role."""
    scopes = list_scopes_for_user(user)
    if not scopes:
        return None
    chosen = session.get(SESSION_KEY)
    for scope in scopes:
        if scope.key == chosen:
            return scope
    return scopes[0]


def group_scopes_by_district(scopes: list[Scope]):
    """For the role switcher: [(district, [scope, ...]), ...]."""
    ordered = sorted(scopes, key=lambda s: (s.district.name, roles.role_sort_key(s.role)))
    return [
        (district, list(items)) for district, items in groupby(ordered, key=lambda s: s.district)
    ]

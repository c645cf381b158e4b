"""Checking that an audience staff pick lies inside their scope (another tenant's id is a 404)."""

from django.http import Http404

from guardians.models import GuardianLink
from tenants import queries as tenant_queries
from tenants.models import Group
from tenants.roles import Cap
from tenants.scope import Scope


def check_audience_in_scope(scope: Scope, audience: dict) -> None:
    kind, ids = audience.get("type"), set(audience.get("ids") or [])
    if kind == "district":
        if not scope.is_district_wide:
            raise Http404
    elif kind == "schools":
        allowed = set(tenant_queries.list_schools_for_scope(scope).values_list("id", flat=True))
        _require(ids, allowed)
    elif kind == "classrooms":
        allowed = set(tenant_queries.list_classrooms_for_scope(scope).values_list("id", flat=True))
        _require(ids, allowed)
    elif kind == "groups":
        groups = Group.objects.filter(district_id=scope.district.id)
        if scope.school is not None:
            groups = groups.filter(school_id=scope.school.id)
        _require(ids, set(groups.values_list("id", flat=True)))
    elif kind == "roles":
        if not scope.has(Cap.STAFF_MANAGE):
            raise Http404
    elif kind == "guardians":
        links = GuardianLink.objects.filter(
            district_id=scope.district.id, guardian_id__in=ids, is_active=True
        )
        if scope.school is not None:
            links = links.filter(child__school_id=scope.school.id)
        if scope.is_classroom_level:
            links = links.filter(
                child__enrollments__classroom_id__in=scope.classroom_ids,
                child__enrollments__is_active=True,
            )
        _require(ids, set(links.values_list("guardian_id", flat=True)))
    else:
        raise Http404


def _require(ids: set, allowed: set) -> None:
    if not ids or not ids <= allowed:
        raise Http404

"""Tenants API: the caller, their contexts, schools and classrooms in scope."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from tenants import queries
from tenants.api_base import PaginatedApi, ScopedApi
from tenants.roles import Cap
from tenants.scope import list_scopes_for_user


class ScopeOutput(serializers.Serializer):
    key = serializers.CharField()
    role = serializers.CharField()
    district_id = serializers.IntegerField(source="district.id")
    school_id = serializers.IntegerField(source="school.id", allow_null=True, default=None)
    label = serializers.CharField()
    capabilities = serializers.ListField(child=serializers.CharField())


class MeApi(ScopedApi):
    capability = {"GET": Cap.ACCOUNT_SELF}

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField(allow_null=True)
        first_name = serializers.CharField()
        last_name = serializers.CharField()
        preferred_language = serializers.CharField()
        scope = ScopeOutput()

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        user = request.user
        data = {
            "id": user.id,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "preferred_language": user.preferred_language,
            "scope": _scope_data(self.scope),
        }
        return Response(self.OutputSerializer(data).data)


def _scope_data(scope) -> dict:
    return {
        "key": scope.key,
        "role": scope.role,
        "district": scope.district,
        "school": scope.school,
        "label": scope.label,
        "capabilities": sorted(scope.capabilities),
    }


class ContextListApi(ScopedApi):
    """Every context (role and place) the caller may act in; send one as X-Engage-Context."""

    capability = {"GET": Cap.ACCOUNT_SELF}

    @extend_schema(responses=ScopeOutput(many=True))
    def get(self, request):
        scopes = list_scopes_for_user(request.user)
        return Response(ScopeOutput([_scope_data(s) for s in scopes], many=True).data)


class SchoolOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    timezone = serializers.CharField(source="effective_timezone")


class SchoolListApi(ScopedApi):
    capability = {"GET": Cap.SCHOOL_VIEW}

    @extend_schema(responses=SchoolOutput(many=True))
    def get(self, request):
        schools = queries.list_schools_for_scope(self.scope).select_related("district")
        return Response(SchoolOutput(schools, many=True).data)


class ClassroomOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    grade_level = serializers.CharField()
    school_id = serializers.IntegerField()
    school_year = serializers.CharField(source="school_year.name")
    children_count = serializers.IntegerField(required=False)


class ClassroomListApi(PaginatedApi):
    capability = {"GET": Cap.ROSTER_VIEW}

    @extend_schema(responses=ClassroomOutput(many=True))
    def get(self, request):
        return self.paginate(queries.list_classrooms_for_scope(self.scope), ClassroomOutput)


class ClassroomDetailApi(ScopedApi):
    capability = {"GET": Cap.ROSTER_VIEW}

    @extend_schema(responses=ClassroomOutput)
    def get(self, request, classroom_id: int):
        classroom = queries.access_classroom(self.scope, classroom_id)
        return Response(ClassroomOutput(classroom).data)

"""Families API: a guardian's own children."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from guardians import queries
from tenants.api_base import PaginatedApi, ScopedApi
from tenants.roles import Cap


class ChildOutput(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    grade_level = serializers.CharField()
    school = serializers.CharField(source="school.name")
    classrooms = serializers.SerializerMethodField()
    # False once the school removed the child: their past work stays readable (PROMISES R4),
    # nothing new can be sent for them.
    is_at_school = serializers.BooleanField(source="is_active")
    removed_at = serializers.DateTimeField(allow_null=True)

    def get_classrooms(self, child) -> list[str]:
        return [e.classroom.name for e in child.current_enrollments]


class MyChildrenApi(PaginatedApi):
    capability = {"GET": Cap.FAMILY_VIEW}

    @extend_schema(responses=ChildOutput(many=True))
    def get(self, request):
        return self.paginate(queries.list_children_for_guardian(self.scope), ChildOutput)


class MyChildDetailApi(ScopedApi):
    capability = {"GET": Cap.FAMILY_VIEW}

    @extend_schema(responses=ChildOutput)
    def get(self, request, child_id: int):
        return Response(ChildOutput(queries.access_child_for_guardian(self.scope, child_id)).data)
